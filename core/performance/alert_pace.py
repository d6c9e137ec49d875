"""The pace and coverage rules, per rep for the fiscal quarter of today (see
core.performance.alerts for the rules in words).

Behind pace on other measures: every (measure, product line) series with an active plan in
the quarter's fiscal year besides the company's revenue plan (units, visits, deals created,
and each product line's plan) raises its own "behind pace" alert for a rep whose achieved /
expected to date is below the same `pace_below` threshold, once `pace_after_share` of the
quarter has passed. Figures come from core.progress.measures.measure_rows: one grouped call
per series for all the reps of the actor's area, never one per rep.

Each rule's condition is written once (`behind_pace`, `low_coverage`, `measure_behind`) and read
both by the alerts and by their count, through `pace_flags` (remembered for the session; the
revenue rules ask only for its revenue part, so a list of high-severity alerts reads no other
series). It reads only the figures the rules compare, for all the reps of the area at once,
from the same readers of core.progress the Attainment rows add up (`figures.won`,
`figures.open_amounts`, the rep target rows, `counts.achieved`): won and open pipeline to the
quarter's end against the target, achieved against expected to date. A rep without target rows
has no pace and no coverage, and no series is behind pace before `pace_after_share` of the
quarter has passed, so neither is read then."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import memo
from core.i18n import N_, _, period_name
from core.models import Actor, Measure, Period, Role
from core.org.company import fiscal_start_month
from core.performance.alert_settings import RULES, Alert, AlertThresholds
from core.periods import quarter_of
from core.plans.views import plan_series
from core.progress import counts, figures, forecast
from core.progress.amounts import ZERO
from core.progress.attainment import rep_rows
from core.progress.forecast import elapsed_days
from core.progress.measures import MeasureRow, measure_rows
from core.progress.scopes import rep_entity
from db.schema import Deal, Person


def rep_scope(actor: Actor, subjects=None) -> list:
    """The active reps of the actor's area (a rep: herself); only `subjects` when given."""
    base = [Person.role == Role.REP, Person.active.is_(True)]
    if subjects is not None:
        base.append(Person.id.in_(sorted(subjects)))
    if actor.sees_everything:
        return base
    if actor.role == Role.REP:
        return [*base, Person.id == actor.id]
    return [*base, Person.region_id.in_(actor.scope_region_ids or ())]


class RepPace(BaseModel):
    """A rep's quarter to date: the figures behind the pace and coverage rules."""

    person_id: int
    rep: str
    region_id: int | None
    period: str
    share_elapsed: float
    target: Decimal
    expected_to_date: Decimal
    won_to_date: Decimal
    pace: float | None
    remaining_gap: Decimal
    open_pipeline: Decimal
    coverage: float | None


def alert_quarter(session: Session, today: date) -> tuple[Period, float]:
    """The fiscal quarter of `today` and the share of its days gone (today included)."""
    period = quarter_of(today, fiscal_start_month(session))
    share = elapsed_days(period.start, period.end, today) / ((period.end - period.start).days + 1)
    return period, share


def rep_pace(session: Session, actor: Actor, today: date, subjects=None) -> list[RepPace]:
    """Pace and coverage of the reps in the actor's area for the fiscal quarter of `today`:
    the same rows as the Attainment page (core.progress.attainment), every deal and target
    row of the rep counted."""
    period, share = alert_quarter(session, today)
    reps = session.execute(
        select(Person.id, Person.name, Person.region_id).where(*rep_scope(actor))
    ).all()
    if subjects is not None:  # the area's own order, kept
        reps = [rep for rep in reps if rep[0] in subjects]
    if not reps:
        return []
    rows = {
        row.key: row
        for row in rep_rows(session, [r[0] for r in reps], period, today=today, simulate=False)
    }
    out = []
    for pid, name, region_id in reps:
        row = rows[f"rep:{pid}"]
        target = row.target or Decimal(0)
        expected = row.expected_to_date or Decimal(0)
        gap = max(target - row.won, Decimal(0))
        out.append(
            RepPace(
                person_id=pid,
                rep=name,
                region_id=region_id,
                period=period.label,
                share_elapsed=share,
                target=target,
                expected_to_date=expected,
                won_to_date=row.won,
                pace=float(row.pace) if row.pace is not None else None,
                remaining_gap=gap,
                open_pipeline=row.open_pipeline,
                coverage=float(row.coverage) if row.coverage is not None else None,
            )
        )
    return out


