"""Budget rates: the exchange rates a plan fixes for its fiscal year.

When the active plan of a fiscal year fixes a rate for a currency, every figure of that year
(won, lost, created and open pipeline, so attainment and the forecast against the plan)
converts deals in that currency at the budget rate instead of the dated rates; other
currencies keep the dated rule (core.currency). Directors set them on a draft or submitted
plan; an approved or locked plan keeps its rates, and a new version copies them. Only the
company's revenue plan has budget rates: other measures count things, not money, and a product
line's revenue plan converts at the company plan's rates.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core import currency
from core.errors import ValidationFailed
from core.i18n import _
from core.models import Actor, Measure
from core.org import audit
from core.org.access import ensure_active
from core.pipeline.pricing import company_currency
from core.plans.cells import plan_by_id, state_of
from core.plans.rules import OPEN, director_refusal, ensure
from db.schema import PlanBudgetRate


def budget_rates_of(session: Session, plan_id: int) -> dict[str, Decimal]:
    """The plan's budget rates by currency (empty: the plan uses the dated rates)."""
    query = (
        select(PlanBudgetRate.currency, PlanBudgetRate.rate)
        .where(PlanBudgetRate.plan_id == plan_id)
        .order_by(PlanBudgetRate.currency)
    )
    return {code: Decimal(rate) for code, rate in session.execute(query)}


def budget_rates_for(session: Session, actor: Actor, plan_id: int) -> dict[str, Decimal]:
    """A plan's budget rates as anyone signed in reads them (Attainment names them)."""
    ensure_active(actor)
    plan_by_id(session, plan_id)  # refuses an unknown plan
    return budget_rates_of(session, plan_id)


def set_budget_rates(
    session: Session, actor: Actor, plan_id: int, rates: Mapping[str, object]
) -> dict[str, Decimal]:
    """Replace the plan's budget rates (an empty mapping removes them)."""
    ensure(director_refusal(actor, _("set budget rates")))
    plan = plan_by_id(session, plan_id)
    state = state_of(session, plan)
    if plan.measure != Measure.REVENUE:
        counts = plan.measure.replace("_", " ")
        raise ValidationFailed(
            _(
                "Only a revenue plan has budget rates: the FY{fiscal_year} {counts} "
                "plan counts {counts}, not money."
            ).format(fiscal_year=plan.fiscal_year, counts=counts)
        )
    if plan.product_line:
        raise ValidationFailed(
            _(
                "The FY{fiscal_year} {product_line} revenue plan converts at the "
                "budget rates of the company's revenue plan: set them there."
            ).format(fiscal_year=plan.fiscal_year, product_line=plan.product_line)
        )
    if state.status not in OPEN:
        raise ValidationFailed(
            _(
                "{label} is {value}: its budget rates are fixed. Start a new version "
                "to change them."
            ).format(label=state.label, value=state.status.value)
        )
    company = company_currency(session)
    checked: dict[str, Decimal] = {}
    for raw_code, raw_rate in rates.items():
        code = currency.currency_code(raw_code)
        if code == company:
            raise ValidationFailed(
                _("{code} is the company currency: it needs no budget rate.").format(code=code)
            )
        if code in checked:
            raise ValidationFailed(_("{code} has two budget rates; keep one.").format(code=code))
        checked[code] = currency.rate_value(raw_rate)
    before = {k: str(v) for k, v in budget_rates_of(session, plan_id).items()}
    session.execute(delete(PlanBudgetRate).where(PlanBudgetRate.plan_id == plan_id))
    for code, rate in checked.items():
        session.add(PlanBudgetRate(plan_id=plan_id, currency=code, rate=rate))
    audit.record(
        session,
        actor,
        "plan.budget_rates",
        "target_plan",
        plan_id,
        before={"budget_rates": before},
        after={"budget_rates": {k: str(v) for k, v in checked.items()}},
    )
    session.flush()
    return checked


def copy_budget_rates(session: Session, source_id: int, plan_id: int) -> None:
    """A new version starts with the rates of the version it copies."""
    for code, rate in budget_rates_of(session, source_id).items():
        session.add(PlanBudgetRate(plan_id=plan_id, currency=code, rate=rate))
