"""Moves dated in a later month on the Organisation page: scheduled, listed, cancelled, and
carried out by the first page view once their month has come."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, select

from core.org import changes
from db.engine import make_engine, session_factory
from db.schema import AuditLog, Person, Region, ScheduledOrgChange
from tests.app.conftest import signed_in
from tests.plan_factories import actor_named


@pytest.fixture
def db(app_database):
    engine = make_engine(app_database)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def newcomer(db, request):
    """A rep with no records yet, in the demo rep's region, removed again after the test;
    with the id of another active region to move to."""
    username = f"mover_{request.node.name[:40]}".lower()
    with db.begin() as session:
        home = session.scalar(select(Person.region_id).where(Person.username == "rep"))
        elsewhere = session.scalar(
            select(Region.id).where(
                Region.id != home, Region.parent_id.is_not(None), Region.active.is_(True)
            )
        )
        person = Person(
            username=username, email=f"{username}@test.example", name="Mia Mover",
            role="rep", region_id=home, active=True, hire_date=date(2020, 1, 1),
        )  # fmt: skip
        session.add(person)
        session.flush()
        person_id = person.id
    yield person_id, home, elsewhere
    with db.begin() as session:
        session.execute(delete(ScheduledOrgChange).where(ScheduledOrgChange.person_id == person_id))
        session.execute(
            delete(AuditLog).where(AuditLog.entity == "person", AuditLog.entity_id == person_id)
        )
        session.execute(delete(Person).where(Person.id == person_id))


def _moves_audited(db, person_id: int) -> list[str]:
    with db() as session:
        return session.scalars(
            select(AuditLog.actor_label).where(
                AuditLog.entity == "person",
                AuditLog.entity_id == person_id,
                AuditLog.action == "move",
            )
        ).all()


def _next_year_month() -> date:
    today = date.today()
    return date(today.year + 1, today.month, 1)


def test_a_director_schedules_a_move_sees_it_listed_and_cancels_it(db, newcomer):
    person_id, home, elsewhere = newcomer
    at = signed_in("director")
    at.switch_page("pages/organisation.py").run()
    at.selectbox(key="mp_p").set_value(person_id)
    at.selectbox(key="mp_r").set_value(elsewhere)
    at.date_input(key="mp_m").set_value(_next_year_month())
    at.button(key="FormSubmitter:move_person-Move").click().run()
    assert not at.exception
    assert "is scheduled to move" in at.success[0].value
    with db() as session:
        assert session.get(Person, person_id).region_id == home
        change = session.scalar(
            select(ScheduledOrgChange).where(ScheduledOrgChange.person_id == person_id)
        )
        assert (change.status, change.region_id, change.effective_on) == (
            "scheduled",
            elsewhere,
            _next_year_month(),
        )
    listed = [frame.value for frame in at.dataframe if "to_region" in frame.value.columns]
    assert len(listed) == 1 and "Mia Mover" in listed[0]["person"].tolist()

    at.selectbox(key="cm_c").set_value(change.id)
    at.button(key="FormSubmitter:cancel_move-Cancel this move").click().run()
    assert not at.exception
    assert "is cancelled" in at.success[0].value
    with db() as session:
        assert session.get(ScheduledOrgChange, change.id).status == "cancelled"
        assert session.get(Person, person_id).region_id == home


def test_a_move_whose_month_has_come_is_carried_out_by_the_next_page_view(db, newcomer):
    person_id, home, elsewhere = newcomer
    this_month = date.today().replace(day=1)
    last_month = date(this_month.year - (this_month.month == 1), (this_month.month - 2) % 12 + 1, 1)
    with db.begin() as session:
        director = actor_named(session, "director")
        change_id = changes.move_person(
            session, director, person_id, elsewhere, this_month, today=last_month
        )["scheduled_change"]  # scheduled last month, due from the first of this month
        assert session.get(Person, person_id).region_id == home

    at = signed_in("director")
    assert not at.exception
    assert _moves_audited(db, person_id) == [changes.SCHEDULER.label]
    with db() as session:
        assert session.get(Person, person_id).region_id == elsewhere
        assert session.get(ScheduledOrgChange, change_id).status == "applied"
    at.run()  # the next view applies nothing twice
    assert not at.exception
    assert _moves_audited(db, person_id) == [changes.SCHEDULER.label]