def behind_pace(share_elapsed: float, pace: float | None, limits: AlertThresholds) -> bool:
    """Behind pace: once `pace_after_share` of the quarter has gone, pace below `pace_below`."""
    return (
        share_elapsed >= limits.pace_after_share and pace is not None and pace < limits.pace_below
    )


def low_coverage(coverage: float | None, limits: AlertThresholds) -> bool:
    """Low coverage: open pipeline to the quarter's end below `coverage_below` x the gap."""
    return coverage is not None and coverage < limits.coverage_below


def measure_behind(has_target: bool, pace: Decimal | None, limits: AlertThresholds) -> bool:
    """Behind pace on another series (checked once `pace_after_share` of the quarter has gone):
    a target, and achieved / expected to date below `pace_below`."""
    return has_target and pace is not None and pace < Decimal(limits.pace_below)


def is_behind_pace(rep: RepPace, limits: AlertThresholds) -> bool:
    """The revenue behind-pace rule on a rep's row."""
    return behind_pace(rep.share_elapsed, rep.pace, limits)


def is_low_coverage(rep: RepPace, limits: AlertThresholds) -> bool:
    """The low-coverage rule on a rep's row."""
    return low_coverage(rep.coverage, limits)


def _as_float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _targets_of(
    session: Session, period: Period, reps: set[int], everyone: bool, measure, line: str, today
) -> dict[int, figures.TargetParts]:
    """The targets of the reps that have some in the series' active plan, in the parts the
    pace needs (for directors and admins read for every rep at once: the same rows, no list
    of ids)."""
    parts = figures.rep_target_parts(
        session, period, None if everyone else reps, today, measure=measure, product_line=line
    )
    return {pid: target for pid, target in parts.items() if pid in reps}


def _expected(target: figures.TargetParts, today: date) -> Decimal:
    return forecast.expected_from_parts(target.before, target.this_month, today)


class PaceFlags(NamedTuple):
    """The reps of an area that the pace and coverage rules raise an alert for."""

    behind: frozenset[int]
    """Behind pace on company revenue."""
    low: frozenset[int]
    """Low coverage."""
    series: dict[tuple[Measure, str], frozenset[int]]
    """Behind pace on each other (measure, product line) series."""


def pace_flags(
    session, actor, today, limits: AlertThresholds, subjects=None, *, series: bool = True
) -> PaceFlags:
    """Which reps the behind-pace (every measure) and low-coverage rules raise: the rules'
    own conditions on the figures they compare, read for every rep of the area at once (no
    row, no alert built). The reps' deals are read by owner (credit splits by their share), as
    on the Attainment rows; directors and admins read every owner's at once. With
    `series=False` the other measures' series are left empty (unread: the revenue rules alone
    need none of them). Each part is remembered for the session (or the page run's reads) until
    it writes (the list's two pace rules and the count ask for it)."""
    subjects_key = None if subjects is None else frozenset(subjects)
    key = (actor, today, limits.model_dump_json(), subjects_key)  # the actor with its scope
    behind, low = memo.remembered(
        session,
        ("revenue_flags", *key),
        lambda: _revenue_flags(session, actor, today, limits, subjects),
    )
    if not series:
        return PaceFlags(behind, low, {})
    other = memo.remembered(
        session,
        ("series_flags", *key),
        lambda: _series_flags(session, actor, today, limits, subjects),
    )
    return PaceFlags(behind, low, other)


