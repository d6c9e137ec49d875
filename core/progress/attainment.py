"""Progress against target and the forecast, aggregated in SQL, for any period and level.

Rules:
- Target is the sum of the active plan's monthly targets (the newest approved or locked version
  of the fiscal year's plan). A region's target is its own rows; a rep's, the rep's rows.
- Won is the amount of deals won with a close date in the period, credited to the region stored
  on the deal (the owner's region at close) or to the owner.
- Attainment = won / target, undefined without a target; gap = target - won.
- Expected to date follows the monthly targets (ended months in full, this month by day);
  pace = won / expected to date; run-rate projection = won / elapsed days x period days.
- Open pipeline: open deals expected to close in the period; weighted by the stage's configured
  probability; split by forecast category (commit, best case, pipeline, omitted).
- Forecast = won + weighted pipeline; coverage = open pipeline / remaining gap.
- Probability of making the number: Monte Carlo (core.forecast) where each open deal of the
  period is won with its stage's probability calibrated from the stage history of recently
  closed deals; P10 / P50 / P90 of the final attainment.

"today" is a parameter everywhere (default date.today()) so results are reproducible.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.models import Actor, BreakdownRow, ForecastCategory, Period, Role, ScopeFigures
from core.org.access import ensure_can_view_person, in_scope
from core.org.regions import RegionTree, load_region_tree
from core.progress import forecast
from db.schema import (
    Customer,
    Deal,
    DealStageHistory,
    DealStatus,
    Person,
    PlanStatus,
    Stage,
    Target,
    TargetPlan,
)

CENT = Decimal("0.01")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Scope:
    """Whose figures: a set of regions (None = the whole company) or one rep."""

    label: str
    region_ids: frozenset[int] | None = None
    top_region_ids: tuple[int, ...] = ()
    person_id: int | None = None


def default_scope(session: Session, actor: Actor) -> Scope:
    """Rep: self; manager: the regions they manage; director and admin: the company."""
    tree = load_region_tree(session)
    if actor.role == Role.REP:
        return Scope(label=actor.name, person_id=actor.id)
    if actor.role == Role.MANAGER:
        ids = actor.scope_region_ids or frozenset()
        tops = tuple(r for r in ids if tree.parents.get(r) not in ids)
        label = ", ".join(sorted(tree.names[r] for r in tops)) or "No region"
        return Scope(label=label, region_ids=ids, top_region_ids=tops)
    root = tree.root_id
    return Scope(label=tree.names.get(root, "Company"), top_region_ids=(root,) if root else ())


def region_scope(session: Session, actor: Actor, region_id: int) -> Scope:
    """A region with its subtree, if the actor may see it."""
    if not in_scope(actor, region_id) or actor.role == Role.REP:
        raise PermissionDenied("You can only see figures of regions you manage.")
    tree = load_region_tree(session)
    return Scope(
        label=tree.names[region_id],
        region_ids=frozenset(tree.subtree(region_id)),
        top_region_ids=(region_id,),
    )


def rep_scope(session: Session, actor: Actor, person_id: int) -> Scope:
    person = session.get(Person, person_id)
    if person is None:
        raise PermissionDenied("No such person.")
    ensure_can_view_person(actor, person_id=person_id, region_id=person.region_id)
    return Scope(label=person.name, person_id=person_id)


def active_plan_id(session: Session, fiscal_year: int) -> int | None:
    """The newest approved or locked version of the fiscal year's plan."""
    return session.scalar(
        select(TargetPlan.id)
        .where(
            TargetPlan.fiscal_year == fiscal_year,
            TargetPlan.status.in_([PlanStatus.APPROVED, PlanStatus.LOCKED]),
        )
        .order_by(TargetPlan.version.desc())
        .limit(1)
    )


def _deal_filter(scope: Scope) -> list:
    if scope.person_id is not None:
        return [Deal.owner_id == scope.person_id]
    if scope.region_ids is not None:
        return [Deal.region_id.in_(scope.region_ids)]
    return []


def _target_total(session: Session, scope: Scope, period: Period) -> Decimal | None:
    plan_id = active_plan_id(session, period.fiscal_year)
    if plan_id is None:
        return None
    in_period = and_(Target.plan_id == plan_id, Target.month.between(period.start, period.end))
    if scope.person_id is not None:
        where = and_(in_period, Target.person_id == scope.person_id)
    else:
        where = and_(
            in_period, Target.person_id.is_(None), Target.region_id.in_(scope.top_region_ids)
        )
    total, rows = session.execute(select(func.sum(Target.amount), func.count()).where(where)).one()
    return _money(total) if rows else None


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def scope_figures(session: Session, scope: Scope, period: Period) -> ScopeFigures:
    """Target, won, attainment and open pipeline of one scope for one period."""
    filters = _deal_filter(scope)
    won, won_deals = session.execute(
        select(func.sum(Deal.amount), func.count()).where(
            Deal.status == DealStatus.WON,
            Deal.closed_on.between(period.start, period.end),
            *filters,
        )
    ).one()
    open_amount, weighted, open_deals = session.execute(
        select(func.sum(Deal.amount), func.sum(Deal.amount * Stage.probability), func.count())
        .join(Stage, Stage.id == Deal.stage_id)
        .where(
            Deal.status == DealStatus.OPEN,
            Deal.expected_close.between(period.start, period.end),
            *filters,
        )
    ).one()
    target = _target_total(session, scope, period)
    won = _money(won)
    return ScopeFigures(
        scope=scope.label,
        period=period.label,
        target=target,
        won=won,
        attainment=forecast.ratio(won, target),
        open_pipeline=_money(open_amount),
        weighted_pipeline=_money(weighted),
        open_deals=open_deals,
        won_deals=won_deals,
    )


