"""Plan vs actual on any measure (revenue, units, visits, deals created) and product line: the
target of the measure's own plan series against what was achieved, by region, rep or product
line, and month by month for the actor's whole area.

Rules:
- Target: the active plan of the measure and product line (core.progress.figures target rows:
  a region's own rows, a rep's rows; the area's target is its top regions' own rows).
- Achieved: core.progress.counts.achieved (won revenue, units of won deals, deals created,
  visits logged), by month `achieved_by_month`; a product line counts the deals of every
  product in the line (visits have no product line).
- Variance = achieved - target; variance % = variance / target. No target: no variance.
- By product line, each line's target is its own plan's (nothing is implied for counts).
- Managers and directors only, each within their area (core.performance.plan_vs_actual).
The revenue review with its drivers (volume, win rate, deal size) is
core.performance.plan_vs_actual; this one has no drivers.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy.orm import Session

from core import clock
from core.errors import ValidationFailed
from core.i18n import N_, _, month_label
from core.models import COUNT_MEASURES, Actor, Measure, Period, measure_of
from core.org.regions import load_region_tree
from core.performance.plan_vs_actual import review_scope
from core.performance.scorecard import comparable_regions
from core.progress import counts, figures
from core.progress.measures import MeasureRow, measure_rows, targets_report
from core.progress.scopes import region_entity

DIMENSIONS = {"region": N_("Region"), "rep": N_("Rep"), "product_line": N_("Product line")}
"""How a measure's plan vs actual is broken down (labels marked for translation)."""
MEASURES = {
    "revenue": N_("Revenue"),
    "units": N_("Units"),
    "visits": N_("Visits"),
    "deals_created": N_("Deals created"),
}
"""The measures in the order people choose them."""
RATIO = Decimal("0.0001")


class MeasureReviewRow(BaseModel):
    """Target vs achieved of one part of the area on one measure."""

    key: str
    label: str
    measure: str
    product_line: str
    target: Decimal | None
    achieved: Decimal
    variance: Decimal | None
    variance_pct: Decimal | None


class MonthRow(BaseModel):
    """One month of the area's plan vs actual (cumulative from the period's first month)."""

    month: date
    label: str
    target: Decimal | None
    achieved: Decimal
    variance: Decimal | None
    cumulative_target: Decimal | None
    cumulative_achieved: Decimal


def _checked(measure: object, product_line: str) -> tuple[Measure, str]:
    chosen = measure_of(measure)
    line = " ".join((product_line or "").split())
    if chosen == Measure.VISITS and line:
        raise ValidationFailed(_("Visits have no product line; read them by region or rep."))
    return chosen, line


def _variance(target: Decimal | None, achieved: Decimal) -> tuple[Decimal | None, Decimal | None]:
    if target is None:
        return None, None
    variance = achieved - target
    return variance, (variance / target).quantize(RATIO) if target else None


def _review_row(row: MeasureRow, key: str, label: str) -> MeasureReviewRow:
    variance, pct = _variance(row.target, row.achieved)
    return MeasureReviewRow(
        key=key,
        label=label,
        measure=row.measure.value,
        product_line=row.product_line,
        target=row.target,
        achieved=row.achieved,
        variance=variance,
        variance_pct=pct,
    )


def measure_plan_vs_actual(
    session: Session,
    actor: Actor,
    period: Period,
    dimension: str,
    *,
    measure: object = Measure.REVENUE,
    product_line: str = "",
    today: date | None = None,
) -> list[MeasureReviewRow]:
    """Target vs achieved of a measure (and product line) for each region the actor compares,
    each rep of the area, or each product line of the catalogue (for the area)."""
    if dimension not in DIMENSIONS:
        raise ValidationFailed(
            _("A measure is read by region, rep or product line, not by '{dimension}'.").format(
                dimension=dimension
            )
        )
    chosen, line = _checked(measure, product_line)
    today = today or clock.today()
    review_scope(session, actor)  # managers and directors only
    if dimension == "region":
        tree = load_region_tree(session)
        entities = [region_entity(tree, r) for r in comparable_regions(session, actor)]
        rows = measure_rows(
            session, period, entities, chosen, by="region", today=today, product_line=line
        )
        return [_review_row(r, r.key.removeprefix("region:"), r.label) for r in rows]
    if dimension == "rep":
        rows = targets_report(session, actor, period, chosen, "rep", product_line=line, today=today)
        return [_review_row(r, r.key.removeprefix("rep:"), r.label) for r in rows]
    if chosen == Measure.VISITS:
        raise ValidationFailed(_("Visits have no product line; read them by region or rep."))
    rows = targets_report(session, actor, period, chosen, "product_line", today=today)
    if line:
        rows = [r for r in rows if r.entity == line]
    return [_review_row(r, r.entity, r.label) for r in rows]


def plan_by_month(
    session: Session,
    actor: Actor,
    period: Period,
    *,
    measure: object = Measure.REVENUE,
    product_line: str = "",
) -> list[MonthRow]:
    """The actor's area month by month: the target of the measure's plan series (the top
    regions' own rows) against `counts.achieved_by_month`, with running totals."""
    chosen, line = _checked(measure, product_line)
    region_ids, tops = review_scope(session, actor)
    monthly = figures.region_targets_by_month(
        session, period, tops, measure=chosen, product_line=line
    )
    targets: dict[date, Decimal] = {}
    for months in monthly.values():
        for start, amount in months.items():
            targets[start] = targets.get(start, Decimal(0)) + amount
    by = "company" if region_ids is None else "region"
    where = [] if region_ids is None else [counts.measure_key(chosen, by).in_(region_ids)]
    done = counts.achieved_by_month(
        session, period, chosen, by=by, where=where, product_line=line or None
    )
    achieved: dict[date, Decimal] = {}
    for (__, start), amount in done.items():
        achieved[start] = achieved.get(start, Decimal(0)) + amount
    whole = Decimal(1) if chosen in COUNT_MEASURES else Decimal("0.01")
    out, running_target, running = [], Decimal(0), Decimal(0)
    planned = bool(targets)
    for start in period.months():
        target = targets.get(start, Decimal(0)).quantize(whole) if planned else None
        value = achieved.get(start, Decimal(0))
        running += value
        if target is not None:
            running_target += target
        variance, __ = _variance(target, value)
        out.append(
            MonthRow(
                month=start,
                label=month_label(start),
                target=target,
                achieved=value,
                variance=variance,
                cumulative_target=running_target if planned else None,
                cumulative_achieved=running,
            )
        )
    return out