def _area(session, actor, subjects, today):
    period, share = alert_quarter(session, today)
    reps = set(session.scalars(select(Person.id).where(*rep_scope(actor, subjects))))
    return period, share, reps, actor.sees_everything and subjects is None


def _revenue_flags(
    session, actor, today, limits: AlertThresholds, subjects
) -> tuple[frozenset[int], frozenset[int]]:
    """The reps behind pace and those with low coverage, on company revenue."""
    period, share, reps, everyone = _area(session, actor, subjects, today)
    paced = share >= limits.pace_after_share
    behind: set[int] = set()
    low: set[int] = set()
    targets = _targets_of(session, period, reps, everyone, Measure.REVENUE, "", today)
    if targets:
        where = [] if everyone else [Deal.owner_id.in_(sorted(targets))]
        won = figures.won(session, period, by="owner", where=where)
        pipeline = figures.open_amounts(session, period, today, by="owner", where=where)
        for pid, target in targets.items():
            won_to_date = won[pid].amount if pid in won else ZERO
            if paced:
                pace = forecast.pace(won_to_date, _expected(target, today))
                if behind_pace(share, _as_float(pace), limits):
                    behind.add(pid)
            open_amount = pipeline.get(pid, ZERO)
            gap = target.total - won_to_date  # target rows: a target
            if low_coverage(_as_float(forecast.coverage(open_amount, gap)), limits):
                low.add(pid)
    return frozenset(behind), frozenset(low)


def _series_flags(
    session, actor, today, limits: AlertThresholds, subjects
) -> dict[tuple[Measure, str], frozenset[int]]:
    """The reps behind pace on each other (measure, product line) series."""
    period, share, reps, everyone = _area(session, actor, subjects, today)
    paced = share >= limits.pace_after_share
    series: dict[tuple[Measure, str], frozenset[int]] = {}
    for measure, line in measure_series(session, period.fiscal_year) if paced else ():
        targets = _targets_of(session, period, reps, everyone, measure, line, today)
        if not targets:
            continue
        key = counts.measure_key(measure, "owner")
        where = [] if everyone else [key.in_(sorted(targets))]
        done = counts.achieved(
            session, period, measure, by="owner", where=where, product_line=line or None
        )
        flagged = set()
        for pid, target in targets.items():  # target rows: a target
            achieved = ZERO + done[pid] if pid in done else ZERO
            pace_of = forecast.pace(achieved, _expected(target, today))
            if measure_behind(True, pace_of, limits):
                flagged.add(pid)
        series[(measure, line)] = frozenset(flagged)
    return series


def rep_alert_counts(session, actor, today, limits: AlertThresholds) -> dict[str, int]:
    """How many behind-pace (every measure) and low-coverage alerts the rules raise."""
    flags = pace_flags(session, actor, today, limits)
    return {
        "behind_pace": len(flags.behind) + sum(len(ids) for ids in flags.series.values()),
        "low_coverage": len(flags.low),
    }


def rep_alerts(session, actor, today, limits: AlertThresholds, names, limit, subjects=None):
    """Behind pace and low coverage on company revenue: the whole Attainment row is read only
    for the reps the rules raise (`pace_flags`), and the rules checked again on it. With a
    `limit`, the raised reps are read in the area's order, `limit` at a time, until that many
    alerts are found (a director's digest reads 5 rows, not 2,000)."""
    flags = pace_flags(session, actor, today, limits, subjects, series=False)
    raised = flags.behind | flags.low
    if not raised:
        return []
    area = session.scalars(select(Person.id).where(*rep_scope(actor)))  # rep_pace's order
    pending = [pid for pid in area if pid in raised]
    step = limit or len(pending)
    out: list[Alert] = []
    for start in range(0, len(pending), step):
        for rep in rep_pace(session, actor, today, set(pending[start : start + step])):
            out.extend(_rep_alerts(rep, limits, names))
        if limit and len(out) >= limit:
            break
    return out[:limit] if limit else out


