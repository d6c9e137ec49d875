"""attainment indexes: won deals by close date (covering), recently closed deals

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


def downgrade() -> None:
    op.drop_index("ix_deal_closed_status", table_name="deal")
    op.drop_index("ix_deal_won_closed", table_name="deal")
