"""follow-ups: dated tasks on a deal or a customer, owned by a person, done or snoozed

Revision ID: 0014_follow_ups
Revises: 0013_lost_reasons
Create Date: 2026-12-01 14:05:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0014_follow_ups"
down_revision = "0013_lost_reasons"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
