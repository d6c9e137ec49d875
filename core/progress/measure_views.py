"""What the Attainment and Home pages show on a measure other than company revenue: units,
visits and deals created, and revenue or units of one product line.

- The scope's own row and its parts: a region's child regions or its reps (a rep: no parts),
  every row from `measures.measure_rows` (the same rows `report targets` prints).
- A week's target is the part of each month's target that falls on the week's working days
  (Monday to Friday); `week_parts` says which days those are.
- Home's "other targets": the scope's row on each count measure that has an active plan in
  the year of the period.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy.orm import Session

from core import clock
from core.errors import ValidationFailed
from core.i18n import _
from core.models import Actor, Measure, Period, measure_of
from core.org.access import ensure_active
from core.org.regions import load_region_tree
from core.periods import add_months, month_end, working_days
from core.progress import figures
from core.progress.measures import (
    MeasureRow,
    measure_rows,
    rep_entities_for,
    stretch_levels,
)
from core.progress.scopes import (
    Scope,
    company_entity,
    default_scope,
    region_entity,
    rep_entity,
    scope_entity,
    scope_for,
)
from db.schema import Person

LINE_MEASURES = frozenset({Measure.REVENUE, Measure.UNITS})
"""The measures a plan may break by product line."""
OTHER_MEASURES = (Measure.UNITS, Measure.VISITS, Measure.DEALS_CREATED)
"""The count measures Home lists beside revenue, in this order."""


class WeekPart(BaseModel):
    """The working days of a week that fall in one month: the week's target takes that many
    of the month's working days' share of the month's target."""

    month: date
    first: date
    last: date
    working_days: int
    month_working_days: int


class MeasureView(BaseModel):
    """A scope on one measure (and product line) in a period: its row, its parts, the active
    plan's stretch levels (percent), and whether the year has a plan of the measure at all."""

    scope_label: str
    period: Period
    measure: Measure
    product_line: str
    has_plan: bool
    stretch_levels: list[Decimal]
    head: MeasureRow
    part_kind: str
    """"region", "rep", or "" (a rep's own figures have no parts)."""
    part_kinds: list[str]
    """The ways the scope can be broken down: ["region", "rep"], ["rep"] or []."""
    parts: list[MeasureRow]
    week: list[WeekPart]


def week_parts(period: Period) -> list[WeekPart]:
    """For a week: each month it touches with the week's working days in it; [] otherwise."""
    if period.kind != "week":
        return []
    out = []
    for month in period.months():
        first, last = max(period.start, month), min(period.end, month_end(month))
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        working = [d for d in days if d.weekday() < 5]
        if not working:
            continue
        out.append(
            WeekPart(
                month=month,
                first=working[0],
                last=working[-1],
                working_days=len(working),
                month_working_days=working_days(month, add_months(month, 1) - timedelta(days=1)),
            )
        )
    return out


def _checked_line(measure: Measure, product_line: str) -> str:
    line = " ".join((product_line or "").split())
    if line and measure not in LINE_MEASURES:
        raise ValidationFailed(
            _("Only revenue and units targets can be read by product line; choose all lines.")
        )
    return line


def _head(session: Session, scope: Scope, period: Period, measure: Measure, line: str, today):
    """The scope's own row (keyed as revenue attainment keys it)."""
    if scope.person_id is not None:
        person = session.get(Person, scope.person_id)
        entity = rep_entity(person) if person is not None else scope_entity(scope)
        by = "owner"
    elif scope.region_ids is None:
        entity, by = company_entity(load_region_tree(session)), "company"
    else:
        entity, by = scope_entity(scope), "region"
    (row,) = measure_rows(session, period, [entity], measure, by=by, today=today, product_line=line)
    return row


def measure_view(
    session: Session,
    actor: Actor,
    scope_key: str,
    period: Period,
    measure: object,
    *,
    product_line: str = "",
    part_kind: str | None = None,
    today: date | None = None,
) -> MeasureView:
    """The scope (a key of `scopes.scope_choices`, refused outside the actor's area) on one
    measure: its row and its parts, by child region (the default where the scope has child
    regions) or by rep (every rep with a target of the measure or something achieved there;
    a manager's reps are those of her regions)."""
    ensure_active(actor)
    today = today or clock.today()
    chosen = measure_of(measure)
    line = _checked_line(chosen, product_line)
    scope = scope_for(session, actor, scope_key)
    head = _head(session, scope, period, chosen, line, today)
    tree = load_region_tree(session)
    children = [c for top in scope.top_region_ids for c in tree.children.get(top, [])]
    kinds = [] if scope.person_id is not None else (["region", "rep"] if children else ["rep"])
    if part_kind is not None and part_kind not in kinds:
        part_kind = None
    kind = part_kind or (kinds[0] if kinds else "")
    parts: list[MeasureRow] = []
    if kind == "region":
        parts = measure_rows(
            session,
            period,
            [region_entity(tree, c) for c in children],
            chosen,
            by="region",
            today=today,
            product_line=line,
        )
    elif kind == "rep":
        region_ids = scope.region_ids  # None: the company, every rep
        reps = rep_entities_for(session, period, chosen, region_ids, line)
        parts = measure_rows(
            session,
            period,
            reps,
            chosen,
            by="owner",
            today=today,
            product_line=line,
            rep_regions=region_ids,
        )
    return MeasureView(
        scope_label=scope.label,
        period=period,
        measure=chosen,
        product_line=line,
        has_plan=figures.active_plan_id(session, period.fiscal_year, chosen, line) is not None,
        stretch_levels=stretch_levels(session, period.fiscal_year, chosen, line),
        head=head,
        part_kind=kind,
        part_kinds=kinds,
        parts=parts,
        week=week_parts(period),
    )


def other_targets(
    session: Session, actor: Actor, period: Period, *, today: date | None = None
) -> list[MeasureRow]:
    """The actor's default scope on units, visits and deals created: one row per measure
    with an active plan (of every product line) in the period's fiscal year."""
    ensure_active(actor)
    today = today or clock.today()
    planned = [m for m in OTHER_MEASURES if figures.active_plan_id(session, period.fiscal_year, m)]
    if not planned:
        return []
    scope = default_scope(session, actor)
    return [_head(session, scope, period, m, "", today) for m in planned]
