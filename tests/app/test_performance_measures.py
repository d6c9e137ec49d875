"""The Performance page on other measures: a visits and a product line's units plan approved
through the plan services (on a copy of the demo database), then the scorecard's measure
targets and plan vs actual with a measure and a product line chosen, checked against core."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.org.access import load_actor
from core.org.company import fiscal_start_month
from core.performance import measure_review, scorecard
from core.periods import parse_period
from core.plans.allocation import create_plan
from core.plans.lines import product_lines
from core.plans.workflow import approve_plan
from db.engine import make_engine, session_factory
from db.schema import Person
from tests.app.conftest import signed_in
from tests.support import sqlite_copy


def open_section(at, slug: str):
    """Choose a section of Performance (only the chosen one runs)."""
    at.segmented_control(key="section").set_value(slug).run()
    assert not at.exception, at.exception
    return at


def _db(url):
    return session_factory(make_engine(url))()


def _actor(session, username):
    return load_actor(session, session.scalar(select(Person.id).where(Person.username == username)))


@pytest.fixture
def app_database(app_database, tmp_path) -> str:
    """A copy of the demo database with visits and units-of-a-line plans approved for the
    fiscal years of the page's current and closed periods (they must not reach the other
    pages' tests, which share the demo database)."""
    path = tmp_path / "measures.db"
    sqlite_copy(app_database, path)
    url = f"sqlite:///{path}"
    with _db(url) as session:
        director = _actor(session, "director")
        fsm = fiscal_start_month(session)
        periods = scorecard.recent_periods(date.today(), fsm)
        years = {p.fiscal_year for p in periods[:2]}
        line = product_lines(session)[0]
        for year in sorted(years):
            for measure, target, product_line in (
                ("visits", Decimal(4000), ""),
                ("units", Decimal(900), line),
            ):
                plan = create_plan(
                    session,
                    director,
                    fiscal_year=year,
                    company_target=target,
                    method="equal",
                    measure=measure,
                    product_line=product_line,
                )
                approve_plan(session, director, plan.id)
        session.commit()
    return url


def _text(value) -> str:
    """How the page shows a count: thousands separators, a dash without a target."""
    return "–" if value is None else f"{value:,.0f}"


def _core(url, username, work):
    with _db(url) as session:
        actor = _actor(session, username)
        return work(session, actor, fiscal_start_month(session))


def test_the_scorecard_shows_the_visits_target_beside_the_score(app_database):
    at = signed_in("manager")
    at.switch_page("pages/performance.py").run()
    assert not at.exception, at.exception
    open_section(at, "scorecard")
    rep_id = at.selectbox(key="perf_rep").value[0]
    label = at.selectbox(key="perf_period").value
    card = _core(
        app_database,
        "manager",
        lambda s, a, fsm: scorecard.rep_scorecard(s, a, rep_id, parse_period(label, fsm)),
    )
    visits = next(t for t in card.targets if t.measure == "visits")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Customer visits"] == f"{visits.achieved:,.0f} of {visits.target:,.0f}"
    parts = next(d.value for d in at.dataframe if "Figures" in d.value.columns)
    figures = list(parts["Figures"])  # the scorecard's parts table
    assert any(f"visits of a target of {visits.target:,.0f}" in text for text in figures)


def test_plan_vs_actual_with_a_measure_and_a_product_line_chosen(app_database):
    at = signed_in("director")
    at.switch_page("pages/performance.py").run()
    open_section(at, "plan-vs-actual")
    closed = at.selectbox(key="review_period").value
    line = _core(app_database, "director", lambda s, a, fsm: product_lines(s)[0])

    at.selectbox(key="review_measure").set_value("units").run()
    at.selectbox(key="review_line").set_value(line).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    expected = _core(
        app_database,
        "director",
        lambda s, a, fsm: measure_review.measure_plan_vs_actual(
            s, a, parse_period(closed, fsm), "region", measure="units", product_line=line
        ),
    )
    tables = [d.value for d in at.dataframe]
    by_region = next(t for t in tables if {"Region", "Achieved"} <= set(t.columns))
    assert list(by_region["Region"]) == [r.label for r in expected]
    assert list(by_region["Target"]) == [_text(r.target) for r in expected]
    assert list(by_region["Achieved"]) == [_text(r.achieved) for r in expected]
    months = _core(
        app_database,
        "director",
        lambda s, a, fsm: measure_review.plan_by_month(
            s, a, parse_period(closed, fsm), measure="units", product_line=line
        ),
    )
    by_month = next(t for t in tables if "Month" in t.columns)
    assert list(by_month["Achieved"]) == [_text(m.achieved) for m in months]
    assert list(by_month["Target"]) == [_text(m.target) for m in months]

    at.selectbox(key="review_measure").set_value("visits").run()
    at.radio(key="review_dimension").set_value("rep").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    by_rep = next(d.value for d in at.dataframe if {"Rep", "Achieved"} <= set(d.value.columns))
    expected_reps = _core(
        app_database,
        "director",
        lambda s, a, fsm: measure_review.measure_plan_vs_actual(
            s, a, parse_period(closed, fsm), "rep", measure="visits"
        ),
    )
    assert list(by_rep["Achieved"]) == [_text(r.achieved) for r in expected_reps]
    assert list(by_rep["Target"]) == [_text(r.target) for r in expected_reps]

    at.radio(key="review_dimension").set_value("segment").run()  # no segment targets
    assert not at.exception
    assert any("Segments and industries" in i.value for i in at.info)

    at.selectbox(key="review_measure").set_value("revenue").run()  # back to the drivers
    assert not at.exception
    assert not at.error


def test_the_scores_of_one_product_line(app_database):
    at = signed_in("manager")
    at.switch_page("pages/performance.py").run()
    line = _core(app_database, "manager", lambda s, a, fsm: product_lines(s)[0])
    at.selectbox(key="perf_line").set_value(line).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    leaderboard = at.dataframe[0].value
    open_section(at, "scorecard")
    rep_id = at.selectbox(key="perf_rep").value[0]
    label = at.selectbox(key="perf_period").value
    card = _core(
        app_database,
        "manager",
        lambda s, a, fsm: scorecard.rep_scorecard(
            s, a, rep_id, parse_period(label, fsm), product_line=line
        ),
    )
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Score"] == ("–" if card.score is None else f"{card.score:.1f}")
    units = next(t for t in card.targets if t.measure == "units")  # the line's units plan
    assert metrics["Units sold"] == f"{units.achieved:,.0f} of {units.target:,.0f}"
    board = _core(
        app_database,
        "manager",
        lambda s, a, fsm: scorecard.leaderboard(s, a, parse_period(label, fsm), product_line=line),
    )
    assert list(leaderboard["Rep"]) == [row.rep for row in board]