def _rows(keys_labels, targets: dict, won: dict) -> list[BreakdownRow]:
    out = []
    for key, label in keys_labels:
        target = targets.get(key)
        amount = won.get(key, ZERO)
        out.append(
            BreakdownRow(
                key=str(key),
                label=label,
                target=target,
                won=amount,
                attainment=forecast.ratio(amount, target),
            )
        )
    return out


def _won_by_region(session: Session, period: Period, region_ids) -> dict[int, Decimal]:
    query = (
        select(Deal.region_id, func.sum(Deal.amount))
        .where(Deal.status == DealStatus.WON, Deal.closed_on.between(period.start, period.end))
        .group_by(Deal.region_id)
    )
    if region_ids is not None:
        query = query.where(Deal.region_id.in_(region_ids))
    return {region: _money(total) for region, total in session.execute(query)}


def won_vs_target_by_region(
    session: Session, parent_ids: tuple[int, ...], period: Period, tree: RegionTree | None = None
) -> list[BreakdownRow]:
    """Each child region of `parent_ids` (with its subtree) for the period."""
    tree = tree or load_region_tree(session)
    children = [c for p in parent_ids for c in tree.children.get(p, [])] or list(parent_ids)
    subtree = {c: tree.subtree(c) for c in children}
    won_by_node = _won_by_region(session, period, frozenset().union(*subtree.values()))
    won = {c: sum((won_by_node.get(r, ZERO) for r in ids), ZERO) for c, ids in subtree.items()}
    targets: dict[int, Decimal] = {}
    plan_id = active_plan_id(session, period.fiscal_year)
    if plan_id is not None:
        query = (
            select(Target.region_id, func.sum(Target.amount))
            .where(
                Target.plan_id == plan_id,
                Target.person_id.is_(None),
                Target.region_id.in_(children),
                Target.month.between(period.start, period.end),
            )
            .group_by(Target.region_id)
        )
        targets = {region: _money(total) for region, total in session.execute(query)}
    return _rows([(c, tree.names[c]) for c in children], targets, won)


def won_vs_target_by_rep(
    session: Session, region_ids: frozenset[int] | None, period: Period
) -> list[BreakdownRow]:
    """Each rep with a target or a win in the regions, for the period."""
    won_query = (
        select(Deal.owner_id, func.sum(Deal.amount))
        .where(Deal.status == DealStatus.WON, Deal.closed_on.between(period.start, period.end))
        .group_by(Deal.owner_id)
    )
    if region_ids is not None:
        won_query = won_query.where(Deal.region_id.in_(region_ids))
    won = {owner: _money(total) for owner, total in session.execute(won_query)}
    targets: dict[int, Decimal] = {}
    plan_id = active_plan_id(session, period.fiscal_year)
    if plan_id is not None:
        target_query = (
            select(Target.person_id, func.sum(Target.amount))
            .where(
                Target.plan_id == plan_id,
                Target.person_id.is_not(None),
                Target.month.between(period.start, period.end),
            )
            .group_by(Target.person_id)
        )
        if region_ids is not None:
            target_query = target_query.where(Target.region_id.in_(region_ids))
        targets = {person: _money(total) for person, total in session.execute(target_query)}
    ids = set(won) | set(targets)
    names = dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all())
    ordered = sorted(ids, key=lambda pid: names.get(pid, ""))
    return _rows([(pid, names.get(pid, f"#{pid}")) for pid in ordered], targets, won)


def won_vs_target_by_month(session: Session, person_id: int, period: Period) -> list[BreakdownRow]:
    """One rep's months in the period."""
    year, month_no = func.extract("year", Deal.closed_on), func.extract("month", Deal.closed_on)
    won_query = (
        select(year, month_no, func.sum(Deal.amount))
        .where(
            Deal.status == DealStatus.WON,
            Deal.closed_on.between(period.start, period.end),
            Deal.owner_id == person_id,
        )
        .group_by(year, month_no)
    )
    won = {(int(y), int(m)): _money(total) for y, m, total in session.execute(won_query)}
    targets: dict = {}
    plan_id = active_plan_id(session, period.fiscal_year)
    if plan_id is not None:
        target_query = (
            select(Target.month, func.sum(Target.amount))
            .where(
                Target.plan_id == plan_id,
                Target.person_id == person_id,
                Target.month.between(period.start, period.end),
            )
            .group_by(Target.month)
        )
        targets = {(m.year, m.month): _money(t) for m, t in session.execute(target_query)}
    keys = [((m.year, m.month), m.strftime("%b %Y")) for m in period.months()]
    return _rows(keys, targets, won)


