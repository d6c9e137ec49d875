"""each deal keeps the day of its last activity

deal.last_activity_on is the latest activity day logged on the deal (NULL: none), kept by every
write that adds an activity (core.pipeline.last_activity), and filled here from the activities
already logged. The stalled-deal alert read it through a lookup per open deal: at a million
deals, the director's alert count spent most of its time there.

Revision ID: 0029_deal_last_activity
Revises: 0028_won_deals_cover
Create Date: 2026-12-05 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0029_deal_last_activity"
down_revision = "0028_won_deals_cover"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deal", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("last_activity_on", sa.Date(), nullable=True))
    op.execute(
        "UPDATE deal SET last_activity_on = last.day"
        " FROM (SELECT deal_id, MAX(occurred_on) AS day FROM activity"
        " WHERE deal_id IS NOT NULL GROUP BY deal_id) AS last"
        " WHERE deal.id = last.deal_id"
    )


def downgrade() -> None:
    with op.batch_alter_table("deal", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("last_activity_on")
