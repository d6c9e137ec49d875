"""attainment indexes: won deals by close date and open deals by expected close (covering),
recently closed deals and the stages they entered (stage calibration)

Revision ID: 0006_attainment
Revises: 0001
"""

from alembic import op


revision = "0006_attainment"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_deal_won_closed",
        "deal",
        ["status", "closed_on", "region_id", "owner_id", "amount"],
        unique=False,
    )
    op.create_index("ix_deal_closed_status", "deal", ["closed_on", "status"], unique=False)
    op.create_index(
        "ix_deal_open_close",
        "deal",
        ["status", "expected_close", "region_id", "owner_id", "stage_id", "forecast_category",
         "amount"],
        unique=False,
    )
    op.create_index(
        "ix_deal_stage_history_deal_stage",
        "deal_stage_history",
        ["deal_id", "to_stage_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_deal_stage_history_deal_stage", table_name="deal_stage_history")
    op.drop_index("ix_deal_open_close", table_name="deal")
    op.drop_index("ix_deal_closed_status", table_name="deal")
    op.drop_index("ix_deal_won_closed", table_name="deal")