def breakdown(session: Session, scope: Scope, period: Period) -> list[BreakdownRow]:
    """The natural split of a scope: company -> regions, manager's area -> reps, rep -> months."""
    if scope.person_id is not None:
        return won_vs_target_by_month(session, scope.person_id, period)
    if scope.region_ids is not None:
        return won_vs_target_by_rep(session, scope.region_ids, period)
    return won_vs_target_by_region(session, scope.top_region_ids, period)


# --- attainment, pace, pipeline and forecast for any period and level ---------------------
#
# Every figure is aggregated in SQL, grouped by a "base key": the deal's credited region
# (company and region levels; rolled up to subtrees in Python over the small region tree) or
# the deal's owner (rep level). The only per-deal rows read are the largest open deals of the
# period for the simulation: at most SIMULATED_DEALS per base key (one query, a window
# function), so a result never exceeds base keys x SIMULATED_DEALS rows. The remaining smaller
# open deals enter the simulation through per-stage sums (count, sum, sum of squares).

SIMULATED_DEALS = 200
"""Open deals per entity simulated one by one (the largest); the smaller rest is drawn as one
normal total per entity with the same mean and variance (central limit theorem)."""
CALIBRATION_DEALS = 20_000
"""Stage-to-won conversion is measured on this many of the most recently closed deals."""
LEVELS = ("company", "region", "rep")


class StageCalibration(BaseModel):
    """A stage's configured probability and the one calibrated from past deals."""

    stage_id: int
    stage: str
    configured: Decimal
    entered: int
    won: int
    calibrated: Decimal


class AttainmentRow(BaseModel):
    """Where one entity (the company, a region with its subtree, or a rep) stands in a period.

    Money in currency with cents, ratios as fractions (0.8731); None where undefined (no target,
    no elapsed time, no gap left).
    """

    level: str
    key: str
    entity: str
    label: str
    parent_key: str | None = None
    period: str
    target: Decimal | None
    won: Decimal
    won_deals: int
    attainment: Decimal | None
    expected_to_date: Decimal | None
    pace: Decimal | None
    gap: Decimal | None
    run_rate: Decimal | None
    open_pipeline: Decimal
    weighted_pipeline: Decimal
    open_deals: int
    commit: Decimal
    best_case: Decimal
    pipeline: Decimal
    omitted: Decimal
    forecast: Decimal
    forecast_attainment: Decimal | None
    coverage: Decimal | None
    probability: Decimal | None = None
    p10: Decimal | None = None
    p50: Decimal | None = None
    p90: Decimal | None = None
    simulated_deals: int = 0
    tail_deals: int = 0


@dataclass(frozen=True)
class _Entity:
    level: str
    key: str
    entity: str
    label: str
    base_keys: frozenset[int] | None  # region ids or {person id}; None = everything
    target_regions: tuple[int, ...] = ()
    person_id: int | None = None
    parent_key: str | None = None


@dataclass
class _Open:
    """Open deals of one base key expected to close in the period, by stage and category."""

    by_stage: dict[int, list] = field(default_factory=dict)  # stage -> [count, sum, sum_sq]
    by_category: dict[str, Decimal] = field(default_factory=dict)
    largest: list[tuple[float, int]] = field(default_factory=list)  # (amount, stage id)


