"""Deals not priced beside the figures: a director's Attainment and Home list a won deal in a
currency without any rate; a manager whose area does not hold it does not see it; both pages
name the plan's budget rates; the scorecard explains split credit.

The app runs over its own small demo database here, with one won SEK deal added (SEK has no
rate), so the shared test database stays as the other page tests expect it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.demo import seed as demo
from core.org.access import load_actor
from core.org.company import fiscal_start_month
from core.periods import quarter_of
from core.progress import figures
from db.engine import make_engine, migrate, session_factory
from db.schema import Customer, Person, PlanBudgetRate, TargetPlan
from tests import factories
from tests.app.conftest import signed_in
from tests.conftest import SEED_TODAY

SEK_LINE = "1 deal, 12,345 SEK, not priced: no SEK rate."


@pytest.fixture(scope="module")
def app_database(tmp_path_factory) -> str:
    """A small demo database, one deal won today in SEK by a rep outside the demo manager's
    area, and budget rates for EUR and JPY on this fiscal year's active plan."""
    url = f"sqlite:///{tmp_path_factory.mktemp('not-priced') / 'app.db'}"
    engine = make_engine(url)
    migrate(engine)
    demo.seed(engine, scale="small", seed=11, today=SEED_TODAY)
    with session_factory(engine, write=True)() as session:
        manager = load_actor(
            session, session.scalar(select(Person.id).where(Person.username == "manager"))
        )
        outside = session.scalars(
            select(Person)
            .where(
                Person.role == "rep",
                Person.active.is_(True),
                Person.region_id.not_in(manager.scope_region_ids or ()),
            )
            .order_by(Person.id)
        ).first()
        customer = session.scalars(
            select(Customer).where(Customer.owner_id == outside.id).order_by(Customer.id)
        ).first()
        deal = factories.deal(
            session,
            outside,
            customer,
            amount=Decimal("12345.00"),
            status="won",
            closed_on=date.today(),
            currency="SEK",
        )
        assert deal.company_amount is None
        quarter = quarter_of(date.today(), fiscal_start_month(session))
        plan_id = figures.active_plan_id(session, quarter.fiscal_year)
        session.add_all(
            [
                PlanBudgetRate(plan_id=plan_id, currency="JPY", rate=Decimal("0.0067")),
                PlanBudgetRate(plan_id=plan_id, currency="EUR", rate=Decimal("1.08")),
            ]
        )
        session.commit()
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def budget_line(app_database) -> str:
    """The line the pages should show: the plan named as FY<year> v<version>, its rates."""
    engine = make_engine(app_database)
    with session_factory(engine)() as session:
        quarter = quarter_of(date.today(), fiscal_start_month(session))
        plan = session.get(TargetPlan, figures.active_plan_id(session, quarter.fiscal_year))
        line = f"Converted at the budget rates of FY{plan.fiscal_year} v{plan.version}: "
    engine.dispose()
    return line + "EUR 1.08, JPY 0.0067."


def _warnings(at) -> list[str]:
    return [w.value for w in at.warning]


def test_a_directors_attainment_lists_the_deal_not_priced_beside_won(app_database):
    at = signed_in("director")
    at.switch_page("pages/attainment.py").run()
    assert not at.exception, at.exception
    boxes = [w for w in _warnings(at) if "Not in Won" in w]
    assert len(boxes) == 1, _warnings(at)
    assert SEK_LINE in boxes[0]
    captions = [c.value for c in at.caption]
    assert any(c.startswith("💱 Leaves out ") and "not priced" in c for c in captions), captions


def test_attainment_and_home_name_the_budget_rates_of_the_plan(budget_line):
    at = signed_in("director")
    assert budget_line in [c.value for c in at.caption]
    at.switch_page("pages/attainment.py").run()
    assert not at.exception, at.exception
    assert budget_line in [c.value for c in at.caption]


def test_a_directors_home_lists_it_and_a_manager_elsewhere_does_not(app_database):
    at = signed_in("director")
    assert not at.exception, at.exception
    assert any(SEK_LINE in w for w in _warnings(at)), _warnings(at)
    at = signed_in("manager")
    at.switch_page("pages/attainment.py").run()
    assert not at.exception, at.exception
    assert not any("SEK" in w for w in _warnings(at)), _warnings(at)


def test_the_scorecard_says_how_split_credit_counts(app_database):
    at = signed_in("manager")
    at.switch_page("pages/performance.py").run()
    at.segmented_control(key="section").set_value("scorecard").run()
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption]
    assert any("once for each credited person" in c for c in captions), captions
