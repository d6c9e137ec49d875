"""The scorecard's raw figures, read from the database for a period: won, lost, cycle days and
pipeline created (core.progress.figures), activities by type, the deals committed at the
period's start (core.progress.snapshots), the revenue target of the active plan, and the
targets of the count measures that have an active plan (units, visits, deals created: one
grouped call of core.progress.measures.measure_rows per measure for every rep or region at
once). core.evaluation scores them.

Of one product line (`product_line`): only deals of the line's products count (won, lost,
cycle time, pipeline created, committed at the start) and the targets are the line's own plans
(revenue, units, deals created); activities and visits have no product line and count in
full."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from core.evaluation import Benchmarks, CountFigure, RawFigures
from core.models import Measure, Period, Role
from core.org.regions import load_region_tree
from core.progress import counts as measure_counts
from core.progress import figures, measures, snapshots
from core.progress.scopes import Entity, region_entity
from db.schema import Activity, CreditSplit, Deal, DealStatus, Person
from db.sql_dates import days_between

COUNTED = (Measure.UNITS, Measure.DEALS_CREATED, Measure.VISITS)
"""The count measures whose targets the scorecard reads (instead of fixed benchmarks)."""


def _deal_figures(
    session: Session, period: Period, by: str, deal_filters: list
) -> dict[int, dict[str, Any]]:
    """Won, lost, cycle days and pipeline created of one period, by "owner" or "region", read
    through core.progress.figures (the explained scorecard of one rep)."""
    won = figures.won(session, period, by=by, where=deal_filters, cycle_days=True)
    lost = figures.lost(session, period, by=by, where=deal_filters)
    created = figures.created(session, period, by=by, where=deal_filters)
    out: dict[int, dict[str, Any]] = {}
    for entity in set(won) | set(lost) | set(created):
        tally = won.get(entity, figures.WonTally())
        out[entity] = {
            "won_amount": tally.amount,
            "won_deals": tally.deals,
            "lost_deals": lost.get(entity, figures.Tally()).deals,
            "cycle_days_total": tally.cycle_days,
            "pipeline_created": created.get(entity, figures.Tally()).amount,
        }
    return out


def _committed_at_start(
    session: Session, period: Period, key_name: str, ids, bench: Benchmarks, line: str = ""
) -> dict[int, dict[str, Any]]:
    """Amount of the deals committed at the period's start, by the owner or region they
    counted for then (only `ids` unless None), and the amount of those deals won within the
    period. The committed deals are the ones frozen by the period's first forecast snapshot
    (core.progress.snapshots), rebuilt from the stage history only for a period never
    snapshotted."""
    committed = snapshots.committed_at_start(session, period, bench.commit_probability)
    key = committed.c.owner_id if key_name == "owner" else committed.c.region_id
    won = and_(Deal.status == DealStatus.WON, Deal.closed_on.between(period.start, period.end))
    query = (
        select(
            key, func.sum(committed.c.amount), func.sum(case((won, Deal.company_amount), else_=0))
        )
        .join(Deal, Deal.id == committed.c.deal_id)
        .group_by(key)
    )
    if ids is not None:
        query = query.where(key.in_(ids))
    if line:
        query = query.where(measure_counts.in_line(line))
    return {
        entity: {"committed_at_start": Decimal(total or 0), "committed_won": Decimal(won or 0)}
        for entity, total, won in session.execute(query)
    }


ACTIVITY_FIELDS = {"visit": "visits", "call": "calls", "meeting": "meetings", "demo": "demos"}


def _sided_sums(
    session: Session, periods: Sequence[Period], by: str, conditions: list, day, columns
) -> dict[tuple[int, int], list]:
    """(owner or region, period index) -> the sums of `columns(amount)` and the count of priced
    deals, over the credit parts of core.progress.figures (a split deal counts for each credited
    person with that person's share): one statement per part for all the periods."""
    span = [day.between(periods[0].start, periods[-1].end), *conditions]
    out: dict[tuple[int, int], list] = {}
    for key, amount, where, split in figures.credit_parts(session, by, span, periods[-1]):
        inner = select(
            key.label("k"), figures.period_index(day, periods).label("side"), *columns(amount)
        ).select_from(Deal)
        if split:
            inner = inner.join(CreditSplit, CreditSplit.deal_id == Deal.id)
        rows = inner.where(*where).subquery()
        sums = [func.sum(c) for c in list(rows.c)[2:]]
        query = select(rows.c.k, rows.c.side, *sums, func.count(rows.c.amount))
        for row in session.execute(query.group_by(rows.c.k, rows.c.side)):
            values = list(row[2:])
            if not values[-1]:
                continue  # no priced deal
            total = out.setdefault((row[0], int(row[1])), [0] * len(values))
            for i, value in enumerate(values):
                total[i] += value or 0
    return out


def _deal_figures_by_period(
    session: Session, periods: Sequence[Period], by: str, deal_filters: list
) -> list[dict[int, dict[str, Any]]]:
    """By "owner" or "region" for adjacent periods at once: won (with cycle days), lost and
    created, one statement per figure kind for all the periods (the definitions of
    core.progress.figures: won and lost by close date, created by creation date)."""
    days = days_between(session, Deal.closed_on, Deal.created_on)
    won = _sided_sums(
        session,
        periods,
        by,
        [Deal.status == DealStatus.WON, *deal_filters],
        Deal.closed_on,
        lambda amount: [amount.label("amount"), case((amount.is_not(None), days)).label("d")],
    )
    lost = _sided_sums(
        session,
        periods,
        by,
        [Deal.status == DealStatus.LOST, *deal_filters],
        Deal.closed_on,
        lambda amount: [amount.label("amount")],
    )
    created = _sided_sums(
        session, periods, by, deal_filters, Deal.created_on, lambda amount: [amount.label("amount")]
    )
    out: list[dict[int, dict[str, Any]]] = [{} for __ in periods]
    for key in set(won) | set(lost) | set(created):
        amount, cycle, wn = won.get(key, (0, 0, 0))
        out[key[1]][key[0]] = {
            "won_amount": figures.money(amount),
            "won_deals": int(wn),
            "lost_deals": int(lost.get(key, (0, 0))[1]),
            "cycle_days_total": float(cycle or 0),
            "pipeline_created": figures.money(created.get(key, (0, 0))[0]),
        }
    return out


def _rep_activity_counts(
    session: Session, periods: Sequence[Period], person_ids: list[int] | None
) -> list[dict[int, dict[str, Any]]]:
    """Activities by rep and type for adjacent periods at once, seeking each rep's date range
    (every active rep when `person_ids` is None): one row per rep and period, a count per
    type (any other type counts as an email)."""
    reps = (
        select(Person.id).where(Person.role == Role.REP, Person.active.is_(True))
        if person_ids is None
        else person_ids
    )
    side = figures.period_index(Activity.occurred_on, periods).label("side")
    typed = [
        func.sum(case((Activity.type == kind, 1), else_=0)).label(field)
        for kind, field in ACTIVITY_FIELDS.items()
    ]
    query = (
        select(Activity.person_id, side, func.count().label("all"), *typed)
        .where(
            Activity.person_id.in_(reps),
            Activity.occurred_on.between(periods[0].start, periods[-1].end),
        )
        .group_by(Activity.person_id, side)
    )
    out: list[dict[int, dict[str, Any]]] = [{} for __ in periods]
    for row in session.execute(query).mappings():
        counts = {field: int(row[field]) for field in ACTIVITY_FIELDS.values()}
        counts["emails"] = int(row["all"]) - sum(counts.values())
        out[int(row["side"])][row["person_id"]] = counts
    return out


def _activity_counts(
    session: Session, period: Period, key, filters: list
) -> dict[int, dict[str, Any]]:
    query = (
        select(key, Activity.type, func.count())
        .join(Person, Person.id == Activity.person_id)
        .where(Activity.occurred_on.between(period.start, period.end))
        .group_by(key, Activity.type)
    )
    query = query.where(*filters)
    out: dict[int, dict[str, Any]] = {}
    for entity, kind, count in session.execute(query):
        out.setdefault(entity, {})[ACTIVITY_FIELDS.get(kind, "emails")] = int(count)
    return out


def _targets(
    session: Session, periods: Sequence[Period], *, by_rep: bool, ids, line: str = ""
) -> list[dict[int, Decimal]]:
    """Each rep's (or region's own) revenue target in each of adjacent periods (of a line's own
    plan): zero for one with target rows that add up to nothing, absent without rows."""
    if by_rep:
        return figures.rep_target_totals(session, periods, ids, product_line=line)
    return figures.region_target_totals(session, periods, ids or (), product_line=line)


def rep_figures(
    session: Session,
    period: Period,
    person_ids: list[int] | None,
    bench: Benchmarks,
    *,
    ranked: Sequence[int] = (),
    today: date | None = None,
    product_line: str = "",
) -> dict[int, RawFigures]:
    """Raw figures per rep (all reps with activity in the period when `person_ids` is None;
    the count-measure targets of `ranked` reps too), of one product line when given."""
    months = len(period.months())
    line = product_line
    deal_filters: list = [] if person_ids is None else [Deal.owner_id.in_(person_ids)]
    if line:
        deal_filters.append(measure_counts.in_line(line))
    activity_filters = [] if person_ids is None else [Activity.person_id.in_(person_ids)]
    deals = _deal_figures(session, period, "owner", deal_filters)
    acts = _activity_counts(session, period, Activity.person_id, activity_filters)
    committed = _committed_at_start(session, period, "owner", person_ids, bench, line)
    targets = _targets(session, [period], by_rep=True, ids=person_ids, line=line)[0]
    ids = person_ids if person_ids is not None else sorted(set(deals) | set(acts) | set(targets))
    if person_ids is None:
        ids = sorted(set(ids) | set(ranked))
    entities = [_person_entity(pid) for pid in ids]
    counts = count_targets(session, period, entities, "owner", line)
    out = {}
    for pid in ids:
        out[pid] = RawFigures(
            target=targets.get(pid),
            months=months,
            counts=counts.get(f"rep:{pid}", {}),
            **committed.get(pid, {}),
            **deals.get(pid, {}),
            **acts.get(pid, {}),
        )
    return out


def adjacent(before: Period, period: Period) -> bool:
    """Whether `before` ends the day before `period` starts (one date range covers both)."""
    return before.end + timedelta(days=1) == period.start


def rep_figures_by_period(
    session: Session,
    periods: Sequence[Period],
    person_ids: list[int] | None,
    bench: Benchmarks,
    *,
    ranked: Sequence[int] = (),
    today: date | None = None,
    product_line: str = "",
) -> list[dict[int, RawFigures]]:
    """`rep_figures` of adjacent periods (oldest first, e.g. the previous quarter and this one)
    in one pass: one date range split at each period's start, one statement per figure kind.
    Periods that are not adjacent, or whose fiscal years price deals at different budget
    rates, are read one by one."""
    one_pass = all(adjacent(a, b) for a, b in zip(periods, periods[1:], strict=False)) and all(
        figures.budget_rates(session, p) == figures.budget_rates(session, periods[-1])
        for p in periods
    )
    if not one_pass:
        return [
            rep_figures(
                session, p, person_ids, bench, ranked=ranked, today=today, product_line=product_line
            )
            for p in periods
        ]
    line = product_line
    deal_filters: list = [] if person_ids is None else [Deal.owner_id.in_(person_ids)]
    if line:
        deal_filters.append(measure_counts.in_line(line))
    deals = _deal_figures_by_period(session, periods, "owner", deal_filters)
    acts = _rep_activity_counts(session, periods, person_ids)
    revenue_targets = _targets(session, periods, by_rep=True, ids=person_ids, line=line)
    parts = []
    for index, period in enumerate(periods):
        committed = _committed_at_start(session, period, "owner", person_ids, bench, line)
        targets = revenue_targets[index]
        known = set(deals[index]) | set(acts[index]) | set(targets)
        ids = person_ids if person_ids is not None else sorted(known | set(ranked))
        parts.append((committed, targets, ids))
    everyone = sorted(set().union(*(part[2] for part in parts)))
    entities = [_person_entity(pid) for pid in everyone]
    counts = count_targets_by_period(session, periods, entities, "owner", line)
    out = []
    for index, (period, (starts, planned, ids)) in enumerate(zip(periods, parts, strict=True)):
        months = len(period.months())
        out.append(
            {
                pid: RawFigures(
                    target=planned.get(pid),
                    months=months,
                    counts=counts[index].get(f"rep:{pid}", {}),
                    **starts.get(pid, {}),
                    **deals[index].get(pid, {}),
                    **acts[index].get(pid, {}),
                )
                for pid in ids
            }
        )
    return out


def region_figures(
    session: Session,
    period: Period,
    region_ids: list[int],
    bench: Benchmarks,
    *,
    today: date | None = None,
    product_line: str = "",
) -> dict[int, RawFigures]:
    """Raw figures per region with its whole subtree: deals by the region credited, activities
    by the rep's region, targets from the region's own plan rows, reps = active reps; of one
    product line when given."""
    tree = load_region_tree(session)
    line = product_line
    entities = [region_entity(tree, r) for r in region_ids]
    counts = count_targets(session, period, entities, "region", line)
    months = len(period.months())
    nodes = frozenset().union(*(tree.subtree(r) for r in region_ids))
    everywhere = nodes | {tree.root_id} >= set(tree.names)
    deal_filters: list = [] if everywhere else [Deal.region_id.in_(nodes)]
    if line:
        deal_filters.append(measure_counts.in_line(line))
    activity_filters = [] if everywhere else [Person.region_id.in_(nodes)]
    deals = _deal_figures_by_period(session, [period], "region", deal_filters)[0]
    acts = _activity_counts(session, period, Person.region_id, activity_filters)
    scope = None if everywhere else nodes
    committed = _committed_at_start(session, period, "region", scope, bench, line)
    targets = _targets(session, [period], by_rep=False, ids=region_ids, line=line)[0]
    headcount = dict(
        session.execute(
            select(Person.region_id, func.count())
            .where(Person.role == Role.REP, Person.active.is_(True))
            .group_by(Person.region_id)
        ).all()
    )
    out = {}
    for region_id in region_ids:
        total = RawFigures(months=months, reps=0)
        for node in tree.subtree(region_id):
            total = total.plus(
                RawFigures(
                    months=months,
                    **committed.get(node, {}),
                    reps=int(headcount.get(node, 0)),
                    **deals.get(node, {}),
                    **acts.get(node, {}),
                )
            )
        total.target = targets.get(region_id)
        total.counts = counts.get(f"region:{region_id}", {})
        out[region_id] = total
    return out


def _person_entity(person_id: int) -> Entity:
    return Entity(
        level="rep",
        key=f"rep:{person_id}",
        entity="",
        label="",
        base_keys=frozenset([person_id]),
        person_id=person_id,
    )


def count_targets(
    session: Session,
    period: Period,
    entities: Sequence[Entity],
    by: str,
    product_line: str = "",
) -> dict[str, dict[str, CountFigure]]:
    """Entity key -> count measure -> its target and what was achieved, for the count measures
    with an active plan in the period's fiscal year (of the product line's own plans when
    given; visits, which have no line, always the company's): one
    `measures.measure_totals_by_period` call per measure for all the entities (entities without
    a target of a measure are left out); the same totals as `measure_rows`, without its pace
    and stretch."""
    return count_targets_by_period(session, [period], entities, by, product_line)[0]


def count_targets_by_period(
    session: Session,
    periods: Sequence[Period],
    entities: Sequence[Entity],
    by: str,
    product_line: str = "",
) -> list[dict[str, dict[str, CountFigure]]]:
    """`count_targets` of adjacent periods (oldest first): in one pass per measure when they
    lie in one fiscal year (its plans), else period by period."""
    if len({p.fiscal_year for p in periods}) > 1:
        return [count_targets(session, p, entities, by, product_line) for p in periods]
    out: list[dict[str, dict[str, CountFigure]]] = [{} for __ in periods]
    if not entities:
        return out
    for measure in COUNTED:
        line = "" if measure == Measure.VISITS else product_line
        if figures.active_plan_id(session, periods[-1].fiscal_year, measure, line) is None:
            continue
        totals = measures.measure_totals_by_period(
            session, periods, entities, measure, by=by, product_line=line
        )
        for part, period_totals in zip(out, totals, strict=True):
            for key, (target, achieved) in period_totals.items():
                part.setdefault(key, {})[measure.value] = CountFigure(
                    target=target, achieved=achieved
                )
    return out
