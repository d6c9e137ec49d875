"""pipeline reviews saved before the app wrote their recording moment got the database's
CURRENT_TIMESTAMP (UTC on SQLite, the server's zone on PostgreSQL), not the local clock of the
stage history they are compared with: their moment is unknown, so they count from the end of
the day they were held, as a review recorded on a later day does

Revision ID: 0017_review_moment_unknown
Revises: 0016_plan_allocation_inputs
Create Date: 2026-12-01 15:40:00
"""

from alembic import op

revision = "0017_review_moment_unknown"
down_revision = "0016_plan_allocation_inputs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE pipeline_review SET created_at = datetime(held_on, '+1 day')")
    else:
        op.execute("UPDATE pipeline_review SET created_at = held_on + interval '1 day'")


def downgrade() -> None:
    """The old moments are not kept; the end of the held day stays (a safe moment)."""
