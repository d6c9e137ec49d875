"""People, passwords, sign-in and their audit trail against a real database."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from core.errors import PermissionDenied, ValidationFailed
from core.org import people
from core.org.access import SYSTEM_ACTOR, load_actor
from core.org.auth import LoginFailed, authenticate
from db.schema import AuditLog, Person
from tests import factories


def _new(session, **overrides):
    data = {
        "email": "Pat.New@Example.com",
        "name": "Pat New",
        "role": "rep",
        "password": "pw-1234",
    } | overrides
    return people.add_person(session, SYSTEM_ACTOR, people.PersonCreate(**data))


def test_an_added_person_signs_in_with_username_or_email_and_the_change_is_audited(session):
    person_id = _new(session, region="Europe")
    assert authenticate(session, "pat.new", "pw-1234") == person_id
    assert authenticate(session, "PAT.NEW@example.com", "pw-1234") == person_id
    entry = session.scalars(
        select(AuditLog).where(AuditLog.entity == "person", AuditLog.entity_id == person_id)
    ).one()
    assert entry.action == "add" and entry.actor_label == "manage.py (administrator)"
    stored = session.get(Person, person_id)
    assert "pw-1234" not in stored.password_hash


def test_a_wrong_password_is_refused_with_a_clear_message(session):
    _new(session)
    with pytest.raises(LoginFailed, match="Wrong username or password"):
        authenticate(session, "pat.new", "nope")
    with pytest.raises(LoginFailed, match="Wrong username or password"):
        authenticate(session, "nobody", "nope")


def test_repeated_failures_lock_the_account_for_a_while(session):
    _new(session)
    now = datetime(2026, 6, 1, 12, 0)
    for _ in range(5):
        with pytest.raises(LoginFailed):
            authenticate(session, "pat.new", "wrong", now=now)
    with pytest.raises(LoginFailed, match="Too many failed attempts"):
        authenticate(session, "pat.new", "pw-1234", now=now + timedelta(minutes=1))
    assert authenticate(session, "pat.new", "pw-1234", now=now + timedelta(minutes=6))


def test_a_deactivated_person_cannot_sign_in(session):
    _new(session)
    people.deactivate(session, SYSTEM_ACTOR, "pat.new")
    with pytest.raises(LoginFailed, match="deactivated"):
        authenticate(session, "pat.new", "pw-1234")


def test_duplicates_and_unknown_regions_are_refused(session):
    _new(session)
    with pytest.raises(ValidationFailed, match="already exists"):
        _new(session, name="Someone else")
    with pytest.raises(ValidationFailed, match="Unknown region 'Atlantis'"):
        _new(session, email="x@example.com", region="Atlantis")


def test_only_directors_and_admins_add_people_or_reset_others_passwords(session):
    region = factories.region(session)
    manager = factories.actor(
        session, factories.person(session, "manager", region, manages=[region])
    )
    data = people.PersonCreate(email="q@example.com", name="Q", role="rep", password="pw-1234")
    with pytest.raises(PermissionDenied):
        people.add_person(session, manager, data)
    with pytest.raises(PermissionDenied):
        people.set_password(session, manager, "director", "hijack")
    people.set_password(session, manager, manager.username, "my-own-new")
    assert authenticate(session, manager.username, "my-own-new") == manager.id


def test_a_managers_scope_is_the_subtree_of_the_managed_region(session):
    top = factories.region(session, "Top")
    child = factories.region(session, "Child", parent=top)
    grandchild = factories.region(session, "Grandchild", parent=child)
    factories.region(session, "Elsewhere")
    manager = factories.person(session, "manager", top, manages=[top])
    actor = load_actor(session, manager.id)
    assert actor.scope_region_ids == {top.id, child.id, grandchild.id}


def test_only_directors_and_admins_read_the_audit_log(session):
    from core.org import audit

    region = factories.region(session)
    for role in ("rep", "manager"):
        who = factories.actor(session, factories.person(session, role, region))
        with pytest.raises(PermissionDenied, match="read the audit log"):
            audit.recent_entries(session, who)
    director = factories.actor(session, factories.person(session, "director"))
    _new(session)
    entries = audit.recent_entries(session, director)
    assert entries.iloc[0]["action"] == "add"
