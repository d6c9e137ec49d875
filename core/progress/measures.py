"""Attainment on any measure: revenue, units, visits or deals created, overall or for one
product line, for any period down to an ISO week.

Every figure comes from core.progress.figures (`achieved`, the target rows) and every ratio
from core.progress.forecast, the same as revenue attainment:
- attainment = achieved / target (None without a target), gap = target - achieved;
- expected to date follows the target's months (a week's working days), pace = achieved /
  expected to date;
- the stretch levels of the active plan (percentages of the target) give each entity's
  stretch targets, marked on the charts.
A product line's target is its own plan's (a target set on a line counts won deals of every
product in the line). Visits count for the person who made them, in the person's region.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.errors import PermissionDenied, ValidationFailed
from core.i18n import _
from core.models import COUNT_MEASURES, Actor, Measure, Period, Role, measure_of
from core.org.access import ensure_active, in_scope
from core.org.regions import load_region_tree
from core.progress import counts, figures, forecast
from core.progress.attainment import rep_report_regions, report_entities
from core.progress.entity_targets import monthly_targets, target_totals
from core.progress.scopes import (
    Entity,
    default_scope,
    region_named,
    rep_entity,
    scope_entity,
)
from db.schema import Deal, Person, Product, TargetPlan

BY = ("company", "region", "rep", "product_line")
"""How `report targets` groups its rows."""
CENT = Decimal("0.01")


class MeasureRow(BaseModel):
    """Where one entity stands on one measure in a period (ratios as fractions, None where
    undefined: no target, nothing expected yet)."""

    level: str
    key: str
    entity: str
    label: str
    parent_key: str | None = None
    period: str
    measure: Measure
    product_line: str = ""
    target: Decimal | None
    achieved: Decimal
    attainment: Decimal | None
    gap: Decimal | None
    expected_to_date: Decimal | None
    pace: Decimal | None
    stretch: list[Decimal] = []
    """The stretch targets (target x each stretch level), lowest first."""


def stretch_levels(
    session: Session, fiscal_year: int, measure: object, product_line: str = ""
) -> list[Decimal]:
    """The active plan's stretch levels as percentages (110, 125), lowest first."""
    plan_id = figures.active_plan_id(session, fiscal_year, measure, product_line)
    if plan_id is None:
        return []
    levels = session.scalar(select(TargetPlan.stretch_levels).where(TargetPlan.id == plan_id))
    return sorted(Decimal(v) for v in levels or [])


def _stretch(target: Decimal, level: Decimal, measure: Measure) -> Decimal:
    """A stretch target: the target x the level, in cents, or whole (half up) for counts."""
    unit = Decimal(1) if measure in COUNT_MEASURES else CENT
    return (target * level / 100).quantize(unit, ROUND_HALF_UP)


def _restriction(measure: Measure, by: str, entities: Sequence[Entity]) -> list:
    keys: set[int] = set()
    for entity in entities:
        if entity.base_keys is None:
            return []
        keys |= entity.base_keys
    return [counts.measure_key(measure, by).in_(keys)]


def _achieved_and_targets(
    session: Session,
    period: Period,
    entities: Sequence[Entity],
    chosen: Measure,
    by: str,
    product_line: str,
    rep_regions: frozenset[int] | None,
) -> tuple[dict, dict]:
    """Base key -> what was achieved (one grouped query), entity key -> month -> target."""
    where = _restriction(chosen, by, entities)
    if rep_regions is not None and chosen != Measure.VISITS:
        where.append(Deal.region_id.in_(rep_regions))
    done = counts.achieved(
        session, period, chosen, by=by, where=where, product_line=product_line or None
    )
    targets = monthly_targets(
        session, period, entities, rep_regions, measure=chosen, product_line=product_line
    )
    return done, targets


def _whole(target: Decimal, chosen: Measure) -> Decimal:
    """A count measure's target in whole units (revenue keeps its cents)."""
    return target.quantize(Decimal(1)) if chosen in COUNT_MEASURES else target


