"""The same figure everywhere: Home, Attainment, `report attainment`, the scorecard's inputs,
plan vs actual and the alerts agree to the cent with each other and with an independent
computation, for every rep, region and the company, in a month, a quarter and a fiscal year,
current and past, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from core.periods import add_months, fiscal_year, month, quarter_of
from tests.conftest import SEED_TODAY
from tests.figures_agree import check_figures_agree

PERIODS = {
    "this month": month(SEED_TODAY.year, SEED_TODAY.month),
    "this quarter": quarter_of(SEED_TODAY),
    "this fiscal year": fiscal_year(SEED_TODAY.year),
    "last quarter": quarter_of(add_months(quarter_of(SEED_TODAY).start, -1)),
    "last fiscal year": fiscal_year(SEED_TODAY.year - 1),
}


@pytest.mark.parametrize("name", list(PERIODS))
def test_every_consumer_shows_the_same_figures(session, engine, monkeypatch, capsys, name):
    url = engine.url.render_as_string(hide_password=False)
    compared = check_figures_agree(
        session, PERIODS[name], SEED_TODAY, cli=(url, monkeypatch, capsys)
    )
    assert compared > 10, "the company, regions and reps were compared"


def test_an_ended_period_has_a_result_and_no_forecast(session):
    from core.progress import attainment, scopes
    from tests.figures_agree import _director

    director = _director(session)
    period = PERIODS["last quarter"]
    head, parts = attainment.scope_attainment(
        session, scopes.default_scope(session, director), period, today=SEED_TODAY
    )
    for row in (head, *parts):
        assert row.ended
        assert row.won > 0 or row.target is None or row.level == "rep"
        assert row.open_pipeline == 0 and row.open_deals == 0
        assert row.forecast is None and row.coverage is None and row.probability is None
