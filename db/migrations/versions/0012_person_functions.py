"""person functions: the deal-team functions a person can fill (pre-sales engineer, solution
consultant, executive sponsor, finance, legal, executive)

Revision ID: 0012_person_functions
Revises: 0011_ids_never_reused
Create Date: 2026-12-01 12:20:00
"""

revision = "0012_person_functions"
down_revision = "0011_ids_never_reused"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
