"""My day under AppTest: a rep's home with the demo follow-ups, one tap to done and to
tomorrow, the quarter line from the figures Home shows, and a manager's empty day."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from core.org.access import load_actor
from core.periods import quarter_of
from core.progress import attainment, scopes
from db.engine import make_engine, session_factory
from db.schema import FollowUp, Person
from tests.app.conftest import signed_in
from ui.format import money


def _factory(url):
    return session_factory(make_engine(url))


def _open_follow_ups(url, username):
    with _factory(url)() as session:
        person_id = session.scalar(select(Person.id).where(Person.username == username))
        return session.scalars(
            select(FollowUp)
            .where(
                FollowUp.owner_id == person_id,
                FollowUp.status.in_(["open", "snoozed"]),
                FollowUp.due_on <= date.today(),
            )
            .order_by(FollowUp.due_on, FollowUp.id)
        ).all()


def _texts(at) -> str:
    return " ".join(str(m.value) for m in at.markdown)


def test_a_rep_lands_on_my_day_with_what_is_due_and_the_quarter(app_database):
    due = _open_follow_ups(app_database, "rep")
    assert due, "the demo gives every rep a visit due today and a late call"
    at = signed_in("rep")
    assert not at.exception
    assert at.title[0].value == "My day"
    assert [s.value for s in at.subheader] == [
        "Today",
        "Closing this month",
        "Won, waiting for cash",
        "My alerts",
    ]
    shown = _texts(at)
    for follow_up in due:
        assert follow_up.title in shown
    with _factory(app_database)() as session:
        rep = session.scalar(select(Person).where(Person.username == "rep"))
        actor = load_actor(session, rep.id)
        figures = attainment.scope_figures(
            session, scopes.default_scope(session, actor), quarter_of(date.today())
        )
    assert f"won {money(figures.won)} of a {money(figures.target)} target" in shown


def test_done_and_tomorrow_are_one_tap_each(app_database):
    first, second, *_ = _open_follow_ups(app_database, "rep")
    at = signed_in("rep")
    listed = {button.key for button in at.button}
    assert {f"my_day_done_{first.id}", f"my_day_done_{second.id}"} <= listed
    at.button(key=f"my_day_done_{first.id}").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [f"Done: {first.title}."]
    at.button(key=f"my_day_snooze_{second.id}").click().run()
    assert [s.value for s in at.success] == [f"Snoozed to tomorrow: {second.title}."]
    with _factory(app_database)() as session:
        done, snoozed = session.get_one(FollowUp, first.id), session.get_one(FollowUp, second.id)
        assert done.status == "done" and done.done_at is not None
        assert (snoozed.status, snoozed.due_on) == ("snoozed", date.today() + timedelta(days=1))
    # gone from the list (by their buttons: another follow-up may have the same title)
    keys = {button.key for button in at.button}
    assert f"my_day_done_{first.id}" not in keys and f"my_day_done_{second.id}" not in keys


def test_a_manager_without_follow_ups_sees_what_each_section_is_for(app_database):
    at = signed_in("manager")
    at.switch_page("pages/my_day.py").run()
    assert not at.exception
    assert at.title[0].value == "My day"
    infos = " ".join(i.value for i in at.info)
    assert "Nothing is due today." in infos
    assert not at.error


def test_a_follow_up_added_on_a_deal_opened_from_my_day_is_saved_for_the_rep(app_database):
    from db.schema import Deal

    with _factory(app_database).begin() as session:
        rep_id = session.scalar(select(Person.id).where(Person.username == "rep"))
        deal = session.scalars(
            select(Deal).where(Deal.owner_id == rep_id, Deal.status == "open").order_by(Deal.id)
        ).first()
        deal.expected_close = date.today()  # closing this month: on My day
        deal_id = deal.id
    at = signed_in("rep")
    at.button(key=f"my_day_open_{deal_id}").click().run()
    assert not at.exception
    at.text_input(key=f"my_day_fu_{deal_id}_title").input("Ask for the purchase order")
    next(b for b in at.button if b.label == "📌 Add follow-up").click().run()
    assert not at.exception and not at.error
    tomorrow = date.today() + timedelta(days=1)
    assert [s.value for s in at.success] == [f"Follow-up added for {tomorrow}."]
    with _factory(app_database)() as session:
        added = session.scalars(
            select(FollowUp).where(FollowUp.deal_id == deal_id).order_by(FollowUp.id.desc())
        ).first()
        assert (added.title, added.due_on, added.owner_id) == (
            "Ask for the purchase order",
            tomorrow,
            rep_id,
        )


def test_a_manager_opens_the_day_of_a_rep_of_the_area(app_database):
    due = _open_follow_ups(app_database, "rep")
    with _factory(app_database)() as session:
        rep_name = session.scalar(select(Person.name).where(Person.username == "rep"))
    at = signed_in("manager")
    at.switch_page("pages/my_day.py").run()
    whose = at.selectbox(key="my_day_whose")
    assert whose.options[0] == "My own"
    whose.select_index(whose.options.index(rep_name)).run()
    assert not at.exception and not at.error
    assert f"You are looking at the day of {rep_name}" in at.caption[0].value
    shown = _texts(at)
    for follow_up in due:
        assert follow_up.title in shown
    assert at.button(key=f"my_day_done_{due[0].id}")  # a manager may keep them
