"""Attainment: where the company, a region (with its subtree) or a rep stands in a period.

Every amount comes from core.progress.figures (won, open pipeline, targets); every derived
figure from core.progress.forecast:
- Attainment = won / target, undefined without a target; gap = target - won.
- Expected to date follows the monthly targets (ended months in full, this month by day);
  pace = won / expected to date; run-rate projection = won / elapsed days x period days.
- Open pipeline: open deals expected to close in the rest of the period (overdue deals, whose
  expected close has passed, are shown apart and count in no period); weighted by the stage's
  configured probability; split by forecast category (commit, best case, pipeline, omitted).
- Forecast = won + weighted pipeline; coverage = open pipeline / remaining gap. A period that
  has ended has neither: only its result.
- Probability of making the number: the Monte Carlo simulation of core.progress.calibration.

"today" is a parameter everywhere (default clock.today()) so results are reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.errors import PermissionDenied, ValidationFailed
from core.i18n import _, month_label
from core.models import Actor, BreakdownRow, ForecastCategory, Period, Role, ScopeFigures
from core.org.access import ensure_active, in_scope
from core.org.regions import RegionTree, load_region_tree
from core.progress import figures, forecast
from core.progress.calibration import (
    SIMULATED_DEALS,
    StageCalibration,
    by_deal,
    largest_open,
    simulate_entity,
    stage_calibration,
)
from core.progress.entity_targets import monthly_targets
from core.progress.scopes import (
    Entity,
    Scope,
    company_entity,
    depth_first,
    region_entity,
    region_named,
    rep_entities,
    rep_entity,
    scope_entity,
)
from db.schema import Deal, Person

ZERO = Decimal(0)
LEVELS = ("company", "region", "rep")


class AttainmentRow(BaseModel):
    """Where one entity (the company, a region with its subtree, or a rep) stands in a period.

    Money in currency with cents, ratios as fractions (0.8731); None where undefined (no target,
    no elapsed time, no gap left, a period that has ended has no forecast).
    """

    level: str
    key: str
    entity: str
    label: str
    parent_key: str | None = None
    period: str
    ended: bool = False
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
    overdue: Decimal = ZERO
    overdue_deals: int = 0
    commit: Decimal
    best_case: Decimal
    pipeline: Decimal
    omitted: Decimal
    forecast: Decimal | None
    forecast_attainment: Decimal | None
    coverage: Decimal | None
    probability: Decimal | None = None
    p10: Decimal | None = None
    p50: Decimal | None = None
    p90: Decimal | None = None
    simulated_deals: int = 0
    tail_deals: int = 0


def _keys_of(entity: Entity, present) -> list:
    if entity.base_keys is None:
        return list(present)
    return [k for k in entity.base_keys if k in present]


def _restricted(base: Any, entities: Sequence[Entity], where: Sequence) -> list:
    """`where` plus the base keys of the entities (nothing more when one is everything)."""
    keys: set[int] = set()
    for entity in entities:
        if entity.base_keys is None:
            return list(where)
        keys |= entity.base_keys
    return [base.in_(keys), *where]


def attainment_rows(
    session: Session,
    period: Period,
    entities: Sequence[Entity],
    *,
    by: str,
    where: Sequence = (),
    today: date,
    rep_regions: frozenset[int] | None = None,
    simulate: bool = True,
    calibration: list[StageCalibration] | None = None,
) -> list[AttainmentRow]:
    """The figures of entities that share a base key ("region" or "owner"), in a few GROUP BYs.

    Region-level figures are grouped by the credited region and rolled up over the subtree in
    Python (the region tree is small); the only per-deal rows read are the largest open deals
    for the simulation, at most SIMULATED_DEALS per base key."""
    if not entities:
        return []
    base = figures.KEYS[by]
    scoped = _restricted(base, entities, where)
    won = figures.won(session, period, by=by, where=scoped)
    pipeline = figures.open_pipeline(
        session, period, today, by=by, where=scoped, squares=simulate and period.end >= today
    )
    late = figures.overdue(session, today, by=by, where=scoped) if period.end >= today else {}
    targets = monthly_targets(session, period, entities, rep_regions)
    probabilities = figures.stage_probabilities(session)
    ended = period.end < today
    simulate = simulate and not ended
    if simulate:
        calibration = calibration or stage_calibration(session, today)
        calibrated = {c.stage_id: c.calibrated for c in calibration}
        largest = (
            largest_open(session, period, today, base=base, where=scoped, single=len(entities) == 1)
            if pipeline
            else {}
        )
    out = []
    for entity in entities:
        won_here = sum((won[k] for k in _keys_of(entity, won)), figures.WonTally())
        open_here = figures.OpenPipeline()
        for k in _keys_of(entity, pipeline):
            open_here = open_here.plus(pipeline[k])
        late_here = sum((late[k] for k in _keys_of(entity, late)), figures.Tally())
        weighted = open_here.weighted(probabilities)
        monthly = targets.get(entity.key)
        target = figures.total(monthly)
        expected = (
            forecast.expected_to_date(monthly, today, period) if monthly is not None else None
        )
        gap = target - won_here.amount if target is not None else None
        projected = None if ended else won_here.amount + weighted
        categories = open_here.by_category
        row = AttainmentRow(
            level=entity.level,
            key=entity.key,
            entity=entity.entity,
            label=entity.label,
            parent_key=entity.parent_key,
            period=period.label,
            ended=ended,
            target=target,
            won=won_here.amount,
            won_deals=won_here.deals,
            attainment=forecast.ratio(won_here.amount, target),
            expected_to_date=expected,
            pace=forecast.pace(won_here.amount, expected),
            gap=gap,
            run_rate=forecast.run_rate_projection(won_here.amount, period.start, period.end, today),
            open_pipeline=open_here.amount,
            weighted_pipeline=weighted,
            open_deals=open_here.deals,
            overdue=late_here.amount,
            overdue_deals=late_here.deals,
            commit=categories.get(ForecastCategory.COMMIT, ZERO),
            best_case=categories.get(ForecastCategory.BEST_CASE, ZERO),
            pipeline=categories.get(ForecastCategory.PIPELINE, ZERO),
            omitted=categories.get(ForecastCategory.OMITTED, ZERO),
            forecast=projected,
            forecast_attainment=forecast.ratio(projected, target),
            coverage=None if ended else forecast.coverage(open_here.amount, gap),
        )
        if simulate:
            candidates = by_deal(largest[k] for k in _keys_of(entity, largest))
            result, simulated, tail = simulate_entity(
                won_here.amount, target, [open_here], candidates, calibrated, SIMULATED_DEALS
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


def rows_for_reps(
    session: Session,
    period: Period,
    entities: Sequence[Entity],
    region_ids: frozenset[int] | None,
    today: date,
    simulate: bool = True,
    calibration: list[StageCalibration] | None = None,
) -> list[AttainmentRow]:
    """Reps' rows; within `region_ids` only the deals credited there and the targets planned
    there count (a rep who moved keeps the old months in the old region)."""
    return attainment_rows(
        session,
        period,
        entities,
        by="owner",
        where=[Deal.region_id.in_(region_ids)] if region_ids is not None else [],
        today=today,
        rep_regions=region_ids,
        simulate=simulate,
        calibration=calibration,
    )


def rows_for_regions(
    session: Session,
    period: Period,
    entities: Sequence[Entity],
    today: date,
    simulate: bool = True,
    calibration: list[StageCalibration] | None = None,
) -> list[AttainmentRow]:
    """The company's or regions' rows (each region with its subtree)."""
    company_only = len(entities) == 1 and entities[0].base_keys is None
    return attainment_rows(
        session,
        period,
        entities,
        by="company" if company_only else "region",
        today=today,
        simulate=simulate,
        calibration=calibration,
    )


def rep_rows(
    session: Session,
    person_ids: Sequence[int],
    period: Period,
    *,
    today: date,
    simulate: bool = False,
) -> list[AttainmentRow]:
    """Rows of the given reps, in their order (every deal and target row of theirs counts)."""
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(person_ids)))}
    entities = [rep_entity(people[pid]) for pid in person_ids if pid in people]
    return rows_for_reps(session, period, entities, None, today, simulate)


def report_entities(
    session: Session,
    actor: Actor,
    period: Period,
    by: str,
    *,
    region: str | None = None,
    today: date,
) -> tuple[list[Entity], frozenset[int] | None]:
    """Who a report shows and, for reps, the regions whose deals and targets count: the
    company; every region (each with its subtree) in the tree or under `region`; or every rep
    with a target, a win or open pipeline there in the period. Refused outside the actor's
    scope, and to a deactivated user."""
    ensure_active(actor)
    if by not in LEVELS:
        raise ValidationFailed(
            _("Unknown level '{by}': choose company, region or rep.").format(by=by)
        )
    tree = load_region_tree(session)
    region_id = region_named(tree, region) if region else None
    if region_id is not None and not in_scope(actor, region_id):
        raise PermissionDenied(_("You can only see figures of regions you manage."))
    if by == "company":
        if region_id is not None:
            raise ValidationFailed(_("--region applies to --by region or --by rep, not company."))
        if not actor.sees_everything:
            raise PermissionDenied(_("Only directors and admins see the company's figures."))
        return [company_entity(tree)], None
    if by == "region":
        if actor.role == Role.REP:
            raise PermissionDenied(_("You can only see figures of regions you manage."))
        if region_id is not None:
            tops = [region_id]
        elif actor.sees_everything:
            root = tree.root_id
            tops = tree.children.get(root, []) if root is not None else []
        else:
            scope = actor.scope_region_ids or frozenset()
            tops = [r for r in scope if tree.parents.get(r) not in scope]
        ordered = sorted(tops, key=lambda r: tree.names[r])
        ids = [r for top in ordered for r in depth_first(tree, top)]
        return [region_entity(tree, r) for r in ids], None
    if actor.role == Role.REP:
        mine = [e for e in rep_entities(session, period, None, today) if e.person_id == actor.id]
        return mine, None
    region_ids = rep_report_regions(actor, tree, region_id)
    return rep_entities(session, period, region_ids, today), region_ids


def rep_report_regions(
    actor: Actor, tree: RegionTree, region_id: int | None
) -> frozenset[int] | None:
    """The regions whose deals and targets count in a report by rep: `region_id`'s subtree,
    or the actor's scope (None: every region, for directors and admins)."""
    if region_id is not None:
        return frozenset(tree.subtree(region_id))
    return None if actor.sees_everything else (actor.scope_region_ids or frozenset())


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
    today = today or clock.today()
    entities, region_ids = report_entities(session, actor, period, by, region=region, today=today)
    if by in ("company", "region"):
        return rows_for_regions(session, period, entities, today, simulate)
    return rows_for_reps(session, period, entities, region_ids, today, simulate)


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
    today = today or clock.today()
    tree = load_region_tree(session)
    if simulate and calibration is None and period.end >= today:
        calibration = stage_calibration(session, today)
    if scope.person_id is not None:
        person = session.get(Person, scope.person_id)
        head = scope_entity(scope)
        if person is not None:
            head = replace(head, entity=person.email, key=f"rep:{person.id}")
        (row,) = rows_for_reps(session, period, [head], None, today, simulate, calibration)
        return row, []
    head = company_entity(tree) if scope.region_ids is None else scope_entity(scope)
    children = [c for top in scope.top_region_ids for c in tree.children.get(top, [])]
    if children:
        # The scope and its child regions from the same grouped rows (one set of queries).
        parts = [region_entity(tree, c) for c in children]
        row, *rows = rows_for_regions(session, period, [head, *parts], today, simulate, calibration)
        return row, rows
    (row,) = rows_for_regions(session, period, [head], today, simulate, calibration)
    region_ids = scope.region_ids or frozenset(
        r for top in scope.top_region_ids for r in tree.subtree(top)
    )
    reps = rep_entities(session, period, region_ids, today)
    return row, rows_for_reps(session, period, reps, region_ids, today, simulate, calibration)


