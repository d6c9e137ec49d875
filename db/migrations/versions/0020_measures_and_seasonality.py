"""targets on every measure and product line, stretch levels, named seasonality profiles

A plan now names what it counts (revenue, units, visits, deals_created) and, optionally, the
product line it targets; the plans already recorded are revenue plans of every line. A year
has one version series per measure and line. Named seasonality profiles keep twelve calendar
months' percentages.

Revision ID: 0020_measures_and_seasonality
Revises: 0019_currencies_and_credit
Create Date: 2026-12-01 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_measures_and_seasonality"
down_revision = "0019_currencies_and_credit"
branch_labels = None
depends_on = None

MEASURES = "'revenue', 'units', 'visits', 'deals_created'"


def upgrade() -> None:
    op.create_table(
        "seasonality_percent",
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("percent", sa.Numeric(5, 2), nullable=False),
        sa.CheckConstraint(
            "month >= 1 AND month <= 12", name=op.f("ck_seasonality_percent_month_range")
        ),
        sa.CheckConstraint(
            "percent >= 0 AND percent <= 100", name=op.f("ck_seasonality_percent_percent_range")
        ),
        sa.PrimaryKeyConstraint("name", "month", name=op.f("pk_seasonality_percent")),
    )
    with op.batch_alter_table("target_plan", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(
            sa.Column("measure", sa.String(length=20), server_default="revenue", nullable=False)
        )
        batch.add_column(
            sa.Column("product_line", sa.String(length=120), server_default="", nullable=False)
        )
        batch.add_column(sa.Column("stretch_levels", sa.JSON(), nullable=True))
        batch.drop_constraint("uq_target_plan_fiscal_year_version", type_="unique")
        batch.create_unique_constraint(
            "uq_target_plan_fiscal_year_measure_product_line_version",
            ["fiscal_year", "measure", "product_line", "version"],
        )
        batch.create_check_constraint("measure_valid", f"measure IN ({MEASURES})")


def downgrade() -> None:
    op.execute("DELETE FROM target_plan WHERE measure <> 'revenue' OR product_line <> ''")
    with op.batch_alter_table("target_plan", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_constraint(op.f("ck_target_plan_measure_valid"), type_="check")
        batch.drop_constraint(
            "uq_target_plan_fiscal_year_measure_product_line_version", type_="unique"
        )
        batch.create_unique_constraint(
            "uq_target_plan_fiscal_year_version", ["fiscal_year", "version"]
        )
        batch.drop_column("stretch_levels")
        batch.drop_column("product_line")
        batch.drop_column("measure")
    op.drop_table("seasonality_percent")
