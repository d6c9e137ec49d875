"""The attainment page per role: its default scope, its figures, charts and drill-down."""

import json
from datetime import date

import pytest
from sqlalchemy import select

from core.org.access import load_actor
from core.periods import quarter_of
from core.progress import attainment as evaluation
from core.progress import scopes
from db.engine import make_engine, session_factory
from db.schema import Person
from tests.app.conftest import signed_in
from tests.conftest import demo_sqlite
from ui.format import MISSING, money, percent


@pytest.fixture(scope="module")
def app_database(tmp_path_factory, seed_templates) -> str:
    """A copy of the demo data of its own: the figures below are checked against the demo as
    seeded, and other files' AppTests on the same parallel worker write to the shared copy."""
    return demo_sqlite(seed_templates, tmp_path_factory.mktemp("attainment") / "app.db", seed=11)

def _expected(url, username):
    with session_factory(make_engine(url))() as session:
        actor = load_actor(
            session, session.scalar(select(Person.id).where(Person.username == username))
        )
        scope = scopes.default_scope(session, actor)
        return evaluation.scope_attainment(session, scope, quarter_of(date.today()))


def _open(username):
    at = signed_in(username)
    at.switch_page("pages/attainment.py").run()
    assert not at.exception, at.exception
    return at


def _charts(at):
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    return [json.loads(c.proto.spec) for c in charts]


@pytest.mark.parametrize(
    ("username", "part"), [("director", "region"), ("manager", "region"), ("admin", "region")]
)
def test_leaders_see_their_scope_with_cards_charts_and_a_drill_down(app_database, username, part):
    at = _open(username)
    head, parts = _expected(app_database, username)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Target"] == money(head.target)
    assert metrics["Won"] == money(head.won)
    assert metrics["Attainment"] == percent(head.attainment)
    assert metrics["Pace"] == percent(head.pace)
    assert metrics["Gap"] == money(head.gap)
    assert metrics["Forecast"] == money(head.forecast)
    assert metrics["Probability"] == percent(head.probability)
    assert head.won > 0 and parts
    layers = [
        [layer["mark"]["type"] for layer in spec.get("layer", [spec])] for spec in _charts(at)
    ]
    assert ["bar", "tick", "rule"] in layers  # attainment bars, expected mark, 100% rule
    assert ["rect", "rect", "text"] in layers  # region x month heatmap
    assert [s.value for s in at.subheader][0] == f"Attainment by {part}"
    drill = at.dataframe[-1].value
    assert len(drill) == len(parts) + 1


def test_a_director_drills_from_the_company_to_a_region_and_to_a_reps_deals():
    at = _open("director")
    assert at.selectbox(key="att_scope").value == "company"
    drill = next(s for s in at.selectbox if s.label.startswith("Drill into"))
    region_key = drill.options[1]
    drill.select_index(1).run()
    assert not at.exception
    assert at.selectbox(key="att_scope").value.startswith("region:")
    # Down to a team (a region without children): its parts are reps.
    drill = next(s for s in at.selectbox if s.label.startswith("Drill into"))
    drill.select_index(1).run()
    assert at.selectbox(key="att_scope").value != region_key
    assert [s.value for s in at.subheader][0] == "Attainment by rep"
    drill = next(s for s in at.selectbox if s.label.startswith("Drill into"))
    drill.select_index(1).run()
    assert not at.exception
    assert any("Deals of" in m.value for m in at.markdown)
    assert set(at.dataframe[-1].value.columns) >= {"deal", "customer", "stage", "amount"}


def test_a_rep_sees_only_their_own_figures_and_deals(app_database):
    at = _open("rep")
    head, parts = _expected(app_database, "rep")
    assert parts == []
    assert at.selectbox(key="att_scope").disabled
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Won"] == money(head.won)
    assert metrics["Probability"] == percent(head.probability)
    deals = at.dataframe[-1].value
    # a deal not priced (no exchange rate) is listed but counts in no figure until it is
    priced = deals[deals["amount"] != MISSING]
    assert len(priced) == head.won_deals + head.open_deals
    assert set(deals[deals["amount"] == MISSING]["weighted"]) <= {MISSING}


