"""Budget rates belong to the company's revenue plan: a units, visits or deals-created plan
counts things, not money, and a product line's revenue plan converts at the company plan's
rates. Setting rates on any other plan is refused and stores nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.errors import ValidationFailed
from core.plans import allocation, budget_rates
from core.plans import lines as plan_lines
from db.schema import PlanBudgetRate
from tests.plan_factories import actor_named

YEAR = 2033


def _plan(session, **options):
    director = actor_named(session, "director")
    settings = {"fiscal_year": YEAR, "company_target": Decimal(12_000), "method": "equal"}
    return allocation.create_plan(session, director, **(settings | options))


def _stored_rates(session) -> int:
    return session.scalar(select(func.count()).select_from(PlanBudgetRate)) or 0


@pytest.mark.parametrize(
    ("measure", "counts"),
    [("units", "units"), ("visits", "visits"), ("deals_created", "deals created")],
)
def test_a_plan_that_counts_things_has_no_budget_rates(session, measure, counts):
    plan = _plan(session, measure=measure)
    before = _stored_rates(session)
    with pytest.raises(ValidationFailed) as refused:
        budget_rates.set_budget_rates(
            session, actor_named(session, "director"), plan.id, {"EUR": "1.1"}
        )
    assert str(refused.value) == (
        f"Only a revenue plan has budget rates: the FY{YEAR} {counts} plan counts {counts}, "
        "not money."
    )
    assert _stored_rates(session) == before


def test_a_product_lines_revenue_plan_takes_the_company_plans_rates(session):
    line = plan_lines.product_lines(session)[0]
    plan = _plan(session, product_line=line)
    before = _stored_rates(session)
    with pytest.raises(ValidationFailed, match="company's revenue plan"):
        budget_rates.set_budget_rates(
            session, actor_named(session, "director"), plan.id, {"EUR": "1.1"}
        )
    assert _stored_rates(session) == before


def test_the_company_revenue_plan_still_takes_budget_rates(session):
    plan = _plan(session)
    saved = budget_rates.set_budget_rates(
        session, actor_named(session, "director"), plan.id, {"EUR": "1.1"}
    )
    assert saved == {"EUR": Decimal("1.1")}
    assert budget_rates.budget_rates_of(session, plan.id) == {"EUR": Decimal("1.1")}
