"""Passwords live only as salted argon2 hashes: no column of any person row, and no audit entry,
holds the password typed, after adding a person and after setting a new password. And the
lockout counts failures across separate sign-in transactions, as the app makes them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from core.org import people
from core.org.access import SYSTEM_ACTOR
from core.org.auth import MAX_FAILED_LOGINS, LoginFailed, authenticate, password_matches, sign_in
from db.engine import make_engine, migrate
from db.schema import AuditLog, Person

FIRST = "Plain-Text-Secret-1"
SECOND = "Another-Plain-Secret-2"


def _every_text(session, model) -> list[str]:
    """Every value of every column of every row, as text."""
    table = model.__table__
    return [str(value) for row in session.execute(select(table)).all() for value in row]


def test_no_password_is_stored_in_plain_text_after_add_and_set_password(session):
    person_id = people.add_person(
        session,
        SYSTEM_ACTOR,
        people.PersonCreate(
            email="vault@example.com", name="Val Vault", role="rep", password=FIRST
        ),
    )
    people.set_password(session, SYSTEM_ACTOR, "vault", SECOND)
    session.flush()
    stored = session.get(Person, person_id)
    hashed = stored.password_hash
    assert hashed.startswith("$argon2id$") and "$m=" in hashed  # argon2id with its parameters
    salt = hashed.split("$")[4]
    assert len(salt) >= 16, "a random salt of at least 16 bytes (base64)"
    values = _every_text(session, Person) + _every_text(session, AuditLog)
    for secret in (FIRST, SECOND):
        assert not [v for v in values if secret in v], f"'{secret}' found in the database"
    assert password_matches(hashed, SECOND) and not password_matches(hashed, FIRST)


def test_two_people_with_the_same_password_get_different_hashes(session):
    ids = [
        people.add_person(
            session,
            SYSTEM_ACTOR,
            people.PersonCreate(
                email=f"twin{n}@example.com", name=f"Twin {n}", role="rep", password=FIRST
            ),
        )
        for n in (1, 2)
    ]
    first, second = (session.get(Person, i).password_hash for i in ids)
    assert first != second


def test_failed_sign_ins_count_across_transactions_and_lock_the_account(tmp_path):
    """sign_in commits the failure count even when it refuses, so five separate wrong
    attempts (five page submits) lock the account; the right password is refused meanwhile."""
    engine = make_engine(f"sqlite:///{tmp_path / 'locks.db'}")
    migrate(engine)
    factory = sessionmaker(engine)
    with factory.begin() as session:
        people.add_person(
            session,
            SYSTEM_ACTOR,
            people.PersonCreate(
                email="lock@example.com", name="Lo Cked", role="rep", password=FIRST
            ),
        )
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(LoginFailed, match="Wrong username or password"):
            sign_in(factory, "lock", "wrong")
    with pytest.raises(LoginFailed, match="Too many failed attempts"):
        sign_in(factory, "lock", FIRST)
    with factory() as session:
        locked_until = session.scalar(select(Person.locked_until))
        assert locked_until is not None
        assert timedelta(minutes=4) < locked_until - datetime.now() <= timedelta(minutes=5)
        # once the lock has passed, the right password works again
        assert authenticate(session, "lock", FIRST, now=locked_until + timedelta(seconds=1))
    engine.dispose()