# --- Home: the headline and its natural split --------------------------------------------------


def scope_figures(
    session: Session,
    scope: Scope,
    period: Period,
    *,
    today: date | None = None,
    tree: RegionTree | None = None,
) -> ScopeFigures:
    """Target, won, attainment and open pipeline of one scope for one period (the same row
    the Attainment page shows, without the simulation and without its parts). `tree`: the
    region tree if the caller has read it already."""
    today = today or clock.today()
    tree = tree or load_region_tree(session)
    if scope.person_id is not None:
        person = session.get(Person, scope.person_id)
        head = scope_entity(scope)
        if person is not None:
            head = replace(head, entity=person.email, key=f"rep:{person.id}")
        (row,) = rows_for_reps(session, period, [head], None, today, simulate=False)
    else:
        head = company_entity(tree) if scope.region_ids is None else scope_entity(scope)
        (row,) = rows_for_regions(session, period, [head], today, simulate=False)
    return ScopeFigures(
        scope=scope.label,
        period=period.label,
        target=row.target,
        won=row.won,
        attainment=row.attainment,
        open_pipeline=row.open_pipeline,
        weighted_pipeline=row.weighted_pipeline,
        open_deals=row.open_deals,
        won_deals=row.won_deals,
        overdue=row.overdue,
        overdue_deals=row.overdue_deals,
        ended=row.ended,
    )


