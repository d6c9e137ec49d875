"""Server-side sign-in sessions: they survive a reload, time out, end at sign-out, password
change and deactivation, and a tampered cookie is refused (SQLite and PostgreSQL)."""

import hashlib
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from core.errors import ValidationFailed
from core.org import people, sessions
from core.org.access import SYSTEM_ACTOR
from core.org.auth import password_matches
from core.org.sessions import SessionEnded, SessionLimits
from db.schema import Person, WebSession
from tests import factories

NOON = datetime(2026, 6, 1, 12, 0)
LIMITS = SessionLimits(idle=timedelta(minutes=60), lifetime=timedelta(hours=12))


def _rep(session):
    return factories.person(session, "rep", factories.region(session))


def test_a_started_session_resolves_to_its_person_and_only_the_tokens_hash_is_stored(session):
    rep = _rep(session)
    token = sessions.start_session(session, rep.id, user_agent="Phone browser", now=NOON)
    assert len(token) >= 40
    actor = sessions.resolve_session(session, token, now=NOON + timedelta(minutes=5), limits=LIMITS)
    assert actor.id == rep.id
    stored = session.scalars(select(WebSession).where(WebSession.person_id == rep.id)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (stored.token_hash, stored.user_agent)
    assert stored.user_agent == "Phone browser"
    assert stored.last_seen_at == NOON + timedelta(minutes=5)


def test_two_sign_ins_get_different_tokens(session):
    rep = _rep(session)
    first = sessions.start_session(session, rep.id, now=NOON)
    second = sessions.start_session(session, rep.id, now=NOON)
    assert first != second
    assert sessions.open_sessions(session, rep.id) == 2


def test_an_unknown_token_is_refused(session):
    with pytest.raises(SessionEnded, match="Please sign in"):
        sessions.resolve_session(session, "not-a-token", now=NOON, limits=LIMITS)


def test_a_session_idle_longer_than_the_timeout_ends_and_activity_keeps_it_alive(session):
    rep = _rep(session)
    token = sessions.start_session(session, rep.id, now=NOON)
    # active every 50 minutes for three hours: each visit moves "last seen"
    for step in range(1, 4):
        at = NOON + timedelta(minutes=50 * step)
        assert sessions.resolve_session(session, token, now=at, limits=LIMITS).id == rep.id
    last = NOON + timedelta(minutes=150)
    with pytest.raises(SessionEnded, match="period of inactivity"):
        sessions.resolve_session(session, token, now=last + timedelta(minutes=61), limits=LIMITS)


def test_visits_within_a_minute_do_not_write_last_seen_again(session):
    rep = _rep(session)
    token = sessions.start_session(session, rep.id, now=NOON)
    sessions.resolve_session(session, token, now=NOON + timedelta(seconds=30), limits=LIMITS)
    row = session.scalars(select(WebSession).where(WebSession.person_id == rep.id)).one()
    assert row.last_seen_at == NOON
    sessions.resolve_session(session, token, now=NOON + timedelta(seconds=61), limits=LIMITS)
    assert row.last_seen_at == NOON + timedelta(seconds=61)


def test_a_session_ends_after_its_lifetime_however_active(session):
    rep = _rep(session)
    token = sessions.start_session(session, rep.id, now=NOON)
    at = NOON
    while at + timedelta(minutes=30) <= NOON + timedelta(hours=12):
        at += timedelta(minutes=30)
        sessions.resolve_session(session, token, now=at, limits=LIMITS)
    with pytest.raises(SessionEnded, match="expired"):
        sessions.resolve_session(session, token, now=at + timedelta(minutes=1), limits=LIMITS)


def test_signing_out_ends_that_session_only(session):
    rep = _rep(session)
    laptop = sessions.start_session(session, rep.id, now=NOON)
    phone = sessions.start_session(session, rep.id, now=NOON)
    sessions.end_session(session, laptop, now=NOON + timedelta(minutes=1))
    with pytest.raises(SessionEnded, match="You signed out"):
        sessions.resolve_session(session, laptop, now=NOON + timedelta(minutes=2), limits=LIMITS)
    assert sessions.resolve_session(session, phone, now=NOON + timedelta(minutes=2), limits=LIMITS)


def test_a_password_change_ends_every_session_of_that_person_only(session):
    rep = _rep(session)
    other = _rep(session)
    tokens = [sessions.start_session(session, rep.id) for _ in range(2)]
    other_token = sessions.start_session(session, other.id)
    people.set_password(session, SYSTEM_ACTOR, rep.username, "new-secret-1")
    for token in tokens:
        with pytest.raises(SessionEnded, match="password was changed"):
            sessions.resolve_session(session, token, limits=LIMITS)
    assert sessions.open_sessions(session, rep.id) == 0
    assert sessions.resolve_session(session, other_token, limits=LIMITS).id == other.id


def test_changing_ones_own_password_signs_one_out_too(session):
    rep = _rep(session)
    token = sessions.start_session(session, rep.id)
    people.set_password(session, factories.actor(session, rep), rep.username, "mine-1234")
    with pytest.raises(SessionEnded, match="password was changed"):
        sessions.resolve_session(session, token, limits=LIMITS)


def test_deactivation_ends_every_session_of_the_person(session):
    rep = _rep(session)
    token = sessions.start_session(session, rep.id)
    people.deactivate(session, SYSTEM_ACTOR, rep.username)
    with pytest.raises(SessionEnded, match="no longer active"):
        sessions.resolve_session(session, token, limits=LIMITS)
    assert sessions.open_sessions(session, rep.id) == 0


def test_a_deactivated_persons_session_left_open_is_refused(session):
    rep = _rep(session)
    token = sessions.start_session(session, rep.id)
    rep.active = False  # deactivated without going through people.deactivate
    session.flush()
    with pytest.raises(SessionEnded, match="no longer active"):
        sessions.resolve_session(session, token, limits=LIMITS)


def test_the_cookie_carries_the_token_signed_and_a_tampered_cookie_is_refused():
    secret = "s" * 64
    token = "abcDEF123_-xyz"
    value = sessions.cookie_value(token, secret)
    assert value.startswith(token + ".")
    assert sessions.token_from_cookie(value, secret) == token
    signature = value.split(".")[1]
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    for tampered in (
        f"{token}.{flipped}",  # signature changed
        f"abcDEF123_-xyZ.{signature}",  # token changed, old signature
        token,  # no signature
        f"{token}.{signature}.extra",
        f"{token}.é{signature[1:]}",  # a signature outside ASCII is refused, not an error
        f"{token}.签名",
        "",
        None,
    ):
        assert sessions.token_from_cookie(tampered, secret) is None, tampered
    assert sessions.token_from_cookie(value, "another secret") is None


def test_a_cookie_signed_for_a_real_session_with_another_secret_signs_nobody_in(session):
    rep = _rep(session)
    token = sessions.start_session(session, rep.id)
    forged = sessions.cookie_value(token, "the attacker's secret")
    assert sessions.token_from_cookie(forged, "the server's secret") is None


def test_the_cookie_secret_is_generated_once_into_a_private_file(tmp_path, monkeypatch):
    from db.config import get_settings

    monkeypatch.delenv("SESSION_COOKIE_SECRET", raising=False)
    get_settings.cache_clear()
    path = tmp_path / "data" / "secret"
    first = sessions.cookie_secret(path)
    assert len(first) == 64 and path.read_text() == first
    assert path.stat().st_mode & 0o777 == 0o600
    assert sessions.cookie_secret(path) == first
    monkeypatch.setenv("SESSION_COOKIE_SECRET", "from-the-environment")
    get_settings.cache_clear()
    try:
        assert sessions.cookie_secret(path) == "from-the-environment"
    finally:
        get_settings.cache_clear()


def test_changing_ones_own_password_asks_for_the_current_one_and_keeps_this_browser(session):
    rep = _rep(session)
    people.set_password(session, SYSTEM_ACTOR, rep.username, "old-secret")
    here = sessions.start_session(session, rep.id)
    elsewhere = sessions.start_session(session, rep.id)
    me = factories.actor(session, rep)
    before = session.get(Person, rep.id).password_hash
    with pytest.raises(ValidationFailed, match="current password is not right"):
        people.change_own_password(session, me, "a guess", "new-secret", this_session=here)
    assert session.get(Person, rep.id).password_hash == before
    assert sessions.open_sessions(session, rep.id) == 2
    with pytest.raises(ValidationFailed, match="4 to 200 characters"):
        people.change_own_password(session, me, "old-secret", "abc", this_session=here)
    people.change_own_password(session, me, "old-secret", "new-secret", this_session=here)
    assert sessions.resolve_session(session, here, limits=LIMITS).id == rep.id
    with pytest.raises(SessionEnded, match="password was changed"):
        sessions.resolve_session(session, elsewhere, limits=LIMITS)
    assert password_matches(session.get(Person, rep.id).password_hash, "new-secret")
