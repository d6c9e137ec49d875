"""forecast snapshots: the forecast of the company, each region and each rep frozen per period
at its start and weekly, and the deals committed at the start of each period

Revision ID: 0009_forecast_snapshots
Revises: 0008_scheduled_org_changes
Create Date: 2026-12-01 11:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_forecast_snapshots"
down_revision = "0008_scheduled_org_changes"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=14, scale=2)


def upgrade() -> None:
    op.create_table(
        "forecast_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("period", sa.String(length=12), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=200), nullable=False),
        sa.Column("at_period_start", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("reconstructed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("target", MONEY, nullable=True),
        sa.Column("won", MONEY, nullable=True),
        sa.Column("commit", MONEY, nullable=True),
        sa.Column("best_case", MONEY, nullable=True),
        sa.Column("pipeline", MONEY, nullable=True),
        sa.Column("weighted", MONEY, nullable=True),
        sa.Column("forecast", MONEY, nullable=True),
        sa.Column("open_pipeline", MONEY, nullable=True),
        sa.Column("probability", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "level IN ('company', 'region', 'rep')", name=op.f("ck_forecast_snapshot_level_valid")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_snapshot")),
        sa.UniqueConstraint(
            "taken_on",
            "period",
            "level",
            "entity_id",
            name=op.f("uq_forecast_snapshot_taken_on_period_level_entity_id"),
        ),
    )
    with op.batch_alter_table("forecast_snapshot", schema=None) as batch_op:
        batch_op.create_index(
            "ix_forecast_snapshot_period_entity",
            ["period", "level", "entity_id", "taken_on"],
            unique=False,
        )
    op.create_table(
        "forecast_snapshot_deal",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.CheckConstraint(
            "amount >= 0", name=op.f("ck_forecast_snapshot_deal_amount_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deal.id"], name=op.f("fk_forecast_snapshot_deal_deal_id_deal")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["person.id"], name=op.f("fk_forecast_snapshot_deal_owner_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_forecast_snapshot_deal_region_id_region")
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["forecast_snapshot.id"],
            name=op.f("fk_forecast_snapshot_deal_snapshot_id_forecast_snapshot"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stage_id"], ["stage.id"], name=op.f("fk_forecast_snapshot_deal_stage_id_stage")
        ),
        sa.PrimaryKeyConstraint("snapshot_id", "deal_id", name=op.f("pk_forecast_snapshot_deal")),
    )


def downgrade() -> None:
    op.drop_table("forecast_snapshot_deal")
    with op.batch_alter_table("forecast_snapshot", schema=None) as batch_op:
        batch_op.drop_index("ix_forecast_snapshot_period_entity")
    op.drop_table("forecast_snapshot")
