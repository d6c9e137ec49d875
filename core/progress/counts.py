"""Count readers: what the count measures (units, deals created, visits) add up in a
period, and `achieved`, a measure's figure whatever it counts (core.progress.figures
re-exports them; its docstring defines each measure).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, literal, select
from sqlalchemy.orm import Session

from core.errors import ValidationFailed
from core.i18n import _
from core.models import Measure, Period, measure_of
from core.progress import figures
from db.schema import Activity, ActivityType, Deal, Person, Product


def in_line(product_line: str) -> ColumnElement[bool]:
    """Deals of every product in a product line (the condition a line's figures add)."""
    return Deal.product_id.in_(select(Product.id).where(Product.product_line == product_line))


def measure_key(measure: object, by: str) -> Any:
    """The column a measure is grouped by for `by` (company, region, owner, product_line):
    deals by their credited region and owner, visits by their person and the person's
    region."""

    if measure_of(measure) == Measure.VISITS:
        if by == "product_line":
            raise ValidationFailed(_("Visits have no product line; read them by person or region."))
        return {"company": None, "owner": Activity.person_id, "region": Person.region_id}[by]
    if by not in ("company", "region", "owner", "product_line"):
        raise ValidationFailed(_("Figures of a measure cannot be grouped by '{by}'.").format(by=by))
    return figures.KEYS[by]


def achieved(
    session: Session,
    period: Period,
    measure: object,
    *,
    by: str = "region",
    where: Sequence = (),
    product_line: str | None = None,
) -> dict[Any, Decimal]:
    """What a measure counts in the period, by `by`:
    - revenue: won in the period (`won`: company currency, split credit);
    - units: the quantity of deals won in the period (to the deal's owner and region);
    - deals_created: deals created in the period (to their owner and region);
    - visits: customer visits logged in the period (to the person who made them, in the
      person's current region).
    `product_line` keeps only deals of that line (visits have none). `where` holds conditions
    on the grouped table (deals, or visits and their person)."""

    chosen = measure_of(measure)
    line = [in_line(product_line)] if product_line else []
    if chosen == Measure.REVENUE:
        won = figures.won(session, period, by=by, where=[*line, *where])
        return {k: t.amount for k, t in won.items()}
    return {
        k: n for (k, __), n in _counted(session, period, chosen, by, where, product_line).items()
    }


def achieved_by_month(
    session: Session,
    period: Period,
    measure: object,
    *,
    by: str = "company",
    where: Sequence = (),
    product_line: str | None = None,
) -> dict[tuple[Any, date], Decimal]:
    """`achieved` by `by` and calendar month (of the close, creation or visit date)."""

    chosen = measure_of(measure)
    if chosen == Measure.REVENUE:
        line = [in_line(product_line)] if product_line else []
        return figures.won_by_month(session, period, by=by, where=[*line, *where])
    counted = _counted(session, period, chosen, by, where, product_line, monthly=True)
    return {(k, month): n for (k, month), n in counted.items() if month is not None}


def achieved_by_period(
    session: Session,
    periods: Sequence[Period],
    measure: object,
    *,
    by: str = "region",
    where: Sequence = (),
    product_line: str | None = None,
) -> list[dict[Any, Decimal]]:
    """`achieved` of a count measure in each of adjacent `periods` (oldest first, e.g. the
    previous quarter and this one), in one grouped statement over the dates of all of them."""

    chosen = measure_of(measure)
    if chosen == Measure.REVENUE:
        return [
            achieved(session, p, chosen, by=by, where=where, product_line=product_line)
            for p in periods
        ]
    counted = _counted(
        session, figures.covering(periods), chosen, by, where, product_line, periods=periods
    )
    out: list[dict[Any, Decimal]] = [{} for __ in periods]
    for (key, index), n in counted.items():
        out[int(index)][key] = n
    return out


def _counted(
    session: Session,
    period: Period,
    measure: Measure,
    by: str,
    where: Sequence,
    product_line: str | None,
    *,
    monthly: bool = False,
    periods: Sequence[Period] = (),
) -> dict[tuple[Any, Any], Decimal]:
    """(key, part) -> the count of a count measure (units, visits, deals created) over
    `period`; the part is the month when `monthly`, the index of the adjacent `periods` the
    date falls in when they are given (`period` then covers them all), else None."""
    key = measure_key(measure, by)
    if product_line and measure == Measure.VISITS:
        raise ValidationFailed(_("Visits have no product line; read them by person or region."))
    if measure == Measure.VISITS:
        day: Any = Activity.occurred_on
        counted: Any = func.count()
        # the type written into the SQL, so both databases read the partial index of visits
        visit = literal(ActivityType.VISIT.value, literal_execute=True)
        conditions = [Activity.type == visit, day.between(period.start, period.end)]
        table: Any = Activity
    else:
        day = Deal.closed_on if measure == Measure.UNITS else Deal.created_on
        counted = func.sum(Deal.quantity) if measure == Measure.UNITS else func.count()
        conditions = (
            figures.won_in(period)
            if measure == Measure.UNITS
            else [day.between(period.start, period.end)]
        )
        if product_line:
            conditions.append(in_line(product_line))
        table = Deal
    if monthly:
        groups = [func.extract("year", day), func.extract("month", day)]
    else:
        groups = [figures.period_index(day, periods)] if periods else []
    query = select(key if key is not None else literal(None), *groups, counted).select_from(table)
    if measure == Measure.VISITS and by == "region":
        query = query.join(Person, Person.id == Activity.person_id)
    if by == "product_line":
        query = query.outerjoin(Product, Product.id == Deal.product_id)
    query = query.where(*conditions, *where)
    grouping = ([key] if key is not None else []) + groups
    if grouping:
        query = query.group_by(*grouping)
    out: dict[tuple[Any, Any], Decimal] = {}
    for row in session.execute(query):
        if not row[-1]:
            continue
        if monthly:
            part: Any = date(int(row[1]), int(row[2]), 1)
        else:
            part = int(row[1]) if periods else None
        out[(row[0], part)] = Decimal(int(row[-1]))
    return out
