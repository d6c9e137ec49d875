"""person functions: the deal-team functions a person can fill (pre-sales engineer, solution
consultant, executive sponsor, finance, legal, executive); everyone starts with none

Revision ID: 0012_person_functions
Revises: 0011_ids_never_reused
Create Date: 2026-12-01 12:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_person_functions"
down_revision = "0011_ids_never_reused"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "person",
        sa.Column("functions", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
    )


def downgrade() -> None:
    # A plain column drop (SQLite 3.35+ has one), so the table keeps its AUTOINCREMENT.
    op.drop_column("person", "functions")