def _achieved(entity: Entity, done: dict) -> Decimal:
    """What the entity's base keys achieved (every key when it is everything)."""
    keys = done if entity.base_keys is None else [k for k in entity.base_keys if k in done]
    return sum((done[k] for k in keys), Decimal(0))


def _target_and_achieved(
    entity: Entity, done: dict, monthly: dict | None, chosen: Measure
) -> tuple[Decimal | None, Decimal]:
    """An entity's target (whole for counts) and what its base keys achieved."""
    target = figures.total(monthly)
    return None if target is None else _whole(target, chosen), _achieved(entity, done)


def measure_totals(
    session: Session,
    period: Period,
    entities: Sequence[Entity],
    measure: object,
    *,
    by: str,
    product_line: str = "",
) -> dict[str, tuple[Decimal, Decimal]]:
    """Entity key -> (target, achieved) of `measure_rows`, for the entities with a target,
    without the pace, stretch and row of each (the leaderboard scores thousands of them)."""
    return measure_totals_by_period(
        session, [period], entities, measure, by=by, product_line=product_line
    )[0]


def measure_totals_by_period(
    session: Session,
    periods: Sequence[Period],
    entities: Sequence[Entity],
    measure: object,
    *,
    by: str,
    product_line: str = "",
) -> list[dict[str, tuple[Decimal, Decimal]]]:
    """`measure_totals` of adjacent periods of whole months in one fiscal year (oldest first:
    the leaderboard's previous quarter and this one) in one pass: one grouped query for what
    was achieved, split at each period's start, and the targets added up per period in SQL
    (`entity_targets.target_totals`)."""
    if not entities:
        return [{} for __ in periods]
    chosen = measure_of(measure)
    where = _restriction(chosen, by, entities)
    done = counts.achieved_by_period(
        session, periods, chosen, by=by, where=where, product_line=product_line or None
    )
    planned = target_totals(session, periods, entities, measure=chosen, product_line=product_line)
    out: list[dict[str, tuple[Decimal, Decimal]]] = []
    for achieved, targets in zip(done, planned, strict=True):
        part = {}
        for entity in entities:
            if (target := targets.get(entity.key)) is not None:
                part[entity.key] = (_whole(target, chosen), _achieved(entity, achieved))
        out.append(part)
    return out


def measure_rows(
    session: Session,
    period: Period,
    entities: Sequence[Entity],
    measure: object,
    *,
    by: str,
    today: date,
    product_line: str = "",
    rep_regions: frozenset[int] | None = None,
) -> list[MeasureRow]:
    """The rows of entities that share a base key ("company", "region" or "owner"): one
    grouped query for what was achieved and one for the targets. Regions add up their
    subtree in Python, as revenue attainment does. Reps within `rep_regions` count only the
    deals credited there and the targets planned there (visits have no region: all count)."""
    if not entities:
        return []
    chosen = measure_of(measure)
    done, targets = _achieved_and_targets(
        session, period, entities, chosen, by, product_line, rep_regions
    )
    levels = stretch_levels(session, period.fiscal_year, chosen, product_line)
    out = []
    for entity in entities:
        monthly = targets.get(entity.key)
        target, achieved = _target_and_achieved(entity, done, monthly, chosen)
        expected = forecast.expected_to_date(monthly, today, period) if monthly else None
        out.append(
            MeasureRow(
                level=entity.level,
                key=entity.key,
                entity=entity.entity,
                label=entity.label,
                parent_key=entity.parent_key,
                period=period.label,
                measure=chosen,
                product_line=product_line,
                target=target,
                achieved=achieved,
                attainment=forecast.ratio(achieved, target),
                gap=None if target is None else target - achieved,
                expected_to_date=expected,
                pace=forecast.pace(achieved, expected),
                stretch=[_stretch(target, v, chosen) for v in levels] if target else [],
            )
        )
    return out


