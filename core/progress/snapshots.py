"""Forecast snapshots: what was forecast and committed on a given day, frozen and never redone.

Rules:
- A snapshot freezes, for one period, the figures of the company, of every region (with its
  subtree) and of every rep exactly as the attainment report shows them that day: target, won,
  commit, best case, pipeline, weighted pipeline, forecast, open pipeline and the simulated
  probability of making the target.
- Snapshots are taken for the current month, quarter and fiscal year at the start of every
  period and weekly: the first run on or after a boundary (a Monday, or the first day of a
  period) takes them; further runs in the same week add nothing.
- The first snapshot of a period also freezes the deals committed at its start: open deals in a
  commit-level stage (stage probability at least the scorecard's commit benchmark, neither won
  nor lost), with their amount, stage, owner and region. Forecast accuracy is judged against
  these deals, so a stage probability or a deal changed later never changes a past score.
- A period start that was not seen in time (the first run came a week or more after it, or the
  history was imported) is rebuilt from the stage history as of the period's first day and
  marked reconstructed; once frozen it stays as it is. This covers every month, quarter and
  fiscal year starting in the current or the two previous fiscal years; a rebuild that finds no
  committed deal is not frozen, so history imported later is still picked up.
- Snapshots are read back only within the reader's area: a rep their own, a manager their
  regions' subtree, directors and admins everything.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import (
    Date,
    DateTime,
    and_,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, sessionmaker
from sqlalchemy.sql import ColumnElement, Subquery

from core import clock
from core.errors import ValidationFailed
from core.i18n import _
from core.models import Period
from core.org.access import SYSTEM_ACTOR
from core.org.company import fiscal_start_month
from core.periods import add_months, fiscal_year, fiscal_year_of, month, quarter_of
from core.pipeline import pricing
from core.progress.attainment import AttainmentRow, attainment_report
from db.schema import (
    Deal,
    DealStageHistory,
    DealStatus,
    ForecastSnapshot,
    ForecastSnapshotDeal,
    SnapshotLevel,
    Stage,
)

COMPANY_ENTITY = 0
"""The entity id of the company's rows (regions and reps use their own ids)."""

LATE_AFTER = timedelta(days=7)
"""A period's first snapshot taken this long after its start rebuilds the committed deals."""

HISTORY_YEARS = 2
"""Fiscal years before the current one whose period starts are rebuilt when missing."""

FIGURES = ("target", "won", "commit", "best_case", "pipeline", "forecast", "open_pipeline")
RATIO = Decimal("0.0001")


# --- periods and due dates ----------------------------------------------------------------


def week_start(day: date) -> date:
    """The Monday of the ISO week of `day`."""
    return day - timedelta(days=day.weekday())


def current_periods(today: date, fiscal_start: int = 1) -> list[Period]:
    """The month, the fiscal quarter and the fiscal year that contain `today`."""
    return [
        month(today.year, today.month, fiscal_start),
        quarter_of(today, fiscal_start),
        fiscal_year(fiscal_year_of(today, fiscal_start), fiscal_start),
    ]


def _due_periods(session: Session, today: date, periods: list[Period]) -> list[Period]:
    """The periods without a snapshot taken since the later of this Monday and their start."""
    taken = session.execute(
        select(ForecastSnapshot.period, ForecastSnapshot.period_start, ForecastSnapshot.taken_on)
        .where(
            ForecastSnapshot.taken_on >= week_start(today),
            ForecastSnapshot.level == SnapshotLevel.COMPANY,
            ForecastSnapshot.reconstructed.is_(False),
            ForecastSnapshot.period.in_([p.label for p in periods]),
        )
        .distinct()
    ).all()
    return [
        p
        for p in periods
        if not any(
            label == p.label and start == p.start and day >= max(week_start(today), p.start)
            for label, start, day in taken
        )
    ]