def stage_calibration(
    session: Session, today: date | None = None, sample: int = CALIBRATION_DEALS
) -> list[StageCalibration]:
    """Per open stage: of the `sample` most recently closed deals (won or lost, closed up to
    today) that entered the stage, the share won, shrunk towards the configured probability
    (core.forecast.calibrated_probability). The sample bounds the work at any database size."""
    today = today or date.today()
    recent = (
        select(Deal.id, Deal.status)
        .where(Deal.closed_on <= today)  # status is checked outside: keeps the date index
        .order_by(Deal.closed_on.desc(), Deal.id.desc())
        .limit(sample)
        .subquery()
    )
    rows = session.execute(
        select(
            DealStageHistory.to_stage_id,
            recent.c.status,
            func.count(func.distinct(DealStageHistory.deal_id)),
        )
        .join(recent, recent.c.id == DealStageHistory.deal_id)
        .where(recent.c.status.in_([DealStatus.WON, DealStatus.LOST]))
        .group_by(DealStageHistory.to_stage_id, recent.c.status)
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for stage_id, status, n in rows:
        counts.setdefault(stage_id, {})[status] = int(n)
    out = []
    stages = session.execute(
        select(Stage.id, Stage.name, Stage.probability, Stage.is_won, Stage.is_lost).order_by(
            Stage.position
        )
    )
    for stage_id, name, configured, is_won, is_lost in stages:
        if is_won or is_lost:
            continue
        seen = counts.get(stage_id, {})
        won = seen.get(DealStatus.WON, 0)
        entered = won + seen.get(DealStatus.LOST, 0)
        configured = Decimal(configured)
        out.append(
            StageCalibration(
                stage_id=stage_id,
                stage=name,
                configured=configured,
                entered=entered,
                won=won,
                calibrated=forecast.calibrated_probability(entered, won, configured),
            )
        )
    return out


def _stage_probabilities(session: Session) -> dict[int, Decimal]:
    return {sid: Decimal(p) for sid, p in session.execute(select(Stage.id, Stage.probability))}


def _base_filter(base, entities: list[_Entity], extra: list) -> list:
    keys: set[int] = set()
    for entity in entities:
        if entity.base_keys is None:
            return list(extra)
        keys |= entity.base_keys
    return [base.in_(keys), *extra]


def _won_by_key(session, base, filters, period) -> dict[int, tuple[Decimal, int]]:
    query = (
        select(base, func.sum(Deal.amount), func.count())
        .where(Deal.status == DealStatus.WON, Deal.closed_on.between(period.start, period.end))
        .where(*filters)
        .group_by(base)
    )
    return {key: (_money(total), int(n)) for key, total, n in session.execute(query)}


def _open_filter(period: Period) -> list:
    return [Deal.status == DealStatus.OPEN, Deal.expected_close.between(period.start, period.end)]


def _open_by_key(session, base, filters, period, entities, largest: int) -> dict[int, _Open]:
    out: dict[int, _Open] = {}
    query = (
        select(
            base,
            Deal.stage_id,
            Deal.forecast_category,
            func.count(),
            func.sum(Deal.amount),
            func.sum(Deal.amount * Deal.amount),
        )
        .where(*_open_filter(period), *filters)
        .group_by(base, Deal.stage_id, Deal.forecast_category)
    )
    for key, stage_id, category, n, total, squares in session.execute(query):
        group = out.setdefault(key, _Open())
        sums = group.by_stage.setdefault(stage_id, [0, Decimal(0), 0.0])
        sums[0] += int(n)
        sums[1] += _money(total)
        sums[2] += float(squares or 0)
        group.by_category[category] = group.by_category.get(category, ZERO) + _money(total)
    if largest <= 0 or not out:
        return out
    if len(entities) == 1:
        # One entity: its largest deals overall (ORDER BY ... LIMIT, no window needed).
        rows = session.execute(
            select(base, Deal.amount, Deal.stage_id)
            .where(*_open_filter(period), *filters)
            .order_by(Deal.amount.desc(), Deal.id)
            .limit(largest)
        )
    else:
        rank = (
            func.row_number()
            .over(partition_by=base, order_by=(Deal.amount.desc(), Deal.id))
            .label("rank")
        )
        ranked = (
            select(base.label("key"), Deal.amount, Deal.stage_id, rank)
            .where(*_open_filter(period), *filters)
            .subquery()
        )
        rows = session.execute(
            select(ranked.c.key, ranked.c.amount, ranked.c.stage_id).where(ranked.c.rank <= largest)
        )
    for key, amount, stage_id in rows:
        out[key].largest.append((float(amount), stage_id))
    return out


def _monthly_targets(
    session, period, entities: list[_Entity], rep_regions: frozenset[int] | None
) -> dict[str, dict[date, Decimal]]:
    """Each entity's target by month (entities without target rows are left out). A rep's
    rows count only within `rep_regions` when given (a rep who moved keeps old months there)."""
    plan_id = active_plan_id(session, period.fiscal_year)
    if plan_id is None:
        return {}
    in_period = [Target.plan_id == plan_id, Target.month.between(period.start, period.end)]
    region_ids = {r for e in entities for r in e.target_regions}
    person_ids = {e.person_id for e in entities if e.person_id is not None}
    by_region: dict[int, dict[date, Decimal]] = {}
    by_person: dict[int, dict[date, Decimal]] = {}
    if region_ids:
        query = (
            select(Target.region_id, Target.month, func.sum(Target.amount))
            .where(*in_period, Target.person_id.is_(None), Target.region_id.in_(region_ids))
            .group_by(Target.region_id, Target.month)
        )
        for region, month, amount in session.execute(query):
            by_region.setdefault(region, {})[month] = _money(amount)
    if person_ids:
        query = (
            select(Target.person_id, Target.month, func.sum(Target.amount))
            .where(*in_period, Target.person_id.in_(person_ids))
            .group_by(Target.person_id, Target.month)
        )
        if rep_regions is not None:
            query = query.where(Target.region_id.in_(rep_regions))
        for person, month, amount in session.execute(query):
            by_person.setdefault(person, {})[month] = _money(amount)
    out: dict[str, dict[date, Decimal]] = {}
    for entity in entities:
        if entity.person_id is not None:
            sources = [by_person.get(entity.person_id)]
        else:
            sources = [by_region.get(r) for r in entity.target_regions]
        if not any(sources):
            continue
        months: dict[date, Decimal] = {}
        for source in sources:
            for month, amount in (source or {}).items():
                months[month] = months.get(month, ZERO) + amount
        out[entity.key] = months
    return out


def _keys_of(entity: _Entity, present) -> list[int]:
    if entity.base_keys is None:
        return list(present)
    return [k for k in entity.base_keys if k in present]


def _simulate(
    won: Decimal,
    target: Decimal | None,
    groups: list[_Open],
    calibrated: dict[int, Decimal],
    largest: int,
) -> tuple[forecast.Simulation, int, int]:
    """The entity's largest open deals one by one, the rest as a normal total per stage."""
    candidates = sorted((d for g in groups for d in g.largest), key=lambda d: -d[0])[:largest]
    stage_totals: dict[int, list] = {}
    for group in groups:
        for stage_id, (n, total, squares) in group.by_stage.items():
            sums = stage_totals.setdefault(stage_id, [0, 0.0, 0.0])
            sums[0] += n
            sums[1] += float(total)
            sums[2] += squares
    for amount, stage_id in candidates:
        sums = stage_totals[stage_id]
        sums[0] -= 1
        sums[1] -= amount
        sums[2] -= amount * amount
    tail_mean = tail_variance = 0.0
    tail_deals = 0
    for stage_id, (n, total, squares) in stage_totals.items():
        if n <= 0:
            continue
        p = float(calibrated.get(stage_id, 0))
        tail_deals += n
        tail_mean += p * max(total, 0.0)
        tail_variance += p * (1 - p) * max(squares, 0.0)
    result = forecast.simulate(
        won,
        target,
        [a for a, _ in candidates],
        [float(calibrated.get(s, 0)) for _, s in candidates],
        tail_mean=tail_mean,
        tail_variance=tail_variance,
    )
    return result, len(candidates), tail_deals


def _attainment_rows(
    session: Session,
    period: Period,
    entities: list[_Entity],
    *,
    base,
    filters: list,
    today: date,
    rep_regions: frozenset[int] | None = None,
    simulate: bool = True,
    calibration: list[StageCalibration] | None = None,
) -> list[AttainmentRow]:
    """The figures of entities that share a base key (region or owner), in a few GROUP BYs."""
    if not entities:
        return []
    where = _base_filter(base, entities, filters)
    won = _won_by_key(session, base, where, period)
    largest = SIMULATED_DEALS if simulate else 0
    pipeline = _open_by_key(session, base, where, period, entities, largest)
    targets = _monthly_targets(session, period, entities, rep_regions)
    configured = _stage_probabilities(session)
    if simulate:
        calibration = calibration or stage_calibration(session, today)
        calibrated = {c.stage_id: c.calibrated for c in calibration}
    out = []
    for entity in entities:
        won_keys = _keys_of(entity, won)
        won_amount = sum((won[k][0] for k in won_keys), ZERO)
        won_deals = sum(won[k][1] for k in won_keys)
        groups = [pipeline[k] for k in _keys_of(entity, pipeline)]
        open_amount, weighted, open_deals = ZERO, ZERO, 0
        categories: dict[str, Decimal] = {}
        for group in groups:
            for stage_id, (n, total, _) in group.by_stage.items():
                open_deals += n
                open_amount += total
                weighted += total * configured.get(stage_id, ZERO)
            for category, total in group.by_category.items():
                categories[category] = categories.get(category, ZERO) + total
        weighted = _money(weighted)
        monthly = targets.get(entity.key)
        target = _money(sum(monthly.values(), ZERO)) if monthly is not None else None
        expected = forecast.expected_to_date(monthly, today) if monthly is not None else None
        gap = target - won_amount if target is not None else None
        projected = won_amount + weighted
        row = AttainmentRow(
            level=entity.level,
            key=entity.key,
            entity=entity.entity,
            label=entity.label,
            parent_key=entity.parent_key,
            period=period.label,
            target=target,
            won=won_amount,
            won_deals=won_deals,
            attainment=forecast.ratio(won_amount, target),
            expected_to_date=expected,
            pace=forecast.pace(won_amount, expected),
            gap=gap,
            run_rate=forecast.run_rate_projection(won_amount, period.start, period.end, today),
            open_pipeline=open_amount,
            weighted_pipeline=weighted,
            open_deals=open_deals,
            commit=categories.get(ForecastCategory.COMMIT, ZERO),
            best_case=categories.get(ForecastCategory.BEST_CASE, ZERO),
            pipeline=categories.get(ForecastCategory.PIPELINE, ZERO),
            omitted=categories.get(ForecastCategory.OMITTED, ZERO),
            forecast=projected,
            forecast_attainment=forecast.ratio(projected, target),
            coverage=forecast.coverage(open_amount, gap),
        )
        if simulate:
            result, simulated, tail = _simulate(
                won_amount, target, groups, calibrated, SIMULATED_DEALS
            )
            row = row.model_copy(
                update={
                    "probability": result.probability,
                    "p10": forecast.ratio(result.p10, target),
                    "p50": forecast.ratio(result.p50, target),
                    "p90": forecast.ratio(result.p90, target),
                    "simulated_deals": simulated,
                    "tail_deals": tail,
                }
            )
        out.append(row)
    return out


# --- entities: who the rows are about --------------------------------------------------


def _company_entity(tree: RegionTree) -> _Entity:
    root = tree.root_id
    return _Entity(
        level="company",
        key="company",
        entity="company",
        label=tree.names.get(root, "Company") if root else "Company",
        base_keys=None,
        target_regions=(root,) if root else (),
    )


def _region_entity(tree: RegionTree, region_id: int) -> _Entity:
    parent = tree.parents.get(region_id)
    return _Entity(
        level="region",
        key=f"region:{region_id}",
        entity=tree.names[region_id],
        label=tree.names[region_id],
        base_keys=frozenset(tree.subtree(region_id)),
        target_regions=(region_id,),
        parent_key=f"region:{parent}" if parent is not None else None,
    )


def _depth_first(tree: RegionTree, region_id: int) -> list[int]:
    out = [region_id]
    for child in tree.children.get(region_id, []):
        out.extend(_depth_first(tree, child))
    return out


def _reps_in(
    session: Session, period: Period, region_ids: frozenset[int] | None
) -> list[tuple[int, str, str, int | None]]:
    """Reps with a target, a win or open pipeline in the period (within the regions)."""
    ids: set[int] = set()
    plan_id = active_plan_id(session, period.fiscal_year)
    if plan_id is not None:
        query = select(Target.person_id).where(
            Target.plan_id == plan_id,
            Target.person_id.is_not(None),
            Target.month.between(period.start, period.end),
        )
        if region_ids is not None:
            query = query.where(Target.region_id.in_(region_ids))
        ids |= set(session.scalars(query.distinct()))
    region_filter = [Deal.region_id.in_(region_ids)] if region_ids is not None else []
    won_owners = select(Deal.owner_id).where(
        Deal.status == DealStatus.WON,
        Deal.closed_on.between(period.start, period.end),
        *region_filter,
    )
    open_owners = select(Deal.owner_id).where(*_open_filter(period), *region_filter)
    ids |= set(session.scalars(won_owners.distinct()))
    ids |= set(session.scalars(open_owners.distinct()))
    if not ids:
        return []
    rows = session.execute(
        select(Person.id, Person.name, Person.email, Person.region_id)
        .where(Person.id.in_(ids))
        .order_by(Person.name)
    )
    return [tuple(r) for r in rows]


def _rep_entities(session, period, region_ids) -> list[_Entity]:
    return [
        _Entity(
            level="rep",
            key=f"rep:{pid}",
            entity=email,
            label=name,
            base_keys=frozenset([pid]),
            person_id=pid,
            parent_key=f"region:{region}" if region is not None else None,
        )
        for pid, name, email, region in _reps_in(session, period, region_ids)
    ]


def _rows_for_reps(session, period, entities, region_ids, today, simulate, calibration=None):
    filters = [Deal.region_id.in_(region_ids)] if region_ids is not None else []
    return _attainment_rows(
        session,
        period,
        entities,
        base=Deal.owner_id,
        filters=filters,
        today=today,
        rep_regions=region_ids,
        simulate=simulate,
        calibration=calibration,
    )


def _rows_for_regions(session, period, entities, today, simulate, calibration=None):
    return _attainment_rows(
        session,
        period,
        entities,
        base=Deal.region_id,
        filters=[],
        today=today,
        simulate=simulate,
        calibration=calibration,
    )


def _region_named(tree: RegionTree, name: str) -> int:
    for region_id, region_name in tree.names.items():
        if region_name.casefold() == name.strip().casefold():
            return region_id
    raise NotFound(f"No region named '{name}'.")


def attainment_report(
    session: Session,
    actor: Actor,
    period: Period,
    by: str,
    *,
    region: str | None = None,
    today: date | None = None,
    simulate: bool = True,
) -> list[AttainmentRow]:
    """One row per entity: the company; every region (each with its subtree) in the tree or
    under `region`; or every rep with a target, a win or open pipeline there in the period."""
    today = today or date.today()
    if by not in LEVELS:
        raise ValidationFailed(f"Unknown level '{by}': choose company, region or rep.")
    tree = load_region_tree(session)
    region_id = _region_named(tree, region) if region else None
    if region_id is not None and not in_scope(actor, region_id):
        raise PermissionDenied("You can only see figures of regions you manage.")
    if by == "company":
        if region_id is not None:
            raise ValidationFailed("--region applies to --by region or --by rep, not company.")
        if not actor.sees_everything:
            raise PermissionDenied("Only directors and admins see the company's figures.")
        return _rows_for_regions(session, period, [_company_entity(tree)], today, simulate)
    if by == "region":
        if actor.role == Role.REP:
            raise PermissionDenied("You can only see figures of regions you manage.")
        if region_id is not None:
            tops = [region_id]
        elif actor.sees_everything:
            tops = tree.children.get(tree.root_id, []) if tree.root_id else []
        else:
            scope = actor.scope_region_ids or frozenset()
            tops = [r for r in scope if tree.parents.get(r) not in scope]
        ids = [r for top in sorted(tops, key=tree.names.get) for r in _depth_first(tree, top)]
        entities = [_region_entity(tree, r) for r in ids]
        return _rows_for_regions(session, period, entities, today, simulate)
    if actor.role == Role.REP:
        entities = [e for e in _rep_entities(session, period, None) if e.person_id == actor.id]
        return _rows_for_reps(session, period, entities, None, today, simulate)
    if region_id is not None:
        region_ids: frozenset[int] | None = frozenset(tree.subtree(region_id))
    else:
        region_ids = None if actor.sees_everything else (actor.scope_region_ids or frozenset())
    entities = _rep_entities(session, period, region_ids)
    return _rows_for_reps(session, period, entities, region_ids, today, simulate)


def scope_attainment(
    session: Session,
    scope: Scope,
    period: Period,
    *,
    today: date | None = None,
    simulate: bool = True,
    calibration: list[StageCalibration] | None = None,
) -> tuple[AttainmentRow, list[AttainmentRow]]:
    """The scope's own row and its parts: the company or a region -> its child regions (or,
    for a region without children, its reps); a rep -> no parts."""
    today = today or date.today()
    tree = load_region_tree(session)
    if simulate and calibration is None:
        calibration = stage_calibration(session, today)
    if scope.person_id is not None:
        person = session.get(Person, scope.person_id)
        entity = _Entity(
            level="rep",
            key=f"rep:{scope.person_id}",
            entity=person.email if person else str(scope.person_id),
            label=scope.label,
            base_keys=frozenset([scope.person_id]),
            person_id=scope.person_id,
        )
        (row,) = _rows_for_reps(session, period, [entity], None, today, simulate, calibration)
        return row, []
    if scope.region_ids is None:
        head = _company_entity(tree)
    else:
        head = _Entity(
            level="region",
            key="scope",
            entity=scope.label,
            label=scope.label,
            base_keys=scope.region_ids,
            target_regions=scope.top_region_ids,
        )
    children = [c for top in scope.top_region_ids for c in tree.children.get(top, [])]
    if children:
        # The scope and its child regions from the same grouped rows (one set of queries).
        parts = [_region_entity(tree, c) for c in children]
        row, *rows = _rows_for_regions(
            session, period, [head, *parts], today, simulate, calibration
        )
        return row, rows
    (row,) = _rows_for_regions(session, period, [head], today, simulate, calibration)
    region_ids = scope.region_ids or frozenset(
        r for top in scope.top_region_ids for r in tree.subtree(top)
    )
    reps = _rep_entities(session, period, region_ids)
    return row, _rows_for_reps(session, period, reps, region_ids, today, simulate, calibration)


# --- series for charts and the drill-down -------------------------------------------------


def scope_parts(session: Session, scope: Scope) -> tuple[str, list[tuple[str, frozenset[int]]]]:
    """How a scope splits for the heatmap: ("region", [(name, subtree)...]) for the company or
    a region with children, ("rep", [(name, {id})...]) for a leaf region, ("", []) for a rep."""
    if scope.person_id is not None:
        return "", []
    tree = load_region_tree(session)
    children = [c for top in scope.top_region_ids for c in tree.children.get(top, [])]
    if children:
        return "region", [(tree.names[c], frozenset(tree.subtree(c))) for c in children]
    return "rep", []


def cumulative_won_vs_target(
    session: Session, scope: Scope, period: Period, *, today: date | None = None
) -> list[dict]:
    """Day by day through the period: cumulative won (up to today) and the cumulative target,
    which follows the monthly targets and grows evenly over the days of each month."""
    today = today or date.today()
    rows = session.execute(
        select(Deal.closed_on, func.sum(Deal.amount))
        .where(
            Deal.status == DealStatus.WON,
            Deal.closed_on.between(period.start, period.end),
            *_deal_filter(scope),
        )
        .group_by(Deal.closed_on)
    )
    won_by_day = {day: _money(total) for day, total in rows}
    entity = _scope_entity(session, scope)
    monthly = _monthly_targets(session, period, [entity], None).get(entity.key, {})
    out, won_total, target_total = [], ZERO, ZERO
    day = period.start
    while day <= period.end:
        days_in_month = calendar.monthrange(day.year, day.month)[1]
        target_total += monthly.get(day.replace(day=1), ZERO) / days_in_month
        won_total += won_by_day.get(day, ZERO)
        out.append(
            {
                "day": day,
                "won": won_total if day <= today else None,
                "target": _money(target_total) if monthly else None,
            }
        )
        day += timedelta(days=1)
    return out


def _scope_entity(session: Session, scope: Scope) -> _Entity:
    if scope.person_id is not None:
        return _Entity(
            level="rep",
            key="scope",
            entity=scope.label,
            label=scope.label,
            base_keys=frozenset([scope.person_id]),
            person_id=scope.person_id,
        )
    return _Entity(
        level="region",
        key="scope",
        entity=scope.label,
        label=scope.label,
        base_keys=scope.region_ids,
        target_regions=scope.top_region_ids,
    )


def monthly_by_part(
    session: Session, scope: Scope, period: Period, *, today: date | None = None
) -> list[dict]:
    """Won, target and attainment of each part of the scope (child region, or rep of a leaf
    region) in each month of the period: the rows of the region x month heatmap."""
    today = today or date.today()
    tree = load_region_tree(session)
    kind, _ = scope_parts(session, scope)
    if not kind:
        return []
    year, month_no = func.extract("year", Deal.closed_on), func.extract("month", Deal.closed_on)
    if kind == "region":
        children = [c for top in scope.top_region_ids for c in tree.children.get(top, [])]
        parts = [_region_entity(tree, c) for c in children]
        base, filters, rep_regions = Deal.region_id, [], None
    else:
        region_ids = scope.region_ids or frozenset(
            r for top in scope.top_region_ids for r in tree.subtree(top)
        )
        parts = _rep_entities(session, period, region_ids)
        base, filters, rep_regions = Deal.owner_id, [Deal.region_id.in_(region_ids)], region_ids
    where = _base_filter(base, parts, filters)
    query = (
        select(base, year, month_no, func.sum(Deal.amount))
        .where(
            Deal.status == DealStatus.WON,
            Deal.closed_on.between(period.start, period.end),
            *where,
        )
        .group_by(base, year, month_no)
    )
    won: dict[tuple[int, date], Decimal] = {}
    for key, y, m, total in session.execute(query):
        won[(key, date(int(y), int(m), 1))] = _money(total)
    targets = _monthly_targets(session, period, parts, rep_regions)
    out = []
    for part in parts:
        keys = _keys_of(part, {k for k, _ in won})
        for month in period.months():
            amount = sum((won.get((k, month), ZERO) for k in keys), ZERO)
            target = targets.get(part.key, {}).get(month)
            out.append(
                {
                    "part": part.label,
                    "month": month,
                    "won": amount,
                    "target": target,
                    # A month that has not started has no attainment yet.
                    "attainment": None if month > today else forecast.ratio(amount, target),
                    "future": month > today,
                }
            )
    return out


def rep_deals(session: Session, actor: Actor, person_id: int, period: Period) -> list[dict]:
    """One rep's deals of the period: won in it, or open and expected to close in it (the last
    level of the drill-down). Bounded by one rep's deals in one period."""
    rep_scope(session, actor, person_id)  # refuses people outside the actor's area

    rows = session.execute(
        select(
            Deal.id,
            Deal.name,
            Customer.name,
            Stage.name,
            Deal.status,
            Deal.forecast_category,
            Deal.amount,
            Stage.probability,
            Deal.expected_close,
            Deal.closed_on,
        )
        .join(Stage, Stage.id == Deal.stage_id)
        .join(Customer, Customer.id == Deal.customer_id)
        .where(
            Deal.owner_id == person_id,
            ((Deal.status == DealStatus.WON) & Deal.closed_on.between(period.start, period.end))
            | (
                (Deal.status == DealStatus.OPEN)
                & Deal.expected_close.between(period.start, period.end)
            ),
        )
        .order_by(Deal.status.desc(), Deal.amount.desc())
    )
    out = []
    for row in rows:
        deal_id, name, customer, stage, status, category, amount, chance, expected, closed = row
        amount, probability = _money(amount), Decimal(chance)
        out.append(
            {
                "deal_id": deal_id,
                "deal": name,
                "customer": customer,
                "stage": stage,
                "status": status,
                "forecast_category": category,
                "amount": amount,
                "stage_probability": probability,
                "weighted": _money(amount * probability) if status == DealStatus.OPEN else amount,
                "close_date": closed or expected,
            }
        )
    return out


# --- the attainment page in one call ------------------------------------------------------


def scope_choices(session: Session, actor: Actor) -> list[tuple[str, str]]:
    """(key, label) of the scopes the actor may pick: the company (directors, admins), the
    regions in their area indented by depth, or just themselves (reps)."""
    if actor.role == Role.REP:
        return [(f"rep:{actor.id}", actor.name)]
    tree = load_region_tree(session)
    out: list[tuple[str, str]] = []
    if actor.sees_everything:
        name = tree.names.get(tree.root_id, "Company")
        out.append(("company", name if "company" in name.lower() else f"{name} (company)"))
        tops = tree.children.get(tree.root_id, []) if tree.root_id else []
    else:
        scope = actor.scope_region_ids or frozenset()
        tops = sorted((r for r in scope if tree.parents.get(r) not in scope), key=tree.names.get)
        if len(tops) > 1:
            out.append(("default", "All my regions"))
    for top in tops:
        top_depth = len(tree.path(top))
        for region_id in _depth_first(tree, top):
            indent = "\u2003" * (len(tree.path(region_id)) - top_depth)
            out.append((f"region:{region_id}", f"{indent}{tree.names[region_id]}"))
    return out


def scope_for(session: Session, actor: Actor, key: str) -> Scope:
    """The Scope behind a key from scope_choices ("default" = the role's default scope)."""
    if key == "default":
        return default_scope(session, actor)
    if key == "company":
        if not actor.sees_everything:
            raise PermissionDenied("Only directors and admins see the company's figures.")
        return default_scope(session, actor)
    kind, _, value = key.partition(":")
    if kind == "region" and value.isdigit():
        return region_scope(session, actor, int(value))
    if kind == "rep" and value.isdigit():
        return rep_scope(session, actor, int(value))
    raise ValidationFailed(f"Unknown scope '{key}'.")


class AttainmentView(BaseModel):
    """Everything the attainment page shows for one scope and period."""

    scope_label: str
    period: Period
    today: date
    head: AttainmentRow
    part_kind: str
    parts: list[AttainmentRow]
    calibration: list[StageCalibration]
    cumulative: list[dict]
    heatmap: list[dict]
    trials: int = forecast.TRIALS
    simulated_deals: int = SIMULATED_DEALS


def attainment_view(
    session: Session, actor: Actor, scope_key: str, period: Period, *, today: date | None = None
) -> AttainmentView:
    """Headline figures, parts (child regions or reps), cumulative series and heatmap rows."""
    today = today or date.today()
    scope = scope_for(session, actor, scope_key)
    calibration = stage_calibration(session, today)
    head, parts = scope_attainment(session, scope, period, today=today, calibration=calibration)
    kind = "" if scope.person_id is not None else (parts[0].level if parts else "region")
    return AttainmentView(
        scope_label=scope.label,
        period=period,
        today=today,
        head=head,
        part_kind=kind,
        parts=parts,
        calibration=calibration,
        cumulative=cumulative_won_vs_target(session, scope, period, today=today),
        heatmap=monthly_by_part(session, scope, period, today=today),
    )
