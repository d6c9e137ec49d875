"""target plans keep how they were allocated: the new-hire ramp mode (spread or absorb) and the
manual inputs (monthly percentages, rep weights), so "Allocate again" starts from them; plans
that allocated less than their company figure absorbed the ramp

Revision ID: 0016_plan_allocation_inputs
Revises: 0015_web_sessions
Create Date: 2026-12-01 14:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_plan_allocation_inputs"
down_revision = "0015_web_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "target_plan",
        sa.Column("ramp_mode", sa.String(length=10), server_default="spread", nullable=False),
    )
    op.add_column("target_plan", sa.Column("manual_inputs", sa.JSON(), nullable=True))
    # Only absorbing the ramp allocates less than the company figure (spreading keeps it whole).
    op.execute(
        """
        UPDATE target_plan SET ramp_mode = 'absorb'
        WHERE method <> 'import' AND company_target > (
            SELECT COALESCE(SUM(target.amount), 0) FROM target
            JOIN region ON region.id = target.region_id
            WHERE target.plan_id = target_plan.id AND target.person_id IS NULL
              AND region.parent_id IS NULL
        )
        """
    )


def downgrade() -> None:
    # Plain column drops (SQLite 3.35+ has them), so the table keeps its AUTOINCREMENT.
    op.drop_column("target_plan", "manual_inputs")
    op.drop_column("target_plan", "ramp_mode")
