"""an index on deal.lost_reason_id: the funnel's and the stages page's counts per lost reason
read it instead of every deal

Revision ID: 0018_lost_reason_index
Revises: 0017_review_moment_unknown
Create Date: 2026-12-01 15:45:00
"""

from alembic import op

revision = "0018_lost_reason_index"
down_revision = "0017_review_moment_unknown"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deal", schema=None) as batch_op:
        batch_op.create_index("ix_deal_lost_reason_id", ["lost_reason_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deal", schema=None) as batch_op:
        batch_op.drop_index("ix_deal_lost_reason_id")
