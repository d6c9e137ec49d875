"""Target readers: the active plan of a fiscal year and its monthly target rows, by region or
by rep (core.progress.figures re-exports them; its docstring defines a target).

- The active plan of a fiscal year, measure and product line is its newest approved or locked
  version.
- A region's target is its own rows (not its reps'); a rep's target is the rep's rows,
  optionally only those planned in some regions (a rep who moved).
- A week reads the months it touches, each from the active plan of its own fiscal year, and
  keeps the week's working-day part of each.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from core import planning
from core.i18n import _
from core.models import COUNT_MEASURES, Measure, Period, measure_of
from core.progress.amounts import CENT, money
from core.progress.spans import covering, period_index
from db.schema import PlanStatus, Target, TargetPlan


def _no_index(column: Any) -> Any:
    """`+column`: the same value, but no index is used for a condition on it."""
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def active_plan_id(
    session: Session,
    fiscal_year: int,
    measure: object = Measure.REVENUE,
    product_line: str | None = "",
) -> int | None:
    """The newest approved or locked version of the fiscal year's plan of a measure and
    product line (empty: the company's own plan of every line)."""
    return session.scalar(_active_plan(fiscal_year, measure, product_line))


def _active_plan(fiscal_year: int, measure: object, product_line: str | None) -> Select:
    """The query of `active_plan_id` (a target query folds it in as a subquery)."""
    return (
        select(TargetPlan.id)
        .where(
            TargetPlan.fiscal_year == fiscal_year,
            TargetPlan.measure == measure_of(measure).value,
            TargetPlan.product_line == (product_line or ""),
            TargetPlan.status.in_([PlanStatus.APPROVED, PlanStatus.LOCKED]),
        )
        .order_by(TargetPlan.version.desc())
        .limit(1)
    )


def _target_rows(
    session: Session,
    period: Period,
    key: Any,
    conditions: Sequence,
    measure: object,
    product_line: str | None,
) -> dict[Any, dict[date, Decimal]]:
    """key -> month -> the period's part of that month's target rows of the active plan.

    A month, quarter or year reads whole months. A week reads the months it touches, each
    from the active plan of its own fiscal year, and keeps the week's working-day part of
    each (`planning.spread_over_weeks`: a month's weeks add up to the month)."""
    week = period.kind == "week"
    if week:
        years = (period.fiscal_year - 1, period.fiscal_year, period.fiscal_year + 1)
        plan_ids = [p for y in years if (p := active_plan_id(session, y, measure, product_line))]
        if not plan_ids:
            return {}
        plan: Any = Target.plan_id.in_(plan_ids)
    else:  # the plan lookup inside the target query (one statement)
        active = _active_plan(period.fiscal_year, measure, product_line)
        plan = Target.plan_id == active.scalar_subquery()
    months = period.months()
    query = (
        select(key, Target.month, func.sum(Target.amount))
        .where(
            plan,
            Target.month.between(months[0], period.end),
            *conditions,
        )
        .group_by(key, Target.month)
    )
    unit = Decimal(1) if measure_of(measure) in COUNT_MEASURES else CENT
    out: dict[Any, dict[date, Decimal]] = {}
    rows = [(owner, month, money(amount)) for owner, month, amount in session.execute(query)]
    rows = [row for row in rows if row[0] is not None]
    if week:  # each month's rows cut at once (planning.week_parts, vectorised)
        by_month: dict[date, list[tuple[Any, Decimal]]] = {}
        for owner, month, value in rows:
            by_month.setdefault(month, []).append((owner, value))
        rows = []
        for month, cells in by_month.items():
            parts = planning.week_parts(month, [v for __, v in cells], period.start, unit)
            rows += [(owner, month, part) for (owner, __), part in zip(cells, parts, strict=True)]
    for owner, month, value in rows:
        out.setdefault(owner, {})[month] = value
    return out


def _target_totals(
    session: Session,
    periods: Sequence[Period],
    key: Any,
    conditions: Sequence,
    measure: object,
    product_line: str | None,
) -> list[dict[Any, Decimal]]:
    """key -> the sum of its target rows in each of adjacent periods (oldest first), added up
    in SQL: one statement per fiscal year, each from its own active plan. A week keeps its
    working-day part of each month (`_target_rows`)."""
    if any(p.kind == "week" for p in periods):
        return [
            {k: sum(m.values(), Decimal(0)) for k, m in by_month.items()}
            for by_month in (
                _target_rows(session, p, key, conditions, measure, product_line) for p in periods
            )
        ]
    out: list[dict[Any, Decimal]] = [{} for __ in periods]
    for year in sorted({p.fiscal_year for p in periods}):
        indexed = [(i, p) for i, p in enumerate(periods) if p.fiscal_year == year]
        span = [p for __, p in indexed]
        active = _active_plan(year, measure, product_line).scalar_subquery()
        side = period_index(Target.month, span)
        query = (
            select(key, side, func.sum(Target.amount))
            .where(
                Target.plan_id == active,
                Target.month.between(span[0].start, covering(span).end),
                *conditions,
            )
            .group_by(key, side)
        )
        for owner, index, amount in session.execute(query):
            out[indexed[int(index)][0]][owner] = money(amount)
    return out


def rep_target_totals(
    session: Session,
    periods: Sequence[Period],
    person_ids: Iterable[int] | None,
    *,
    measure: object = Measure.REVENUE,
    product_line: str | None = "",
) -> list[dict[int, Decimal]]:
    """Each rep's target in each of adjacent `periods` (oldest first): the sum of
    `rep_targets_by_month` over the period's months, added up in SQL for thousands of reps at
    once (reps without rows left out; every rep with rows when `person_ids` is None)."""
    conditions: list = [Target.person_id.is_not(None)]
    if person_ids is not None:
        ids = set(person_ids)
        if not ids:
            return [{} for __ in periods]
        conditions.append(Target.person_id.in_(ids))
    return _target_totals(session, periods, Target.person_id, conditions, measure, product_line)


def region_target_totals(
    session: Session,
    periods: Sequence[Period],
    region_ids: Iterable[int],
    *,
    measure: object = Measure.REVENUE,
    product_line: str | None = "",
) -> list[dict[int, Decimal]]:
    """Each region's own target (its region rows) in each of adjacent `periods`: the sum of
    `region_targets_by_month` over the period's months, added up in SQL."""
    ids = set(region_ids)
    if not ids:
        return [{} for __ in periods]
    conditions = [Target.person_id.is_(None), Target.region_id.in_(ids)]
    return _target_totals(session, periods, Target.region_id, conditions, measure, product_line)


def region_targets_by_month(
    session: Session,
    period: Period,
    region_ids: Iterable[int],
    *,
    measure: object = Measure.REVENUE,
    product_line: str | None = "",
) -> dict[int, dict[date, Decimal]]:
    """Each region's own target rows of the period, by month (regions without rows left out),
    in the active plan of the measure and product line."""
    ids = set(region_ids)
    if not ids:
        return {}
    conditions = [Target.person_id.is_(None), Target.region_id.in_(ids)]
    return _target_rows(session, period, Target.region_id, conditions, measure, product_line)


def rep_targets_by_month(
    session: Session,
    period: Period,
    person_ids: Iterable[int] | None,
    *,
    within_regions: Iterable[int] | None = None,
    measure: object = Measure.REVENUE,
    product_line: str | None = "",
) -> dict[int, dict[date, Decimal]]:
    """Each rep's target rows of the period, by month (all reps with rows when `person_ids` is
    None); only rows planned in `within_regions` when given (a rep who moved keeps the months
    before the move in the old region). Reads the active plan of the measure and line."""
    conditions: list = [Target.person_id.is_not(None)]
    if person_ids is not None:
        ids = set(person_ids)
        if not ids:
            return {}
        conditions.append(Target.person_id.in_(ids))
    elif within_regions is not None:
        # every rep of some regions: read on ix_target_plan_region_month, not on the partial
        # uq_target_rep_month, which would read each rep-month row of the plan (`+person_id`
        # is SQLite's way of saying "no index on this term"; the same rows everywhere)
        conditions = [_no_index(Target.person_id).is_not(None)]
    if within_regions is not None:
        conditions.append(Target.region_id.in_(set(within_regions)))
    return _target_rows(session, period, Target.person_id, conditions, measure, product_line)


class TargetParts(NamedTuple):
    """A target of a month, quarter or year in the sums `forecast.expected_from_parts` needs."""

    total: Decimal
    before: Decimal
    """The months before today's month."""
    this_month: Decimal
    """Today's month."""


def rep_target_parts(
    session: Session,
    period: Period,
    person_ids: Iterable[int] | None,
    today: date,
    *,
    measure: object = Measure.REVENUE,
    product_line: str | None = "",
) -> dict[int, TargetParts]:
    """Each rep's target rows of the period (those of `rep_targets_by_month`; not a week),
    added up in SQL as the whole, the months before today's month and today's month: one row
    per rep, for the pace of thousands of reps at once."""
    if period.kind == "week":
        raise ValueError(_("A week's target is split by working days: read it by month instead."))
    conditions: list = [Target.person_id.is_not(None)]
    if person_ids is not None:
        ids = set(person_ids)
        if not ids:
            return {}
        conditions.append(Target.person_id.in_(ids))
    this_month = today.replace(day=1)
    active = _active_plan(period.fiscal_year, measure, product_line).scalar_subquery()
    query = (
        select(
            Target.person_id,
            func.sum(Target.amount),
            func.sum(case((Target.month < this_month, Target.amount))),
            func.sum(case((Target.month == this_month, Target.amount))),
        )
        .where(
            Target.plan_id == active,
            Target.month.between(period.months()[0], period.end),
            *conditions,
        )
        .group_by(Target.person_id)
    )
    return {
        owner: TargetParts(money(total), money(before), money(now))
        for owner, total, before, now in session.execute(query)
    }
