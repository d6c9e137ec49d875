"""each deal's stays in its stages, kept on write

One row per stay (entered, left, days), maintained by every stage change, import and the
seed, backfilled here from the stage history; the funnel reads it.

Revision ID: 0023_deal_stage_stays
Revises: 0022_query_indexes
Create Date: 2026-12-02 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_deal_stage_stays"
down_revision = "0022_query_indexes"
branch_labels = None
depends_on = None

# The same stays core.pipeline.stage_stays computes: a stay per stage change, ended by the
# deal's next change in history order (changed_at, id). Written out here so the migration
# does not change if that module does.
_BACKFILL = """
INSERT INTO deal_stage_stay (id, deal_id, stage_id, entered_at, left_at, days,
                             left_for_stage_id, first_entry, current_stage_id, created_on)
SELECT c.id, c.deal_id, c.stage_id, c.entered_at, c.left_at, {days},
       c.left_for_stage_id, c.visit = 1, d.stage_id, d.created_on
FROM (
    SELECT h.id, h.deal_id, h.to_stage_id AS stage_id, h.changed_at AS entered_at,
           LEAD(h.changed_at) OVER w AS left_at,
           LEAD(h.to_stage_id) OVER w AS left_for_stage_id,
           ROW_NUMBER() OVER (PARTITION BY h.deal_id, h.to_stage_id
                              ORDER BY h.changed_at, h.id) AS visit
    FROM deal_stage_history h
    WINDOW w AS (PARTITION BY h.deal_id ORDER BY h.changed_at, h.id)
) c
JOIN deal d ON d.id = c.deal_id
"""
_DAYS = {
    "sqlite": "julianday(c.left_at) - julianday(c.entered_at)",
    "postgresql": (
        "CAST(EXTRACT(EPOCH FROM c.left_at - c.entered_at) / 86400.0 AS DOUBLE PRECISION)"
    ),
}


def upgrade() -> None:
    op.create_table(
        "deal_stage_stay",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.Column("left_at", sa.DateTime(), nullable=True),
        sa.Column("days", sa.Double(), nullable=True),
        sa.Column("left_for_stage_id", sa.Integer(), nullable=True),
        sa.Column("first_entry", sa.Boolean(), nullable=False),
        sa.Column("current_stage_id", sa.Integer(), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["id"],
            ["deal_stage_history.id"],
            name=op.f("fk_deal_stage_stay_id_deal_stage_history"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deal.id"],
            name=op.f("fk_deal_stage_stay_deal_id_deal"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stage_id"], ["stage.id"], name=op.f("fk_deal_stage_stay_stage_id_stage")
        ),
        sa.ForeignKeyConstraint(
            ["left_for_stage_id"],
            ["stage.id"],
            name=op.f("fk_deal_stage_stay_left_for_stage_id_stage"),
        ),
        sa.ForeignKeyConstraint(
            ["current_stage_id"],
            ["stage.id"],
            name=op.f("fk_deal_stage_stay_current_stage_id_stage"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_stage_stay")),
    )
    bind = op.get_bind()
    bind.execute(sa.text(_BACKFILL.format(days=_DAYS[bind.dialect.name])))
    # indexes after the backfill: built once, not row by row
    op.create_index(
        "ix_deal_stage_stay_cohort",
        "deal_stage_stay",
        [
            "stage_id",
            "created_on",
            "first_entry",
            "current_stage_id",
            "left_for_stage_id",
            "days",
            "deal_id",
        ],
        unique=False,
    )
    op.create_index("ix_deal_stage_stay_deal", "deal_stage_stay", ["deal_id"], unique=False)
    # the funnel's totals and lost reasons of a cohort from the index alone
    op.create_index(
        "ix_deal_created_outcome",
        "deal",
        ["created_on", "status", "lost_reason_id", "region_id", "owner_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_deal_created_outcome", table_name="deal")
    op.drop_index("ix_deal_stage_stay_deal", table_name="deal_stage_stay")
    op.drop_index("ix_deal_stage_stay_cohort", table_name="deal_stage_stay")
    op.drop_table("deal_stage_stay")
