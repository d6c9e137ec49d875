"""ids never reused: tables whose ids the audit log, history and links point at use
AUTOINCREMENT on SQLite, so a deleted row's id is never handed out again

Without it SQLite gives a new row the largest id plus one, so after the newest customer is
merged away the next customer gets its id and, with it, the deleted one's audit entries. Each
table is rebuilt with its data, indexes and foreign keys (SQLite cannot add AUTOINCREMENT in
place). PostgreSQL sequences never hand out an id twice: nothing to do there.

Revision ID: 0011_ids_never_reused
Revises: 0010_unicode_name_keys
Create Date: 2026-12-01 12:15:00
"""

from alembic import op

revision = "0011_ids_never_reused"
down_revision = "0010_unicode_name_keys"
branch_labels = None
depends_on = None

TABLES = (
    "region",
    "person",
    "scheduled_org_change",
    "customer",
    "contact",
    "product",
    "stage",
    "deal",
    "deal_stage_history",
    "deal_team_member",
    "activity",
    "pipeline_review",
    "review_commitment",
    "target_plan",
    "target",
    "commitment",
    "scorecard_weight",
    "alert_state",
    "import_preset",
    "audit_log",
    "forecast_snapshot",
)
"""Every table with a surrogate integer id."""


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TABLES:
        with op.batch_alter_table(
            name, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