def snapshots_due(session: Session, today: date) -> bool:
    """Whether this week's (or this new period's) snapshots are still to be taken: two small
    indexed reads, cheap enough for every page view."""
    return bool(_due_periods(session, today, current_periods(today, fiscal_start_month(session))))


def _history_periods(today: date, fiscal_start: int) -> list[Period]:
    """Every month, quarter and fiscal year starting from the start of the fiscal year
    HISTORY_YEARS before the current one up to `today`."""
    first = fiscal_year(fiscal_year_of(today, fiscal_start) - HISTORY_YEARS, fiscal_start).start
    out: list[Period] = []
    start = first
    while start <= today:
        out.append(month(start.year, start.month, fiscal_start))
        if (start.month - fiscal_start) % 3 == 0:
            out.append(quarter_of(start, fiscal_start))
        if start.month == fiscal_start:
            out.append(fiscal_year(start.year, fiscal_start))
        start = add_months(start, 1)
    return out


# --- committed deals ----------------------------------------------------------------------


def _commit_level(commit_probability: float) -> list:
    return [
        Stage.probability >= commit_probability,
        Stage.is_won.is_(False),
        Stage.is_lost.is_(False),
    ]


def committed_from_history(starts: list[date], commit_probability: float) -> Subquery:
    """For each day in `starts`: the deals open then whose last stage change before it was to
    a commit-level stage, with the amount recorded at that change and the owner and region
    they count for (columns start, deal_id, owner_id, region_id, stage_id, amount). One pass
    over the stage history: each change holds until the deal's next change."""
    days = [
        select(
            literal(day, Date).label("start"),
            literal(datetime.combine(day, time()), DateTime).label("start_at"),
        )
        for day in starts
    ]
    day = (days[0] if len(days) == 1 else union_all(*days)).subquery()
    if len(starts) == 1:
        return _committed_on(starts[0], commit_probability)
    spans = select(
        DealStageHistory.deal_id,
        DealStageHistory.to_stage_id.label("stage_id"),
        DealStageHistory.amount,
        DealStageHistory.changed_at,
        func.lead(DealStageHistory.changed_at)
        .over(
            partition_by=DealStageHistory.deal_id,
            order_by=(DealStageHistory.changed_at, DealStageHistory.id),
        )
        .label("next_at"),
    ).subquery()
    return (
        select(
            day.c.start,
            spans.c.deal_id,
            Deal.owner_id,
            Deal.region_id,
            spans.c.stage_id,
            pricing.in_company_currency(spans.c.amount).label("amount"),
        )
        .select_from(spans)
        .join(
            day,
            and_(
                spans.c.changed_at < day.c.start_at,
                or_(spans.c.next_at.is_(None), spans.c.next_at >= day.c.start_at),
            ),
        )
        .join(Deal, Deal.id == spans.c.deal_id)
        .join(Stage, Stage.id == spans.c.stage_id)
        .where(
            or_(Deal.closed_on.is_(None), Deal.closed_on >= day.c.start),
            Deal.company_amount.is_not(None),
            *_commit_level(commit_probability),
        )
        .subquery()
    )


