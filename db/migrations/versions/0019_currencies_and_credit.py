"""deal currencies with dated exchange rates, plan budget rates, and credit split between people

Every deal gets a currency (the company currency for the deals already recorded, so their
company amount is their amount) and a company amount kept by the application. The two
covering indexes of the figures read the company amount instead of the raw amount.

Revision ID: 0019_currencies_and_credit
Revises: 0018_lost_reason_index
Create Date: 2026-12-01 17:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_currencies_and_credit"
down_revision = "0018_lost_reason_index"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(14, 2)
RATE = sa.Numeric(18, 8)
OPEN_CLOSE = ["status", "expected_close", "region_id", "owner_id", "stage_id"]


def _company_currency() -> str:
    value = (
        op.get_bind()
        .execute(sa.text("SELECT value FROM app_setting WHERE key = 'company_currency'"))
        .scalar()
    )
    if isinstance(value, str):
        value = value.strip('"')
    return str(value or "USD")


def upgrade() -> None:
    op.create_table(
        "exchange_rate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("rate", RATE, nullable=False),
        sa.CheckConstraint("rate > 0", name=op.f("ck_exchange_rate_rate_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rate")),
        sa.UniqueConstraint(
            "currency", "valid_from", name=op.f("uq_exchange_rate_currency_valid_from")
        ),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "plan_budget_rate",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rate", RATE, nullable=False),
        sa.CheckConstraint("rate > 0", name=op.f("ck_plan_budget_rate_rate_positive")),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["target_plan.id"],
            name=op.f("fk_plan_budget_rate_plan_id_target_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("plan_id", "currency", name=op.f("pk_plan_budget_rate")),
    )
    with op.batch_alter_table("deal", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("currency", sa.String(length=3), nullable=True))
        batch.add_column(sa.Column("company_amount", MONEY, nullable=True))
        batch.add_column(
            sa.Column("credit_shared", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.drop_index("ix_deal_won_closed")
        batch.drop_index("ix_deal_open_close")
    op.execute(
        sa.text("UPDATE deal SET currency = :code, company_amount = amount").bindparams(
            code=_company_currency()
        )
    )
    with op.batch_alter_table("deal", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.alter_column("currency", existing_type=sa.String(length=3), nullable=False)
        batch.create_index(
            "ix_deal_won_closed",
            ["status", "closed_on", "region_id", "owner_id", "company_amount", "credit_shared"],
        )
        batch.create_index(
            "ix_deal_open_close",
            [*OPEN_CLOSE, "forecast_category", "company_amount", "credit_shared"],
        )
    op.create_table(
        "credit_split",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("percent", sa.Numeric(5, 2), nullable=False),
        sa.Column("amount", MONEY, nullable=True),
        sa.CheckConstraint(
            "percent > 0 AND percent <= 100", name=op.f("ck_credit_split_percent_valid")
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deal.id"], name=op.f("fk_credit_split_deal_id_deal"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_credit_split_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_credit_split_region_id_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_split")),
        sa.UniqueConstraint("deal_id", "person_id", name=op.f("uq_credit_split_deal_id_person_id")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_credit_split_deal_id", "credit_split", ["deal_id"])
    op.create_index("ix_credit_split_person_id", "credit_split", ["person_id"])
    op.create_table(
        "credit_split_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column(
            "proposed_at",
            sa.DateTime(),
            server_default=sa.func.current_timestamp(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deal.id"],
            name=op.f("fk_credit_split_proposal_deal_id_deal"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["person.id"],
            name=op.f("fk_credit_split_proposal_proposed_by_id_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_split_proposal")),
        sa.UniqueConstraint("deal_id", name=op.f("uq_credit_split_proposal_deal_id")),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("credit_split_proposal")
    op.drop_index("ix_credit_split_person_id", table_name="credit_split")
    op.drop_index("ix_credit_split_deal_id", table_name="credit_split")
    op.drop_table("credit_split")
    with op.batch_alter_table("deal", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_index("ix_deal_open_close")
        batch.drop_index("ix_deal_won_closed")
        batch.create_index(
            "ix_deal_won_closed", ["status", "closed_on", "region_id", "owner_id", "amount"]
        )
        batch.create_index("ix_deal_open_close", [*OPEN_CLOSE, "forecast_category", "amount"])
        batch.drop_column("credit_shared")
        batch.drop_column("company_amount")
        batch.drop_column("currency")
    op.drop_table("plan_budget_rate")
    op.drop_table("exchange_rate")
