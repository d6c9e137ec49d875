"""data versions for the caches

A version per kind of data, bumped in the same transaction as every write (app, CLI,
imports), so every app instance sees a change at its next rerun.

Revision ID: 0024_data_versions
Revises: 0023_deal_stage_stays
Create Date: 2026-12-02 00:00:00
"""

import random

import sqlalchemy as sa
from alembic import op

revision = "0024_data_versions"
down_revision = "0023_deal_stage_stays"
branch_labels = None
depends_on = None


TAGS = ("activities", "alerts", "customers", "deals", "org", "reviews", "settings", "targets")
"""db.versions.TAGS when this migration was written (a later tag starts on its first write)."""


def upgrade() -> None:
    table = op.create_table(
        "data_version",
        sa.Column("tag", sa.String(40), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tag", name=op.f("pk_data_version")),
    )
    # Random first versions: a cache never mistakes this database for another one.
    op.bulk_insert(table, [{"tag": tag, "version": random.randrange(1, 2**40)} for tag in TAGS])


def downgrade() -> None:
    op.drop_table("data_version")
