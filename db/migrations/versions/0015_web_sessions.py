"""server-side sign-in sessions that survive a reload: id, person, created, last seen, revoked

Revision ID: 0015_web_sessions
Revises: 0014_follow_ups
Create Date: 2026-12-01 14:05:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0015_web_sessions"
down_revision = "0014_follow_ups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