def rep_entities_for(
    session: Session,
    period: Period,
    measure: Measure,
    region_ids: frozenset[int] | None,
    product_line: str,
) -> list[Entity]:
    """Reps with a target of the measure, or something achieved, in the period (within the
    regions)."""
    ids = set(
        figures.rep_targets_by_month(
            session,
            period,
            None,
            within_regions=region_ids,
            measure=measure,
            product_line=product_line,
        )
    )
    where: list[Any] = []
    if region_ids is not None and measure == Measure.VISITS:
        # the visits of the regions' people (by person id: the visits index leads with it)
        people_there = select(Person.id).where(Person.region_id.in_(region_ids))
        where.append(counts.measure_key(measure, "owner").in_(people_there))
    elif region_ids is not None:
        where.append(Deal.region_id.in_(region_ids))
    ids |= set(
        counts.achieved(
            session, period, measure, by="owner", where=where, product_line=product_line or None
        )
    )
    people = session.scalars(
        select(Person).where(Person.id.in_(ids or {0})).order_by(Person.name)
    ).all()
    return [rep_entity(p) for p in people if p.role == Role.REP or p.id in ids]


def targets_report(
    session: Session,
    actor: Actor,
    period: Period,
    measure: object = Measure.REVENUE,
    by: str = "company",
    *,
    region: str | None = None,
    product_line: str = "",
    today: date | None = None,
) -> list[MeasureRow]:
    """One row per entity on one measure: the company, each region (with its subtree), each
    rep, or each product line (of the actor's scope: the company for directors, a manager's
    regions, a rep's own figures). Refused outside the actor's scope."""
    today = today or clock.today()
    chosen = measure_of(measure)
    if by not in BY:
        raise ValidationFailed(
            _("Unknown grouping '{by}': choose {BY}.").format(by=by, BY=", ".join(BY))
        )
    if by == "product_line":
        return _line_rows(session, actor, period, chosen, today)
    if by == "rep":
        ensure_active(actor)
        tree = load_region_tree(session)
        region_id = region_named(tree, region) if region else None
        if region_id is not None and not in_scope(actor, region_id):
            raise PermissionDenied(_("You can only see figures of regions you manage."))
        region_ids = None
        if actor.role == Role.REP:
            person = session.get(Person, actor.id)
            entities = [rep_entity(person)] if person is not None else []
        else:
            region_ids = rep_report_regions(actor, tree, region_id)
            entities = rep_entities_for(session, period, chosen, region_ids, product_line)
        return measure_rows(
            session,
            period,
            entities,
            chosen,
            by="owner",
            today=today,
            product_line=product_line,
            rep_regions=region_ids,
        )
    entities, __ = report_entities(session, actor, period, by, region=region, today=today)
    return measure_rows(
        session,
        period,
        entities,
        chosen,
        by="company" if by == "company" else "region",
        today=today,
        product_line=product_line,
    )


def _line_rows(
    session: Session, actor: Actor, period: Period, measure: Measure, today: date
) -> list[MeasureRow]:
    """The actor's scope (the company, a manager's regions, a rep), once per product line of
    the catalogue."""
    ensure_active(actor)
    if measure == Measure.VISITS:
        raise ValidationFailed(_("Visits have no product line; read them by person or region."))
    scope = default_scope(session, actor)
    entity = scope_entity(scope)
    if scope.person_id is not None:
        by = "owner"
    else:
        by = "company" if entity.base_keys is None else "region"
    lines = session.scalars(
        select(Product.product_line).distinct().order_by(Product.product_line)
    ).all()
    out = []
    for line in lines:
        (row,) = measure_rows(
            session, period, [entity], measure, by=by, today=today, product_line=line
        )
        out.append(
            row.model_copy(
                update={
                    "level": "product_line",
                    "key": f"line:{line}",
                    "entity": line,
                    "label": line,
                }
            )
        )
    return out