def test_another_period_changes_the_figures():
    at = _open("director")
    before = {m.label: m.value for m in at.metric}
    options = at.selectbox(key="att_period").options
    year = next(o for o in options if o.startswith("FY") and "this fiscal year" in o)
    at.selectbox(key="att_period").select(year.split(" ")[0]).run()
    assert not at.exception
    after = {m.label: m.value for m in at.metric}
    assert after["Target"] != before["Target"]


def test_a_win_committed_anywhere_shows_at_the_next_rerun(app_database):
    """The page caches its figures keyed by the data versions every commit moves (db.versions),
    so a win written outside the app shows at the next run, with no cache cleared by hand."""
    from decimal import Decimal

    from sqlalchemy import update

    from db.schema import Deal

    at = _open("rep")
    won_before = {m.label: m.value for m in at.metric}["Won"]
    engine = make_engine(app_database)
    with engine.begin() as conn:
        rep_id = conn.scalar(select(Person.id).where(Person.username == "rep"))
        deal_id, amount = conn.execute(
            select(Deal.id, Deal.amount)
            .where(
                Deal.owner_id == rep_id,
                Deal.status == "open",
                Deal.currency == "USD",  # the company currency: its amount counts as it is
                Deal.credit_shared.is_(False),  # all of it to the rep
            )
            .order_by(Deal.amount.desc())
        ).first()
        conn.execute(
            update(Deal).where(Deal.id == deal_id).values(status="won", closed_on=date.today())
        )
    try:
        at.run()
        won_after = {m.label: m.value for m in at.metric}["Won"]
        expected = Decimal(won_before.replace(",", "")) + Decimal(amount)
        assert won_after == money(expected)
    finally:
        with engine.begin() as conn:
            conn.execute(
                update(Deal).where(Deal.id == deal_id).values(status="open", closed_on=None)
            )
        engine.dispose()


def test_every_figure_on_the_directors_page_equals_an_independent_computation(app_database):
    """Cards and drill-down rows against pandas over the same rows (tests/attainment_books)."""
    from decimal import Decimal

    from tests.attainment_books import Books

    at = _open("director")
    today = date.today()
    with session_factory(make_engine(app_database))() as session:
        books = Books(session, quarter_of(today), today)
    d, t, regions = books.deals, books.targets, books.regions
    root = int(regions[regions.parent_id.isna()].id.iloc[0])
    company = books.figures(d.id.notna(), t.person_id.isna() & (t.region_id == root))
    metrics = {m.label: m.value for m in at.metric}
    pace = (company["won"] / company["expected_to_date"]).quantize(Decimal("0.0001"))
    assert metrics["Target"] == money(company["target"])
    assert metrics["Won"] == money(company["won"])
    assert metrics["Attainment"] == percent(company["attainment"])
    assert metrics["Pace"] == percent(pace)
    assert metrics["Gap"] == money(company["gap"])
    assert metrics["Forecast"] == money(company["forecast"])
    assert metrics["Expected to date"] == money(company["expected_to_date"])
    assert metrics["Open pipeline"] == money(company["open_pipeline"])
    assert abs(float(metrics["Probability"].rstrip("%")) / 100 - company["probability"]) < 0.025

    table = at.dataframe[-1].value.set_index("Region")
    children = regions[regions.parent_id == root]
    assert set(table.index) == set(children.name) | {"Company"}
    for region_id, name in zip(children.id, children.name):
        c = books.credit
        expected = books.figures(
            c.region_id.isin(books.subtree(region_id)),
            t.person_id.isna() & (t.region_id == region_id),
            credit=True,
        )
        row = table.loc[name]
        # The table shows amounts in whole units and ratios as percentages to one place.
        for column in (
            "target",
            "won",
            "expected_to_date",
            "open_pipeline",
            "weighted_pipeline",
            "forecast",
            "gap",
        ):
            shown = float(row[column].replace(",", ""))
            assert abs(shown - float(expected[column])) <= 0.511, (name, column)
        shown = float(row["attainment"].removesuffix("%")) / 100
        assert abs(shown - float(expected["attainment"])) <= 0.00051, name
        shown = float(row["probability"].removesuffix("%")) / 100
        assert abs(shown - expected["probability"]) < 0.025, name
