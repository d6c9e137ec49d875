"""indexes the hot queries' plans need

Covering and partial indexes named by the performance diagnoses (funnel, leaderboard,
alerts, plan vs actual), each guarded by an EXPLAIN test. Four older indexes are the first
columns of a new one and go: every query they served is served by the longer one.

Revision ID: 0022_query_indexes
Revises: 0021_languages_and_digests
Create Date: 2026-12-02 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_query_indexes"
down_revision = "0021_languages_and_digests"
branch_labels = None
depends_on = None


# (name, table, columns) added, and the older indexes that are their first columns.
ADDED = [
    ("ix_activity_person_date_type", "activity", ["person_id", "occurred_on", "type"]),
    ("ix_activity_deal_date", "activity", ["deal_id", "occurred_on"]),
    (
        "ix_deal_created_cover",
        "deal",
        ["created_on", "owner_id", "region_id", "status", "company_amount", "credit_shared"],
    ),
    (
        "ix_deal_stage_history_cover",
        "deal_stage_history",
        ["deal_id", "changed_at", "to_stage_id", "from_stage_id", "amount"],
    ),
    ("ix_customer_status_last_activity", "customer", ["status", "last_activity_on"]),
]
REPLACED = [
    ("ix_activity_person_date", "activity", ["person_id", "occurred_on"]),
    ("ix_activity_deal_id", "activity", ["deal_id"]),
    ("ix_deal_created_on", "deal", ["created_on"]),
    ("ix_deal_stage_history_deal_changed", "deal_stage_history", ["deal_id", "changed_at"]),
]
OPEN = sa.text("status = 'open'")
NOT_PRICED = sa.text("company_amount IS NULL")


def upgrade() -> None:
    # the old ones go first, so the new ones reuse their pages (a smaller file on SQLite)
    for name, table, _columns in REPLACED:
        op.drop_index(name, table_name=table)
    for name, table, columns in ADDED:
        op.create_index(name, table, columns)
    op.create_index(
        "ix_deal_open_amount",
        "deal",
        [sa.text("company_amount DESC"), "id"],
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_index(
        "ix_deal_not_priced",
        "deal",
        ["currency", "amount"],
        sqlite_where=NOT_PRICED,
        postgresql_where=NOT_PRICED,
    )


def downgrade() -> None:
    for name, table, columns in REPLACED:
        op.create_index(name, table, columns)
    op.drop_index("ix_deal_not_priced", table_name="deal")
    op.drop_index("ix_deal_open_amount", table_name="deal")
    for name, table, _columns in ADDED:
        op.drop_index(name, table_name=table)
