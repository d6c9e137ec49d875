"""Budget rates on the Targets page under AppTest: a director edits a draft plan's rates, a bad
rate is refused and saves nothing, an approved plan shows them read-only with the reason, and
a manager does not see them. Works on a copy of the shared demo database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import streamlit as st
from sqlalchemy import delete, select

from core.periods import fiscal_year_of
from core.plans.allocation import create_plan
from core.plans.workflow import approve_plan
from db.config import get_settings
from db.engine import make_engine, session_factory
from db.schema import PlanBudgetRate, TargetPlan
from tests.app.conftest import signed_in
from tests.plan_factories import actor_named
from tests.support import sqlite_copy

NEXT = fiscal_year_of(date.today()) + 1


@pytest.fixture
def plan_db(app_database, tmp_path, monkeypatch):
    """A copy of the demo database with a fresh FY NEXT draft plan; yields (sessions, plan id)."""
    path = tmp_path / "plans.db"
    sqlite_copy(app_database, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()
    engine = make_engine(url)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        session.execute(delete(TargetPlan).where(TargetPlan.fiscal_year == NEXT))
        info = create_plan(
            session,
            actor_named(session, "director"),
            fiscal_year=NEXT,
            company_target=Decimal(6_000_000),
            method="equal",
        )
    yield sessions, info.id
    engine.dispose()


def _targets(username: str):
    at = signed_in(username).switch_page("pages/targets.py").run()
    assert not at.exception, at.exception
    if at.selectbox(key="targets_year").value != NEXT:
        at.selectbox(key="targets_year").select(NEXT).run()
    assert not at.exception, at.exception
    return at


def _stored(sessions, plan_id) -> dict[str, Decimal]:
    with sessions() as session:
        rows = session.execute(
            select(PlanBudgetRate.currency, PlanBudgetRate.rate).where(
                PlanBudgetRate.plan_id == plan_id
            )
        )
        return {code: Decimal(rate) for code, rate in rows}


def _edit(at, plan_id, added):
    at.session_state[f"budget_rates_{plan_id}"] = {
        "edited_rows": {},
        "added_rows": added,
        "deleted_rows": [],
    }
    at.run()
    next(b for b in at.button if b.label == "Save the budget rates").click().run()
    assert not at.exception, at.exception


def _budget_expander(at):
    return [e for e in at.expander if e.label.endswith(f"Budget rates of FY{NEXT} v1")]


def test_a_director_sets_the_budget_rates_of_a_draft_plan(plan_db):
    sessions, plan_id = plan_db
    at = _targets("director")
    (section,) = _budget_expander(at)
    assert any(
        "Attainment against this plan converts deals in these currencies at these rates." in m.value
        for m in section.markdown
    )
    _edit(
        at,
        plan_id,
        [{"Currency": "EUR", "Rate": "1.0842"}, {"Currency": "JPY", "Rate": "0.0067"}],
    )
    assert not at.error, [e.value for e in at.error]
    assert [s.value for s in at.success] == [
        f"FY{NEXT} v1 now converts EUR, JPY at its budget rates."
    ]
    assert _stored(sessions, plan_id) == {"EUR": Decimal("1.0842"), "JPY": Decimal("0.0067")}


def test_a_bad_rate_is_refused_and_nothing_is_saved(plan_db):
    sessions, plan_id = plan_db
    at = _targets("director")
    _edit(at, plan_id, [{"Currency": "EUR", "Rate": "cheap"}])
    assert len(at.error) == 1 and "'cheap' is not a number" in at.error[0].value
    assert _stored(sessions, plan_id) == {}


def test_an_approved_plan_shows_its_budget_rates_read_only_with_the_reason(plan_db):
    sessions, plan_id = plan_db
    with sessions.begin() as session:
        session.add(PlanBudgetRate(plan_id=plan_id, currency="EUR", rate=Decimal("1.1")))
        session.flush()
        approve_plan(session, actor_named(session, "director"), plan_id)
    at = _targets("director")
    (section,) = _budget_expander(at)
    assert not [b for b in at.button if b.label == "Save the budget rates"]
    assert any(
        f"FY{NEXT} v1 is approved: its budget rates are fixed" in c.value for c in section.caption
    )
    (table,) = section.dataframe
    assert table.value.to_dict("records") == [{"Currency": "EUR", "Rate": "1.1"}]


def test_a_manager_does_not_see_the_budget_rates(plan_db):
    at = _targets("manager")
    assert _budget_expander(at) == []
