"""Every role signs in through the form and sees its own home page with real numbers."""

import json
import os

import pytest
from sqlalchemy import select

from core.org.access import load_actor
from core.periods import quarter_of
from core.progress import attainment as evaluation
from core.progress import scopes
from db.engine import make_engine, session_factory
from db.schema import Person
from tests.app.conftest import DEMO_PASSWORD, new_app, signed_in
from tests.conftest import SEED_TODAY
from ui.format import money


def _figures(url, username):
    with session_factory(make_engine(url))() as session:
        actor = load_actor(
            session, session.scalar(select(Person.id).where(Person.username == username))
        )
        scope = scopes.default_scope(session, actor)
        return evaluation.scope_figures(session, scope, quarter_of(SEED_TODAY))


def test_the_login_page_lists_the_demo_accounts():
    at = new_app().run()
    assert not at.exception
    shown = " ".join(str(t.value) for t in at.table)
    for username in ("admin", "director", "manager", "rep"):
        assert username in shown


def test_a_wrong_password_shows_a_clear_error_and_stays_signed_out():
    at = signed_in("director", "wrong")
    assert [e.value for e in at.error] == ["Wrong username or password."]
    assert "user_id" not in at.session_state


@pytest.mark.parametrize(
    ("username", "part"),
    [("director", "region"), ("manager", "rep"), ("rep", "month"), ("admin", "region")],
)
def test_each_role_sees_its_home_page_with_real_numbers(app_database, username, part):
    at = signed_in(username)
    assert not at.exception
    if username == "rep":  # a rep starts on My day; Home is one step away
        assert at.title[0].value == "My day"
        at.switch_page("pages/home.py").run()
    assert at.title[0].value.startswith("Hello, ")
    metrics = {m.label: m.value for m in at.metric}
    expected = _figures(app_database, username)
    assert metrics["Won"] == money(expected.won)
    assert metrics["Target"] == money(expected.target)
    assert metrics["Open pipeline"] == money(expected.open_pipeline)
    assert expected.won > 0
    # the demo plans units and visits this year: Home lists them above the revenue parts
    this_week = [] if username == "admin" else ["This week"]  # the weekly digest, in the app
    assert [s.value for s in at.subheader] == [
        "Other targets",
        f"Won vs target by {part}",
        *this_week,
    ]
    assert "Units: achieved / target" in metrics and "Visits: achieved / target" in metrics
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert charts, "the home page shows a chart"
    spec = json.loads(charts[0].proto.spec)
    # won bars, the target's tick and the tick of what is expected by today
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["bar", "tick", "tick"]


@pytest.mark.parametrize("username", ["director", "admin", "manager", "rep"])
def test_every_page_in_a_roles_navigation_opens_without_an_error(username):
    from core.models import Role
    from ui.navigation import PAGES

    role = Role(username)  # the demo accounts are named after their roles
    at = signed_in(username)
    paths = [entry.path for entry in PAGES if role in entry.roles]
    assert len(paths) >= 5
    for path in paths:
        at.switch_page(path).run()
        assert not at.exception, (username, path, at.exception)
        assert at.title, (username, path)
        assert not at.error, (username, path, [e.value for e in at.error])


def test_the_audit_log_is_not_in_a_reps_or_managers_navigation():
    for username in ("rep", "manager"):
        at = signed_in(username)
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page("pages/audit.py")


def test_changing_the_password_needs_matching_entries():
    at = signed_in("rep")
    at.switch_page("pages/account.py").run()
    at.text_input(key="current_password").input(DEMO_PASSWORD)
    at.text_input(key="new_password").input("new-pass")
    at.text_input(key="repeat_password").input("other")
    at.button[-1].click().run()
    assert "differ" in at.error[0].value


def test_changing_the_password_asks_for_the_current_one_and_keeps_the_old_on_a_wrong_guess():
    at = signed_in("rep")
    at.switch_page("pages/account.py").run()
    at.text_input(key="current_password").input("not my password")
    at.text_input(key="new_password").input("new-pass")
    at.text_input(key="repeat_password").input("new-pass")
    at.button[-1].click().run()
    assert not at.exception
    assert "current password is not right" in " ".join(e.value for e in at.error)
    refused = signed_in("rep", "new-pass")  # nothing was changed: the new one is refused
    assert [e.value for e in refused.error] == ["Wrong username or password."]


def test_an_unreachable_database_shows_one_clear_message(monkeypatch):
    from db.config import get_settings

    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    at = new_app().run()
    assert not at.exception
    assert "The database is not available" in at.error[0].value
    assert "127.0.0.1:1" in at.error[0].value


def _returning(username: str, last_seen_minutes_ago: float):
    """A fresh run of the app for a browser tab that signed in earlier: its server-side
    session was last seen that many minutes ago."""
    from datetime import datetime, timedelta

    from core.org import sessions

    with session_factory(make_engine(os.environ["DATABASE_URL"])).begin() as session:
        person_id = session.scalar(select(Person.id).where(Person.username == username))
        seen = datetime.now() - timedelta(minutes=last_seen_minutes_ago)
        token = sessions.start_session(session, person_id, now=seen)
    at = new_app()
    at.session_state["session_token"] = token
    return at.run()


def test_a_recent_session_stays_signed_in():
    at = _returning("rep", 5)
    assert at.title[0].value == "My day"  # a rep's home


def test_an_idle_session_ends_and_asks_to_sign_in_again():
    at = _returning("rep", 61)
    assert not at.exception
    assert "user_id" not in at.session_state
    assert [i.value for i in at.info] == ["You were signed out after a period of inactivity."]
    assert at.text_input(key="login_username")


def test_a_deactivated_person_is_signed_out_at_the_next_click(app_database):
    from core.org import people
    from core.org.access import SYSTEM_ACTOR

    engine = make_engine(app_database)
    with session_factory(engine).begin() as session:
        people.deactivate(session, SYSTEM_ACTOR, "manager")
    try:
        at = _returning("manager", 1)
        assert "user_id" not in at.session_state
        assert [i.value for i in at.info] == ["Your account is no longer active."]
    finally:
        with engine.begin() as conn:
            conn.execute(
                Person.__table__.update().where(Person.username == "manager").values(active=True)
            )
