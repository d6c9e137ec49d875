"""Performance and Alerts under AppTest, per role, with the figures checked against core."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.models import Role
from core.org.access import load_actor
from core.org.company import fiscal_start_month
from core.performance import alerts, scorecard
from core.periods import quarter_of
from db.engine import make_engine, session_factory
from db.schema import Person, ScorecardWeight
from tests.app.conftest import signed_in


def open_section(at, slug: str):
    """Choose a section of Performance (only the chosen one runs)."""
    at.segmented_control(key="section").set_value(slug).run()
    assert not at.exception, at.exception
    return at


def _with_actor(url, username, work):
    with session_factory(make_engine(url))() as session:
        actor = load_actor(
            session, session.scalar(select(Person.id).where(Person.username == username))
        )
        return work(session, actor)


@pytest.mark.parametrize("username", ["director", "manager", "rep", "admin"])
def test_each_role_opens_performance_and_alerts_without_an_error(username):
    at = signed_in(username)
    for path, title in (("pages/performance.py", "Performance"), ("pages/alerts.py", "Alerts")):
        at.switch_page(path).run()
        assert not at.exception, (username, path, at.exception)
        assert at.title[0].value == title
        assert not at.error, [e.value for e in at.error]


def test_a_rep_sees_the_team_leaderboard_and_only_their_own_scorecard(app_database):
    at = signed_in("rep")
    at.switch_page("pages/performance.py").run()
    assert at.segmented_control(key="section").options == ["Leaderboard", "Scorecard", "Funnel"]
    me = _with_actor(app_database, "rep", lambda s, a: a)
    board = _with_actor(
        app_database,
        "rep",
        lambda s, a: scorecard.leaderboard(s, a, quarter_of(date.today(), fiscal_start_month(s))),
    )
    shown = at.dataframe[0].value
    assert list(shown["Rep"]) == [row.rep for row in board]
    assert me.name in list(shown["Rep"])
    open_section(at, "scorecard")
    assert at.selectbox(key="perf_rep").options == [me.name]


def test_only_the_chosen_section_runs(app_database):
    at = signed_in("director")
    at.switch_page("pages/performance.py").run()
    assert at.segmented_control(key="section").value == "leaderboard"  # the default
    assert [list(d.value.columns)[:2] for d in at.dataframe] == [["Rank", "Rep"]]
    keys = {s.key for s in at.selectbox}
    assert "perf_rep" not in keys and "funnel_scope" not in keys and "review_period" not in keys
    assert not at.metric and not at.subheader
    open_section(at, "funnel")
    assert {s.key for s in at.selectbox} >= {"funnel_scope", "funnel_period"}
    assert "perf_rep" not in {s.key for s in at.selectbox}
    assert all("Rank" not in d.value.columns for d in at.dataframe)
    assert [m.label for m in at.metric][:1] in ([], ["Deals created"])
    open_section(at, "weights")
    assert at.number_input(key="weight_attainment") is not None
    assert not any(d for d in at.dataframe)


def test_a_managers_scorecard_caption_adds_the_parts_up_to_the_score(app_database):
    at = signed_in("manager")
    at.switch_page("pages/performance.py").run()
    open_section(at, "scorecard")
    rep_id = at.selectbox(key="perf_rep").value[0]
    card = _with_actor(
        app_database,
        "manager",
        lambda s, a: scorecard.rep_scorecard(
            s, a, rep_id, quarter_of(date.today(), fiscal_start_month(s))
        ),
    )
    caption = next(c.value for c in at.caption if c.value.startswith("Score = "))
    assert f"**{card.score:.2f}**" in caption
    terms = caption.split("=")[1].split("+")
    assert sum(Decimal(t.strip()) for t in terms) == card.score
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Score"] == f"{card.score:.1f}"


def test_a_manager_sees_the_open_alerts_of_the_subtree_and_acknowledges_one(app_database):
    expected = _with_actor(
        app_database, "manager", lambda s, a: alerts.current_alerts(s, a, today=date.today())
    )
    assert expected, "the demo data has alerts for the manager"
    at = signed_in("manager")
    at.switch_page("pages/alerts.py").run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Open alerts"] == f"{len(expected):,}"
    table = at.get("arrow_data_frame")[0].value if at.get("arrow_data_frame") else None
    if table is not None:
        assert list(table["Subject"])[:3] == [a.subject for a in expected[:3]]
    at.session_state["alerts_editor"] = {
        "edited_rows": {0: {"Select": True}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    next(b for b in at.button if b.key == "alerts_ack").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["1 alert(s) acknowledged."]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Open alerts"] == f"{len(expected) - 1:,}"
    after = _with_actor(
        app_database, "manager", lambda s, a: alerts.current_alerts(s, a, today=date.today())
    )
    assert expected[0].key not in {a.key for a in after}


def test_acknowledging_nothing_shows_a_clear_error():
    at = signed_in("rep")
    at.switch_page("pages/alerts.py").run()
    if not any(b.key == "alerts_ack" for b in at.button):
        pytest.skip("no alerts for this rep in the app's demo data")
    next(b for b in at.button if b.key == "alerts_ack").click().run()
    assert [e.value for e in at.error] == ["Choose at least one alert."]


def test_weights_that_do_not_sum_to_100_are_refused_and_nothing_is_saved(app_database):
    def count(session, _actor):
        return session.scalar(select(func.count()).select_from(ScorecardWeight))

    before = _with_actor(app_database, "director", count)
    at = signed_in("director")
    at.switch_page("pages/performance.py").run()
    open_section(at, "weights")
    at.number_input(key="weight_attainment").set_value(90.0)
    next(b for b in at.button if b.label == "Save weights").click().run()
    assert not at.exception
    assert "sum to 100" in at.error[0].value
    assert _with_actor(app_database, "director", count) == before


def test_the_navigation_title_counts_the_open_alerts(app_database, monkeypatch):
    from types import SimpleNamespace

    from ui import navigation

    monkeypatch.setattr(navigation.st, "Page", lambda path, **kw: SimpleNamespace(path=path, **kw))

    actor, expected = _with_actor(
        app_database,
        "manager",
        lambda s, a: (a, alerts.open_alert_count(s, a, today=date.today())),
    )
    sections = navigation.pages_for(Role.MANAGER, actor)
    titles = [page.title for pages in sections.values() for page in pages]
    assert f"Alerts ({expected:,})" in titles


def test_an_admin_changes_alert_thresholds_and_bad_values_are_refused(app_database):
    at = signed_in("admin")
    at.switch_page("pages/alerts.py").run()
    at.number_input(key="threshold_neglected_days").set_value(-5)
    next(b for b in at.button if b.label == "Save thresholds").click().run()
    assert not at.exception
    assert "neglected_days" in at.error[0].value
    stored = _with_actor(app_database, "admin", lambda s, a: alerts.thresholds(s))
    assert stored.neglected_days == 90
    at.number_input(key="threshold_neglected_days").set_value(90)
    next(b for b in at.button if b.label == "Save thresholds").click().run()
    assert [s.value for s in at.success][-1].startswith("Thresholds saved")
