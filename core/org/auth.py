"""Sign-in: passwords are stored only as salted argon2 hashes; repeated failures lock briefly."""

from __future__ import annotations

from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from core.errors import DomainError, ValidationFailed
from core.i18n import _
from db.schema import Person

_hasher = PasswordHasher()

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=5)
MIN_PASSWORD_LENGTH = 4


class LoginFailed(DomainError):
    """Wrong username or password, or the account may not sign in now."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            _("The password must have at least {MIN_PASSWORD_LENGTH} characters.").format(
                MIN_PASSWORD_LENGTH=MIN_PASSWORD_LENGTH
            )
        )
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(
    session: Session, login: str, password: str, *, now: datetime | None = None
) -> int:
    """The id of the person whose username or email and password match.

    After MAX_FAILED_LOGINS wrong passwords in a row the account is locked for LOCKOUT.
    """
    now = now or datetime.now()
    wrong = LoginFailed(_("Wrong username or password."))
    login = (login or "").strip().lower()
    if not login or not password:
        raise LoginFailed(_("Enter your username and password."))
    person = session.scalar(
        select(Person).where(
            or_(func.lower(Person.username) == login, func.lower(Person.email) == login)
        )
    )
    if person is None:
        raise wrong
    if person.locked_until and person.locked_until > now:
        raise LoginFailed(_("Too many failed attempts: try again in a few minutes."))
    if not password_matches(person.password_hash, password):
        person.failed_logins += 1
        if person.failed_logins >= MAX_FAILED_LOGINS:
            person.locked_until = now + LOCKOUT
            person.failed_logins = 0
        raise wrong
    if not person.active:
        raise LoginFailed(_("This account is deactivated. Ask an administrator."))
    person.failed_logins = 0
    person.locked_until = None
    return person.id


def sign_in(factory: sessionmaker[Session], login: str, password: str) -> int:
    """Authenticate in a transaction of its own that keeps the failed-attempt count even when
    the sign-in is refused."""
    with factory() as session:
        try:
            return authenticate(session, login, password)
        finally:
            session.commit()
