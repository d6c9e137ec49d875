"""index for deals created in a period (scorecards, funnel); closed-in-period filters use
ix_deal_closed_status from 0006

Revision ID: 0007_performance_indexes
Revises: 0006_attainment
Create Date: 2026-11-30 01:25:00
"""

from alembic import op


revision = '0007_performance_indexes'
down_revision = '0006_attainment'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.create_index('ix_deal_created_on', ['created_on'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.drop_index('ix_deal_created_on')
