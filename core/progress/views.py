"""What the Attainment page shows for one scope and period: the headline and parts (from
core.progress.attainment), the cumulative series, the part x month heatmap and one rep's deals.
Every amount comes from core.progress.figures."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import and_, case, literal, or_, select
from sqlalchemy.orm import Session

from core import clock
from core.currency import convert
from core.models import Actor, Period
from core.org.company import fiscal_start_month
from core.org.regions import load_region_tree
from core.periods import quarter_of
from core.pipeline.views import PipelineFilter
from core.pipeline.views import pipeline_where as pipeline_conditions
from core.progress import figures, forecast
from core.progress.attainment import AttainmentRow, scope_attainment
from core.progress.calibration import SIMULATED_DEALS, StageCalibration, stage_calibration
from core.progress.scopes import (
    Scope,
    region_entity,
    rep_entities,
    rep_scope,
    scope_entity,
    scope_for,
    scope_where,
)
from db.schema import CreditSplit, Customer, Deal, DealStatus, Stage, TargetPlan

ZERO = Decimal(0)


def _scope_monthly_target(session: Session, scope: Scope, period: Period) -> dict[date, Decimal]:
    if scope.person_id is not None:
        rows = figures.rep_targets_by_month(session, period, [scope.person_id])
        return rows.get(scope.person_id, {})
    rows = figures.region_targets_by_month(session, period, scope_entity(scope).target_regions)
    out: dict[date, Decimal] = {}
    for months in rows.values():
        for month, amount in months.items():
            out[month] = out.get(month, ZERO) + amount
    return out


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
    today = today or clock.today()
    won_by_day = figures.won_by_day(session, period, where=scope_where(scope))
    monthly = _scope_monthly_target(session, scope, period)
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
                "target": figures.money(target_total) if monthly else None,
            }
        )
        day += timedelta(days=1)
    return out


def monthly_by_part(
    session: Session, scope: Scope, period: Period, *, today: date | None = None
) -> list[dict]:
    """Won, target and attainment of each part of the scope (child region, or rep of a leaf
    region) in each month of the period: the rows of the region x month heatmap."""
    today = today or clock.today()
    tree = load_region_tree(session)
    kind, __ = scope_parts(session, scope)
    if not kind:
        return []
    if kind == "region":
        children = [c for top in scope.top_region_ids for c in tree.children.get(top, [])]
        parts = [region_entity(tree, c) for c in children]
        won = figures.won_by_month(session, period, by="region")
        regions = figures.region_targets_by_month(session, period, children)
        targets = {p.key: regions.get(p.target_regions[0], {}) for p in parts}
    else:
        region_ids = scope.region_ids or frozenset(
            r for top in scope.top_region_ids for r in tree.subtree(top)
        )
        parts = rep_entities(session, period, region_ids, today)
        where = [Deal.region_id.in_(region_ids)]
        won = figures.won_by_month(session, period, by="owner", where=where)
        ids = [p.person_id for p in parts if p.person_id is not None]
        people = figures.rep_targets_by_month(session, period, ids, within_regions=region_ids)
        targets = {p.key: people.get(p.person_id or 0, {}) for p in parts}
    out = []
    for part in parts:
        keys = part.base_keys or frozenset()
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


def rep_deals(
    session: Session, actor: Actor, person_id: int, period: Period, *, today: date | None = None
) -> list[dict]:
    """One rep's deals of the period: won in it, or open and counting in its pipeline (the last
    level of the drill-down), with the rep's credit on each: the whole deal, or the rep's share
    of a split deal (so the won rows add up to the rep's won figure). Bounded by one rep's
    deals in one period; one query.

    `amount` is in the company currency (None: not priced), `deal_amount` in the deal's own
    currency; when the period's plan fixes budget rates they convert the deal, as in the
    figures (core.currency.convert, then the share)."""
    rep_scope(session, actor, person_id)  # refuses people outside the actor's area
    today = today or clock.today()
    share = case((Deal.credit_shared.is_(True), CreditSplit.amount), else_=Deal.company_amount)
    percent = case((Deal.credit_shared.is_(True), CreditSplit.percent), else_=literal(100))
    rows = session.execute(
        select(
            Deal.id,
            Deal.name,
            Customer.name,
            Stage.name,
            Deal.status,
            Deal.forecast_category,
            Deal.amount,
            Deal.currency,
            percent,
            share,
            Stage.probability,
            Deal.expected_close,
            Deal.closed_on,
        )
        .join(Stage, Stage.id == Deal.stage_id)
        .join(Customer, Customer.id == Deal.customer_id)
        .outerjoin(
            CreditSplit, and_(CreditSplit.deal_id == Deal.id, CreditSplit.person_id == person_id)
        )
        .where(
            or_(
                and_(Deal.credit_shared.is_(False), Deal.owner_id == person_id),
                CreditSplit.id.is_not(None),
            ),
            or_(and_(*figures.won_in(period)), and_(*figures.open_in(period, today))),
        )
        .order_by(Deal.status.desc(), share.desc(), Deal.id)
    )
    budget = figures.budget_rates(session, period)
    out = []
    for row in rows:
        (deal_id, name, customer, stage, status, category, own, code, pct, value, chance) = row[:11]
        expected, closed = row[11:]
        pct = Decimal(pct)
        if code in budget:
            value = convert(convert(Decimal(own), budget[code]), pct / 100)
        value = figures.money(value) if value is not None else None
        probability = Decimal(chance)
        if value is None:
            weighted = None
        elif status == DealStatus.OPEN:
            weighted = figures.money(value * probability)
        else:
            weighted = value
        out.append(
            {
                "deal_id": deal_id,
                "deal": name,
                "customer": customer,
                "stage": stage,
                "status": status,
                "forecast_category": category,
                "deal_amount": figures.money(own),
                "currency": code,
                "share": pct.quantize(Decimal("0.01")),
                "amount": value,
                "stage_probability": probability,
                "weighted": weighted,
                "close_date": closed or expected,
            }
        )
    return out


# --- beside the figures: what they could not count, and at which rates ----------------------


@dataclass(frozen=True)
class NotPricedBeside:
    """The deals a scope's won figure and open pipeline leave out because they are not priced
    (no rate in effect on their day), by currency; both empty when everything is priced."""

    won: list[figures.NotPriced]
    open_pipeline: list[figures.NotPriced]

    def __bool__(self) -> bool:
        return bool(self.won or self.open_pipeline)


def not_priced_beside(
    session: Session, scope: Scope, period: Period, *, today: date | None = None
) -> NotPricedBeside:
    """Not priced beside the scope's won and open pipeline, read with the same conditions as
    those figures (won in the period, open in its remaining window, the scope's filters; a
    split deal with the scope's share of it)."""
    today = today or clock.today()
    where = scope_where(scope)
    return NotPricedBeside(
        won=figures.not_priced(session, [*figures.won_in(period), *where], period=period),
        open_pipeline=figures.not_priced(
            session, [*figures.open_in(period, today), *where], period=period
        ),
    )


class BudgetNote(BaseModel):
    """The budget rates the period's active plan fixes: its figures convert at them."""

    plan: str
    rates: dict[str, Decimal]


def budget_note(session: Session, period: Period) -> BudgetNote | None:
    """The active plan of the period's fiscal year and its budget rates (None: it fixes none,
    so deals convert at their dated rates)."""
    rates = figures.budget_rates(session, period)
    plan_id = figures.active_plan_id(session, period.fiscal_year) if rates else None
    plan = session.get(TargetPlan, plan_id) if plan_id is not None else None
    if plan is None:
        return None
    return BudgetNote(
        plan=f"FY{plan.fiscal_year} v{plan.version}", rates=dict(sorted(rates.items()))
    )


def pipeline_not_priced(
    session: Session, actor: Actor, filters: PipelineFilter
) -> list[figures.NotPriced]:
    """Not priced beside the Pipeline page's totals: the deals its filters select (the
    actor's area included) that have no company amount, by currency."""
    return figures.not_priced(session, pipeline_conditions(session, actor, filters))


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
    not_priced: NotPricedBeside
    budget: BudgetNote | None = None
    trials: int = forecast.TRIALS
    simulated_deals: int = SIMULATED_DEALS


def attainment_view(
    session: Session, actor: Actor, scope_key: str, period: Period, *, today: date | None = None
) -> AttainmentView:
    """Headline figures, parts (child regions or reps), cumulative series and heatmap rows."""
    today = today or clock.today()
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
        not_priced=not_priced_beside(session, scope, period, today=today),
        budget=budget_note(session, period),
    )


def rep_quarter(
    session: Session, actor: Actor, rep_id: int, *, today: date | None = None
) -> AttainmentRow:
    """Where a rep stands in the fiscal quarter of today (target, won, pace, gap, open
    pipeline, coverage): the row the Attainment page shows, for a pipeline review."""
    today = today or clock.today()
    scope = rep_scope(session, actor, rep_id)  # refuses people outside the actor's area
    period = quarter_of(today, fiscal_start_month(session))
    row, __ = scope_attainment(session, scope, period, today=today, simulate=False)
    return row
