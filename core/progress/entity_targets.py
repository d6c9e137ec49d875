"""Each entity's target from the active plan's rows: a rep's is the rep's rows, a region's the
own rows of its target regions (core.progress.figures defines a target). By month for pace and
forecasts (`monthly_targets`), or added up per period in SQL for thousands of entities
(`target_totals`: the leaderboard, the scorecards)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from core.models import Period
from core.progress import figures
from core.progress.scopes import Entity

ZERO = Decimal(0)


def _sources(entities: Sequence[Entity]) -> tuple[set[int], set[int]]:
    """The regions whose own rows and the reps whose rows the entities' targets read."""
    regions = {r for e in entities for r in e.target_regions}
    people = {e.person_id for e in entities if e.person_id is not None}
    return regions, people


def monthly_targets(
    session: Session,
    period: Period,
    entities: Sequence[Entity],
    rep_regions: frozenset[int] | None,
    *,
    measure: object = "revenue",
    product_line: str = "",
) -> dict[str, dict[date, Decimal]]:
    """Each entity's target by month in the active plan of the measure and product line
    (entities without target rows are left out)."""
    region_ids, people_ids = _sources(entities)
    regions = figures.region_targets_by_month(
        session, period, region_ids, measure=measure, product_line=product_line
    )
    people = (
        figures.rep_targets_by_month(
            session,
            period,
            people_ids,
            within_regions=rep_regions,
            measure=measure,
            product_line=product_line,
        )
        if people_ids
        else {}
    )
    out: dict[str, dict[date, Decimal]] = {}
    for entity in entities:
        if entity.person_id is not None:
            sources = [people.get(entity.person_id)]
        else:
            sources = [regions.get(r) for r in entity.target_regions]
        if not any(sources):
            continue
        months: dict[date, Decimal] = {}
        for source in sources:
            for month, amount in (source or {}).items():
                months[month] = months.get(month, ZERO) + amount
        out[entity.key] = months
    return out


def target_totals(
    session: Session,
    periods: Sequence[Period],
    entities: Sequence[Entity],
    *,
    measure: object = "revenue",
    product_line: str = "",
) -> list[dict[str, Decimal]]:
    """Each entity's target in each of adjacent `periods` (oldest first): `monthly_targets`
    added up over the period's months, in SQL (entities without target rows in a period are
    left out of it). A rep's is the rep's rows, a region's the own rows of its target
    regions."""
    region_ids, people_ids = _sources(entities)
    regions = figures.region_target_totals(
        session, periods, region_ids, measure=measure, product_line=product_line
    )
    people = (
        figures.rep_target_totals(
            session, periods, people_ids, measure=measure, product_line=product_line
        )
        if people_ids
        else [{} for __ in periods]
    )
    out: list[dict[str, Decimal]] = []
    for of_regions, of_people in zip(regions, people, strict=True):
        part: dict[str, Decimal] = {}
        for entity in entities:
            if entity.person_id is not None:
                found = [of_people[entity.person_id]] if entity.person_id in of_people else []
            else:
                found = [of_regions[r] for r in entity.target_regions if r in of_regions]
            if found:
                part[entity.key] = sum(found, ZERO)
        out.append(part)
    return out