def _committed_on(start: date, commit_probability: float) -> Subquery:
    """committed_from_history for one day: for each deal not closed before it (open, or closed
    on or after it: two index ranges, no OR), its last stage change before that day, found by
    one index seek per deal (the stage the deal was in then)."""
    start_at = datetime.combine(start, time())
    statuses = Deal.status.in_([DealStatus.OPEN, DealStatus.WON, DealStatus.LOST])
    candidates = union_all(
        select(Deal.id, Deal.owner_id, Deal.region_id).where(statuses, Deal.closed_on >= start),
        select(Deal.id, Deal.owner_id, Deal.region_id).where(statuses, Deal.closed_on.is_(None)),
    ).subquery()
    earlier = aliased(DealStageHistory)
    last_change = (
        select(earlier.id)
        .where(earlier.deal_id == candidates.c.id, earlier.changed_at < start_at)
        .order_by(earlier.changed_at.desc(), earlier.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    committed = (
        select(
            candidates.c.id.label("deal_id"),
            candidates.c.owner_id,
            candidates.c.region_id,
            DealStageHistory.to_stage_id.label("stage_id"),
            DealStageHistory.amount,
        )
        .join(DealStageHistory, DealStageHistory.id == last_change)
        .join(Stage, Stage.id == DealStageHistory.to_stage_id)
        .where(*_commit_level(commit_probability))
        .subquery()
    )
    return (
        select(
            literal(start, Date).label("start"),
            committed.c.deal_id,
            committed.c.owner_id,
            committed.c.region_id,
            committed.c.stage_id,
            pricing.in_company_currency(committed.c.amount).label("amount"),
        )
        .join(Deal, Deal.id == committed.c.deal_id)
        .where(Deal.company_amount.is_not(None))
        .subquery()
    )


def _committed_now(commit_probability: float) -> Subquery:
    """Open deals in a commit-level stage now, as they stand."""
    return (
        select(
            Deal.id.label("deal_id"),
            Deal.owner_id,
            Deal.region_id,
            Deal.stage_id,
            Deal.company_amount.label("amount"),
        )
        .join(Stage, Stage.id == Deal.stage_id)
        .where(
            Deal.status == DealStatus.OPEN,
            Deal.company_amount.is_not(None),
            *_commit_level(commit_probability),
        )
        .subquery()
    )


def start_snapshot_id(session: Session, period: Period) -> int | None:
    """The company row of the period's first snapshot, which holds its committed deals."""
    return session.scalar(
        select(ForecastSnapshot.id)
        .where(
            ForecastSnapshot.period == period.label,
            ForecastSnapshot.period_start == period.start,
            ForecastSnapshot.level == SnapshotLevel.COMPANY,
            ForecastSnapshot.at_period_start.is_(True),
        )
        .order_by(ForecastSnapshot.taken_on, ForecastSnapshot.id)
        .limit(1)
    )


def committed_at_start(session: Session, period: Period, commit_probability: float) -> Subquery:
    """The deals committed at the start of `period` (columns deal_id, owner_id, region_id,
    stage_id, amount): as frozen by its first snapshot; for a period never snapshotted (older
    than the snapshot history, or not begun), rebuilt from the stage history with today's
    settings."""
    snapshot_id = start_snapshot_id(session, period)
    if snapshot_id is None:
        return committed_from_history([period.start], commit_probability)
    frozen = ForecastSnapshotDeal
    return (
        select(frozen.deal_id, frozen.owner_id, frozen.region_id, frozen.stage_id, frozen.amount)
        .where(frozen.snapshot_id == snapshot_id)
        .subquery()
    )


def _freeze_deals(session: Session, snapshot_ids: list[int], committed: Subquery) -> int:
    """Copy the committed deals to each of the snapshots, in the database (INSERT ... SELECT);
    with a `start` column, each snapshot takes the deals of its period's start."""
    if not snapshot_ids:
        return 0
    # computed once, then matched to the snapshots (the planner would otherwise walk the stage
    # history again for every snapshot: the first run at 1 M deals took 139 s instead of 29 s)
    deals = select(committed).cte("committed_deals").prefix_with("MATERIALIZED")
    on: ColumnElement[bool] = ForecastSnapshot.id.in_(snapshot_ids)
    if "start" in deals.c:
        on = and_(on, ForecastSnapshot.period_start == deals.c.start)
    rows = (
        select(
            ForecastSnapshot.id,
            deals.c.deal_id,
            deals.c.owner_id,
            deals.c.region_id,
            deals.c.stage_id,
            deals.c.amount,
        )
        .select_from(deals)
        .join(ForecastSnapshot, on)
    )
    session.execute(
        insert(ForecastSnapshotDeal).from_select(
            ["snapshot_id", "deal_id", "owner_id", "region_id", "stage_id", "amount"], rows
        )
    )
    # counted, not taken from the cursor: not every driver reports rows of INSERT ... SELECT
    return session.execute(
        select(func.count()).where(ForecastSnapshotDeal.snapshot_id.in_(snapshot_ids))
    ).scalar_one()


# --- taking snapshots ---------------------------------------------------------------------


class SnapshotRun(BaseModel):
    """What one run of take_snapshots froze."""

    taken_on: date
    periods: list[str] = []
    rows: int = 0
    committed_deals: int = 0
    reconstructed: list[str] = []


def _entity_id(row: AttainmentRow) -> int:
    if row.level == SnapshotLevel.COMPANY:
        return COMPANY_ENTITY
    return int(row.key.rpartition(":")[2])


def _snapshot_rows(session: Session, period: Period, today: date) -> list[dict]:
    """The period's figures of the company, every region and every rep: one attainment report
    per level, as the system (an administrator) sees them."""
    out = []
    for level in SnapshotLevel:
        for row in attainment_report(session, SYSTEM_ACTOR, period, level.value, today=today):
            out.append(
                {
                    "taken_on": today,
                    "period": period.label,
                    "period_start": period.start,
                    "period_end": period.end,
                    "level": level.value,
                    "entity_id": _entity_id(row),
                    "entity": row.label,
                    "reconstructed": False,
                    **{name: getattr(row, name) for name in FIGURES},
                    "weighted": row.weighted_pipeline,
                    "probability": (
                        row.probability.quantize(RATIO) if row.probability is not None else None
                    ),
                }
            )
    return out


def _company_row_id(session: Session, period: Period, taken_on: date) -> int:
    """The company row of the period's snapshot just taken (every snapshot has one)."""
    return session.execute(
        select(ForecastSnapshot.id).where(
            ForecastSnapshot.taken_on == taken_on,
            ForecastSnapshot.period == period.label,
            ForecastSnapshot.level == SnapshotLevel.COMPANY,
            ForecastSnapshot.entity_id == COMPANY_ENTITY,
        )
    ).scalar_one()


Figures = dict[tuple[str, date], list[dict]]
"""The rows a run freezes, by period (label, start)."""


def snapshot_figures(session: Session, today: date) -> Figures:
    """The figures this week's run would freeze, for each period still due: reads only, so
    they can be computed before the writing transaction begins (see run_snapshots)."""
    periods = current_periods(today, fiscal_start_month(session))
    return {
        (p.label, p.start): _snapshot_rows(session, p, today)
        for p in _due_periods(session, today, periods)
    }


def _take_current(
    session: Session,
    today: date,
    periods: list[Period],
    started: set[tuple[str, date]],
    commit_probability: float,
    figures: Figures,
) -> SnapshotRun:
    """This week's figures of the due periods; the committed deals of those that start now."""
    run = SnapshotRun(taken_on=today)
    rows: list[dict] = []
    starting: list[Period] = []
    for period in periods:
        at_start = (period.label, period.start) not in started and today < (
            period.start + LATE_AFTER
        )
        read = figures.get((period.label, period.start))
        if read is None:
            read = _snapshot_rows(session, period, today)
        rows.extend({**row, "at_period_start": at_start} for row in read)
        run.periods.append(period.label)
        if at_start:
            starting.append(period)
            started.add((period.label, period.start))
    if rows:
        session.execute(insert(ForecastSnapshot), rows)
    run.rows = len(rows)
    ids = [_company_row_id(session, p, today) for p in starting]
    run.committed_deals = _freeze_deals(session, ids, _committed_now(commit_probability))
    return run


def _rebuild_starts(
    session: Session, periods: list[Period], commit_probability: float, run: SnapshotRun
) -> None:
    """Freeze the committed deals of period starts never snapshotted, rebuilt from the stage
    history in one INSERT ... SELECT; a start without any committed deal is not kept."""
    if not periods:
        return
    session.execute(
        insert(ForecastSnapshot),
        [
            {
                "taken_on": p.start,
                "period": p.label,
                "period_start": p.start,
                "period_end": p.end,
                "level": SnapshotLevel.COMPANY.value,
                "entity_id": COMPANY_ENTITY,
                "entity": "company",
                "at_period_start": True,
                "reconstructed": True,
            }
            for p in periods
        ],
    )
    ids = {
        (label, start): snapshot_id
        for snapshot_id, label, start in session.execute(
            select(
                ForecastSnapshot.id, ForecastSnapshot.period, ForecastSnapshot.period_start
            ).where(
                ForecastSnapshot.level == SnapshotLevel.COMPANY,
                ForecastSnapshot.reconstructed.is_(True),
                ForecastSnapshot.taken_on.in_({p.start for p in periods}),
                ForecastSnapshot.period.in_([p.label for p in periods]),
            )
        )
    }
    new_ids = [ids[(p.label, p.start)] for p in periods]
    starts = sorted({p.start for p in periods})
    _freeze_deals(session, new_ids, committed_from_history(starts, commit_probability))
    counts = dict(
        session.execute(
            select(ForecastSnapshotDeal.snapshot_id, func.count())
            .where(ForecastSnapshotDeal.snapshot_id.in_(new_ids))
            .group_by(ForecastSnapshotDeal.snapshot_id)
        ).all()
    )
    empty = [i for i in new_ids if not counts.get(i)]
    if empty:  # nothing committed: leave the start open for history imported later
        session.execute(delete(ForecastSnapshot).where(ForecastSnapshot.id.in_(empty)))
    run.committed_deals += sum(counts.values())
    run.reconstructed.extend(p.label for p in periods if counts.get(ids[(p.label, p.start)]))


def take_snapshots(
    session: Session,
    today: date | None = None,
    *,
    commit_probability: float,
    figures: Figures | None = None,
) -> SnapshotRun:
    """Freeze this week's forecast of the current month, quarter and fiscal year (company,
    regions, reps) unless already taken, the committed deals of a period that starts, and the
    missing period starts of the snapshot history. Idempotent within a week; a run that loses
    a race with another one adds nothing. `commit_probability` is the scorecard's commit
    benchmark: the stage probability from which a deal counts as committed. `figures` (from
    snapshot_figures) are the periods' rows read beforehand; a due period without them is
    read here."""
    today = today or clock.today()
    if not 0 < commit_probability <= 1:
        raise ValidationFailed(_("The commit probability must be above 0 and at most 1."))
    fiscal_start = fiscal_start_month(session)
    history = _history_periods(today, fiscal_start)
    due = _due_periods(session, today, current_periods(today, fiscal_start))
    started = {
        (label, start)
        for label, start in session.execute(
            select(ForecastSnapshot.period, ForecastSnapshot.period_start).where(
                ForecastSnapshot.level == SnapshotLevel.COMPANY,
                ForecastSnapshot.at_period_start.is_(True),
                ForecastSnapshot.period_start >= history[0].start,
            )
        )
    }
    try:
        with session.begin_nested():
            run = _take_current(session, today, due, started, commit_probability, figures or {})
            unseen = [
                p
                for p in history
                if (p.label, p.start) not in started
                and (p.end < today or today >= p.start + LATE_AFTER)
            ]
            _rebuild_starts(session, unseen, commit_probability, run)
    except IntegrityError:
        return SnapshotRun(taken_on=today)  # another run took them at the same moment
    return run


def run_snapshots(
    read: sessionmaker[Session],
    write: sessionmaker[Session],
    today: date | None = None,
    *,
    commit_probability: float,
) -> SnapshotRun:
    """A run as the app and the command line make it: the figures (seconds of reading at a
    million deals) are read first, then one short transaction freezes them with the committed
    deals, so that on SQLite other writers wait a fraction of a second, not the whole run. A
    change committed between the two steps shows at the next week's run."""
    today = today or clock.today()
    with read() as session:
        figures = snapshot_figures(session, today)
    with write.begin() as session:
        return take_snapshots(
            session, today, commit_probability=commit_probability, figures=figures
        )
