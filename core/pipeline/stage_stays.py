"""Each deal's stays in its stages, kept on write from the stage history.

Rules:
- A stay begins with a stage change into the stage (its id is that change's id) and ends with
  the deal's next stage change, in the order of the history (changed at, then id); the last
  stay of a deal is still going (no end, no days).
- Days of a stay = time from entering to leaving, in days with fractions.
- The first stay of a deal in a stage marks that the deal *reached* the stage.
- Every stay carries the deal's created_on and its current stage (whose kind is the deal's
  status), so the funnel reads a cohort's stays without joining the deals.

Every writer of the stage history calls `refresh_stays` for the deals it changed, in the same
transaction, after writing the deal (the seed calls `rebuild_all_stays` once): the stays are
recomputed from the deals' whole history, so they equal it whatever the order the changes were
written in (an import may date a change before the deal's latest one).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, Double, cast, delete, func, insert, literal, select

from db.base import table_of
from db.schema import Deal, DealStageHistory, DealStageStay

_IDS_PER_STATEMENT = 500


def _days(conn: Connection, later, earlier):
    """Days from `earlier` to `later` timestamps, as db.sql_dates.days_between computes them."""
    if conn.dialect.name == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return cast(func.extract("epoch", later - earlier) / 86400.0, Double)


def _stays_select(conn: Connection, deal_ids: list[int] | None):
    """The stays of the given deals (every deal: None), computed from their stage history."""
    h = DealStageHistory
    order = (h.changed_at, h.id)
    changes = select(
        h.id,
        h.deal_id,
        h.to_stage_id.label("stage_id"),
        h.changed_at.label("entered_at"),
        func.lead(h.changed_at).over(partition_by=h.deal_id, order_by=order).label("left_at"),
        func.lead(h.to_stage_id)
        .over(partition_by=h.deal_id, order_by=order)
        .label("left_for_stage_id"),
        func.row_number()
        .over(partition_by=(h.deal_id, h.to_stage_id), order_by=order)
        .label("visit"),
    )
    if deal_ids is not None:
        changes = changes.where(h.deal_id.in_(deal_ids))
    c = changes.subquery("changes")
    return select(
        c.c.id,
        c.c.deal_id,
        c.c.stage_id,
        c.c.entered_at,
        c.c.left_at,
        _days(conn, c.c.left_at, c.c.entered_at).label("days"),
        c.c.left_for_stage_id,
        (c.c.visit == literal(1)).label("first_entry"),
        Deal.stage_id.label("current_stage_id"),
        Deal.created_on,
    ).join(Deal, Deal.id == c.c.deal_id)


_COLUMNS = (
    "id",
    "deal_id",
    "stage_id",
    "entered_at",
    "left_at",
    "days",
    "left_for_stage_id",
    "first_entry",
    "current_stage_id",
    "created_on",
)


def refresh_stays(conn: Connection, deal_ids: Iterable[int]) -> None:
    """Recompute the stays of these deals from their stage history (after a stage change)."""
    ids = sorted(set(deal_ids))
    table = table_of(DealStageStay)
    for start in range(0, len(ids), _IDS_PER_STATEMENT):
        chunk = ids[start : start + _IDS_PER_STATEMENT]
        conn.execute(delete(table).where(table.c.deal_id.in_(chunk)))
        conn.execute(insert(table).from_select(_COLUMNS, _stays_select(conn, chunk)))


def rebuild_all_stays(conn: Connection) -> None:
    """Recompute every deal's stays in one statement (after the seed wrote the history)."""
    table = table_of(DealStageStay)
    conn.execute(delete(table))
    conn.execute(insert(table).from_select(_COLUMNS, _stays_select(conn, None)))
