"""data versions for the caches

A version per kind of data, bumped in the same transaction as every write (app, CLI,
imports), so every app instance sees a change at its next rerun.

Revision ID: 0024_data_versions
Revises: 0023_deal_stage_stays
Create Date: 2026-12-02 00:00:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0024_data_versions"
down_revision = "0023_deal_stage_stays"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
