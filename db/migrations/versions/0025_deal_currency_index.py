"""the currencies the deals use, from an index

The Exchange rates page counts the deals of each currency and the Targets page lists the
foreign currencies in use; both read every deal without this index (2 s at a million deals).

Revision ID: 0025_deal_currency_index
Revises: 0024_data_versions
Create Date: 2026-12-02 00:00:00
"""

from alembic import op

revision = "0025_deal_currency_index"
down_revision = "0024_data_versions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_deal_currency_priced", "deal", ["currency", "company_amount"])


def downgrade() -> None:
    op.drop_index("ix_deal_currency_priced", table_name="deal")