def _rep_alerts(rep: RepPace, limits: AlertThresholds, names) -> list[Alert]:
    """The behind-pace and low-coverage alerts of one rep's row."""
    out = []
    common = dict(
        subject_type="rep",
        subject_id=rep.person_id,
        subject=rep.rep,
        owner_id=rep.person_id,
        owner=rep.rep,
        region=names.get(rep.region_id, ""),
    )
    figures = {
        "period": rep.period,
        "target": str(rep.target),
        "expected_to_date": str(rep.expected_to_date),
        "won_to_date": str(rep.won_to_date),
        "pace": None if rep.pace is None else round(rep.pace, 3),
        "remaining_gap": str(rep.remaining_gap),
        "open_pipeline": str(rep.open_pipeline),
        "coverage": None if rep.coverage is None else round(rep.coverage, 2),
    }
    if is_behind_pace(rep, limits):
        out.append(
            Alert(
                key=f"behind_pace:rep:{rep.person_id}:{rep.period}",
                rule="behind_pace",
                rule_label=_(RULES["behind_pace"]),
                severity="high",
                message=_(
                    "Won {won} of {expected} expected by today in {period}: pace {pace} "
                    "(threshold {threshold}, {elapsed} of the quarter gone)."
                ).format(
                    won=f"{rep.won_to_date:,.0f}",
                    expected=f"{rep.expected_to_date:,.0f}",
                    period=period_name(rep.period),
                    pace=f"{rep.pace:.0%}",
                    threshold=f"{limits.pace_below:.0%}",
                    elapsed=f"{rep.share_elapsed:.0%}",
                ),
                figures=figures,
                **common,
            )
        )
    if is_low_coverage(rep, limits):
        out.append(
            Alert(
                key=f"low_coverage:rep:{rep.person_id}:{rep.period}",
                rule="low_coverage",
                rule_label=_(RULES["low_coverage"]),
                severity="high",
                message=_(
                    "Open pipeline {pipeline} to close by the end of {period} covers "
                    "{coverage} x the remaining gap of {gap} (threshold {threshold} x)."
                ).format(
                    pipeline=f"{rep.open_pipeline:,.0f}",
                    period=period_name(rep.period),
                    coverage=f"{rep.coverage:.1f}",
                    gap=f"{rep.remaining_gap:,.0f}",
                    threshold=f"{limits.coverage_below:g}",
                ),
                figures=figures,
                **common,
            )
        )
    return out


MEASURE_PACE = {
    ("revenue", True): N_(
        "Revenue of {line} behind pace: won {achieved} of {expected} expected by "
        "today (target {target} this quarter). Pace {pace}, threshold {threshold}."
    ),
    ("units", False): N_(
        "Units behind pace: {achieved} of {expected} expected by today (target "
        "{target} this quarter). Pace {pace}, threshold {threshold}."
    ),
    ("units", True): N_(
        "Units of {line} behind pace: {achieved} of {expected} expected by today "
        "(target {target} this quarter). Pace {pace}, threshold {threshold}."
    ),
    ("visits", False): N_(
        "Visits behind pace: {achieved} of {expected} expected by today (target "
        "{target} this quarter). Pace {pace}, threshold {threshold}."
    ),
    ("deals_created", False): N_(
        "Deals created behind pace: {achieved} of {expected} expected by "
        "today (target {target} this quarter). Pace {pace}, threshold {threshold}."
    ),
    ("deals_created", True): N_(
        "Deals created in {line} behind pace: {achieved} of {expected} "
        "expected by today (target {target} this quarter). Pace {pace}, threshold {threshold}."
    ),
}
"""A behind-pace alert on a measure other than company revenue (marked for translation)."""