def _breakdown_row(
    key: Any, label: str, monthly: dict[date, Decimal] | None, won: Decimal, today: date
) -> BreakdownRow:
    target = figures.total(monthly)
    return BreakdownRow(
        key=str(key),
        label=label,
        target=target,
        won=won,
        attainment=forecast.ratio(won, target),
        expected_to_date=forecast.expected_to_date(monthly, today) if monthly else None,
    )


def breakdown(
    session: Session,
    scope: Scope,
    period: Period,
    *,
    today: date | None = None,
    tree: RegionTree | None = None,
) -> list[BreakdownRow]:
    """The natural split of a scope into won vs target: company -> regions (each with its
    subtree), manager's area -> reps (their deals and targets in the area), rep -> months.
    Only won and targets are read (core.progress.figures), as the Home page shows no more;
    each part's expected to date comes from its monthly targets, as on Attainment. `tree`:
    the region tree if the caller has read it already."""
    today = today or clock.today()
    if scope.person_id is not None:
        where = [Deal.owner_id == scope.person_id]
        won = figures.won_by_month(session, period, by="company", where=where)
        targets = figures.rep_targets_by_month(session, period, [scope.person_id])
        mine = targets.get(scope.person_id, {})
        return [
            _breakdown_row(
                f"({m.year}, {m.month})",
                month_label(m),
                {m: mine[m]} if m in mine else None,
                won.get((None, m), ZERO),
                today,
            )
            for m in period.months()
        ]
    if scope.region_ids is not None:
        where = [Deal.region_id.in_(scope.region_ids)]
        won_by_rep = figures.won(session, period, by="owner", where=where)
        monthly = figures.rep_targets_by_month(
            session, period, None, within_regions=scope.region_ids
        )
        ids = set(won_by_rep) | set(monthly)
        people = select(Person.id, Person.name).where(Person.id.in_(ids))
        names = dict(session.execute(people).all())
        ordered = sorted(ids, key=lambda pid: names.get(pid, ""))
        return [
            _breakdown_row(
                pid,
                names.get(pid, f"#{pid}"),
                monthly.get(pid),
                won_by_rep.get(pid, figures.WonTally()).amount,
                today,
            )
            for pid in ordered
        ]
    tree = tree or load_region_tree(session)
    children = [c for p in scope.top_region_ids for c in tree.children.get(p, [])]
    parts = children or list(scope.top_region_ids)
    won_by_region = figures.won(session, period, by="region")
    regions = figures.region_targets_by_month(session, period, parts)
    return [
        _breakdown_row(
            region_id,
            tree.names[region_id],
            regions.get(region_id),
            sum(
                (won_by_region[r].amount for r in tree.subtree(region_id) if r in won_by_region),
                ZERO,
            ),
            today,
        )
        for region_id in parts
    ]
