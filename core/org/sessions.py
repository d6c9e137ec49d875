"""Sign-in sessions kept on the server, so a reload or a new tab stays signed in.

Rules:
- Signing in starts a session: a random token of 256 bits that only the browser's cookie
  holds; the database keeps its SHA-256 hash, so a copy of the table signs nobody in.
- The cookie carries the token and an HMAC of it under the server's secret; a cookie whose
  signature does not match is refused before the database is asked.
- A session ends after `session_idle_minutes` without a request (the idle timeout) and
  `session_lifetime_hours` after sign-in however active (the absolute lifetime); both come
  from the process settings (db/config.py).
- Signing out ends the session; a password change and a deactivation end every session of
  the person, in every browser. A deactivated person's session is refused even if it was
  somehow left open.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.errors import DomainError, NotFound
from core.i18n import N_, _
from core.models import Actor
from core.org.access import load_actor
from db.config import DEFAULT_SQLITE_PATH, get_settings
from db.schema import WebSession

TOKEN_BYTES = 32
TOUCH_EVERY = timedelta(minutes=1)
"""`last_seen_at` is written at most this often: one small write a minute per active tab."""
SECRET_FILE = DEFAULT_SQLITE_PATH.parent / "session_cookie_secret"
USER_AGENT_LENGTH = 300
NOT_SIGNED_IN = N_("Please sign in.")


class SessionEnded(DomainError):
    """The session cannot be used any more; the message says why, for the sign-in page."""


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta
    lifetime: timedelta


def session_limits() -> SessionLimits:
    """The idle timeout and the absolute lifetime from the process settings."""
    settings = get_settings()
    return SessionLimits(
        idle=timedelta(minutes=settings.session_idle_minutes),
        lifetime=timedelta(hours=settings.session_lifetime_hours),
    )


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    session: Session, person_id: int, *, user_agent: str | None = None, now: datetime | None = None
) -> str:
    """Start a session for a person who has just signed in; returns the token for the cookie."""
    now = now or datetime.now()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        WebSession(
            token_hash=_key(token),
            person_id=person_id,
            created_at=now,
            last_seen_at=now,
            user_agent=(user_agent or None) and user_agent[:USER_AGENT_LENGTH],
        )
    )
    session.flush()
    return token


_ENDED_EARLY = {
    "sign_out": N_("You signed out (in this or another tab or window). Sign in again to continue."),
    "password": N_(
        "Your password was changed, so you were signed out everywhere. Sign in again "
        "with the new password."
    ),
    "deactivated": N_("Your account is no longer active."),
}


def resolve_session(
    session: Session,
    token: str,
    *,
    now: datetime | None = None,
    limits: SessionLimits | None = None,
) -> Actor:
    """The signed-in person of a session, after checking it is still valid; notes the visit.

    Refused (SessionEnded, with the reason) when the session is unknown, ended, idle for
    longer than the idle timeout, older than the lifetime, or its person is deactivated.
    """
    now = now or datetime.now()
    limits = limits or session_limits()
    row = session.scalar(select(WebSession).where(WebSession.token_hash == _key(token)))
    if row is None:
        raise SessionEnded(NOT_SIGNED_IN)
    if row.revoked_at is not None:
        raise SessionEnded(_(_ENDED_EARLY.get(row.revoked_because or "", _ENDED_EARLY["sign_out"])))
    if now - row.created_at > limits.lifetime:
        raise SessionEnded(_("Your sign-in has expired. Please sign in again."))
    if now - row.last_seen_at > limits.idle:
        raise SessionEnded(_("You were signed out after a period of inactivity."))
    try:
        actor = load_actor(session, row.person_id)
    except NotFound:
        raise SessionEnded(_(_ENDED_EARLY["deactivated"])) from None
    if not actor.active:
        raise SessionEnded(_(_ENDED_EARLY["deactivated"]))
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return actor


def end_session(session: Session, token: str, *, now: datetime | None = None) -> None:
    """Sign out: this session ends (other browsers of the person stay signed in)."""
    row = session.scalar(select(WebSession).where(WebSession.token_hash == _key(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now or datetime.now()
        row.revoked_because = "sign_out"


def end_all_sessions(
    session: Session,
    person_id: int,
    *,
    because: str,
    now: datetime | None = None,
    keep: str | None = None,
) -> int:
    """End every open session of a person (password changed, deactivated), except the one of
    the token `keep` (the browser that changed its own password); returns how many."""
    statement = update(WebSession).where(
        WebSession.person_id == person_id, WebSession.revoked_at.is_(None)
    )
    if keep is not None:
        statement = statement.where(WebSession.token_hash != _key(keep))
    result = session.execute(
        statement.values(revoked_at=now or datetime.now(), revoked_because=because)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def open_sessions(session: Session, person_id: int) -> int:
    """How many sessions of the person have not been ended (some may have timed out)."""
    rows = session.scalars(
        select(WebSession.id).where(
            WebSession.person_id == person_id, WebSession.revoked_at.is_(None)
        )
    )
    return len(list(rows))


# --- the cookie ---------------------------------------------------------------------------


def _signature(token: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def cookie_value(token: str, secret: str) -> str:
    """What the browser keeps: the token and its HMAC-SHA256 under the server's secret."""
    return f"{token}.{_signature(token, secret)}"


def token_from_cookie(value: str | None, secret: str) -> str | None:
    """The token of a cookie whose signature is right; None for a missing or tampered one."""
    if not value or value.count(".") != 1:
        return None
    token, signature = value.split(".")
    # Bytes, so a signature with characters outside ASCII is refused instead of raising.
    expected = _signature(token, secret).encode()
    if not token or not hmac.compare_digest(signature.encode(), expected):
        return None
    return token


def cookie_secret(path: Path = SECRET_FILE) -> str:
    """SESSION_COOKIE_SECRET when set; otherwise a random secret generated once into `path`
    (readable by its owner only) and read from there afterwards."""
    configured = get_settings().session_cookie_secret
    if configured:
        return configured
    try:
        existing = path.read_text().strip()
    except FileNotFoundError:
        return _write_secret(path)
    if not existing:  # an empty file left by an interrupted start
        path.unlink(missing_ok=True)
        return _write_secret(path)
    return existing


def _wait_for_secret(path: Path, tries: int = 50) -> str:
    """The secret another process has just created, once it is written (never an empty one)."""
    for __ in range(tries):
        written = path.read_text().strip()
        if written:
            return written
        time.sleep(0.02)
    raise RuntimeError(
        _("The sign-in secret file {path} stays empty; remove it and start again.").format(
            path=path
        )
    )


def _write_secret(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process is writing it: wait for theirs
        return _wait_for_secret(path)
    with os.fdopen(descriptor, "w") as file:
        file.write(secret)
    return secret