def measure_series(session: Session, fiscal_year: int) -> list[tuple[Measure, str]]:
    """The year's series with an active plan, other than the company's revenue plan."""
    out = []
    for measure, line in plan_series(session, fiscal_year):
        if (measure, line) == (Measure.REVENUE.value, ""):
            continue
        if figures.active_plan_id(session, fiscal_year, measure, line) is not None:
            out.append((Measure(measure), line))
    return out


def measure_pace_message(row: MeasureRow, limits: AlertThresholds) -> str:
    """'Visits behind pace: 12 of 30 expected by today (target 60 this quarter). Pace 40%,
    threshold 80%.'"""
    template = _(MEASURE_PACE[(row.measure.value, bool(row.product_line))])
    pace = f"{row.pace or 0:.0%}"
    threshold = f"{limits.pace_below:.0%}"
    if pace == threshold:  # 79.8 % is below 80 %: do not read "pace 80%, threshold 80%"
        pace = f"{row.pace or 0:.1%}"
    return template.format(
        line=row.product_line,
        achieved=f"{row.achieved:,.0f}",
        expected=f"{row.expected_to_date or 0:,.0f}",
        target=f"{row.target or 0:,.0f}",
        pace=pace,
        threshold=threshold,
    )


def _measures_behind(
    session, actor, today, limits: AlertThresholds, subjects=None, limit: int | None = None
) -> list[tuple[Period, Measure, str, Person, MeasureRow]]:
    """The reps of the actor's area behind pace on another measure or product line: one
    `measure_rows` call per series for the reps `pace_flags` raises on it (never one per rep),
    the rule checked again on each row. With a `limit`, the series are walked in order and
    their raised reps read only until that many are found."""
    period, share = alert_quarter(session, today)
    if share < limits.pace_after_share:
        return []
    series = measure_series(session, period.fiscal_year)
    if not series:
        return []
    flags = pace_flags(session, actor, today, limits, subjects).series
    raised = set().union(*flags.values()) if flags else set()
    if not raised:
        return []
    people = session.scalars(
        select(Person).where(*rep_scope(actor, raised)).order_by(Person.name)
    ).all()
    by_id = {person.id: person for person in people}
    out: list[tuple[Period, Measure, str, Person, MeasureRow]] = []
    for measure, line in series:
        behind = [p for p in people if p.id in flags.get((measure, line), ())]
        start = 0
        while start < len(behind) and (limit is None or len(out) < limit):
            step = len(behind) if limit is None else limit - len(out)
            chunk = [rep_entity(p) for p in behind[start : start + step]]
            start += step
            for row in measure_rows(
                session, period, chunk, measure, by="owner", today=today, product_line=line
            ):
                if not measure_behind(row.target is not None, row.pace, limits):
                    continue
                out.append((period, measure, line, by_id[int(row.key.removeprefix("rep:"))], row))
    return out


def measure_pace_alerts(
    session, actor, today, limits: AlertThresholds, names, limit, subjects=None
) -> list[Alert]:
    """Behind pace on every other measure and product line with an active plan this quarter."""
    out: list[Alert] = []
    for period, measure, line, person, row in _measures_behind(
        session, actor, today, limits, subjects, limit or None
    ):
        out.append(
            Alert(
                key=f"behind_pace:rep:{person.id}:{period.label}:{measure.value}:{line}",
                rule="behind_pace",
                rule_label=_(RULES["behind_pace"]),
                severity="medium",
                subject_type="rep",
                subject_id=person.id,
                subject=person.name,
                owner_id=person.id,
                owner=person.name,
                region=names.get(person.region_id, ""),
                message=measure_pace_message(row, limits),
                figures={
                    "period": period.label,
                    "measure": measure.value,
                    "product_line": line,
                    "target": str(row.target),
                    "expected_to_date": str(row.expected_to_date),
                    "achieved": str(row.achieved),
                    "pace": round(float(row.pace or 0), 3),
                },
            )
        )
    return out[:limit] if limit else out
