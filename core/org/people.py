"""People who sign in: add, set a password, deactivate. Every change is audited."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.errors import NotFound, ValidationFailed
from core.i18n import LANGUAGES, _, normalise
from core.models import Actor, Role
from core.org import audit
from core.org.access import ensure_active, ensure_role
from core.org.auth import hash_password, password_matches
from core.org.sessions import end_all_sessions
from db.schema import Person, Region


class PersonCreate(BaseModel):
    """A new person; username defaults to the part of the email before the @."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    name: str = Field(min_length=1, max_length=200)
    role: Role
    region: str | None = None
    username: str | None = Field(default=None, max_length=120)
    hire_date: date | None = None
    password: str = Field(min_length=4, max_length=200)

    @field_validator("email")
    @classmethod
    def lower_email(cls, value: str) -> str:
        return value.lower()


def find_person(session: Session, login: str) -> Person:
    login = login.strip().lower()
    person = session.scalar(
        select(Person).where(
            or_(func.lower(Person.username) == login, func.lower(Person.email) == login)
        )
    )
    if person is None:
        raise NotFound(_("No person with username or email '{login}'.").format(login=login))
    return person


def add_person(session: Session, actor: Actor, data: PersonCreate) -> int:
    """Create a person who can sign in (administrators and directors only)."""
    ensure_role(actor, action=_("add people"))
    username = (data.username or data.email.split("@")[0]).lower()
    clash = session.scalar(
        select(Person.id).where(
            or_(func.lower(Person.username) == username, func.lower(Person.email) == data.email)
        )
    )
    if clash:
        raise ValidationFailed(
            _("Someone with username '{username}' or email '{email}' already exists.").format(
                username=username, email=data.email
            )
        )
    region_id = None
    if data.region:
        region_id = session.scalar(select(Region.id).where(Region.name == data.region))
        if region_id is None:
            raise ValidationFailed(_("Unknown region '{region}'.").format(region=data.region))
    person = Person(
        username=username,
        email=data.email,
        name=data.name,
        role=data.role.value,
        region_id=region_id,
        hire_date=data.hire_date,
        password_hash=hash_password(data.password),
    )
    session.add(person)
    session.flush()
    audit.record(
        session,
        actor,
        "add",
        "person",
        person.id,
        after={"username": username, "email": data.email, "role": data.role, "region": data.region},
    )
    return person.id


def set_password(session: Session, actor: Actor, login: str, password: str) -> None:
    """Admins and directors reset anyone's password; everyone active may change their own (a
    person deactivated while signed in may not). Every sign-in of the person ends, in every
    browser, so a stolen session does not outlive the new password."""
    ensure_active(actor)
    person = find_person(session, login)
    if person.id != actor.id:
        ensure_role(actor, action=_("set other people's passwords"))
    person.password_hash = hash_password(password)
    person.failed_logins = 0
    person.locked_until = None
    end_all_sessions(session, person.id, because="password")
    audit.record(session, actor, "set_password", "person", person.id)


def change_own_password(
    session: Session, actor: Actor, current: str, new: str, *, this_session: str | None = None
) -> None:
    """A person changes their own password by giving the current one first (a borrowed
    browser is not enough to take the account over). Every other sign-in of the person ends;
    the browser that made the change (`this_session`, its token) stays signed in."""
    ensure_active(actor)
    person = session.get(Person, actor.id)
    if person is None:
        raise NotFound(_("Your account no longer exists."))
    if person.password_hash is not None and not password_matches(person.password_hash, current):
        raise ValidationFailed(_("The current password is not right; nothing was changed."))
    if not 4 <= len(new) <= 200:
        raise ValidationFailed(
            _("The new password needs 4 to 200 characters; nothing was changed.")
        )
    person.password_hash = hash_password(new)
    person.failed_logins = 0
    person.locked_until = None
    end_all_sessions(session, person.id, because="password", keep=this_session)
    audit.record(session, actor, "set_password", "person", person.id)


def set_own_language(session: Session, actor: Actor, language: str | None) -> None:
    """A person chooses the language the app and their emails speak (en or zh_CN); None goes
    back to the company default. Takes effect at the next page run."""
    ensure_active(actor)
    person = session.get(Person, actor.id)
    if person is None:
        raise NotFound(_("Your account no longer exists."))
    code = normalise(language) if language else None
    if language and code is None:
        raise ValidationFailed(
            _("{language} is not a language of this app; choose one of {choices}.").format(
                language=language, choices=", ".join(LANGUAGES)
            )
        )
    before = person.language
    person.language = code
    audit.record(
        session,
        actor,
        "set_language",
        "person",
        person.id,
        before={"language": before},
        after={"language": code},
    )


def deactivate(session: Session, actor: Actor, login: str) -> None:
    """A deactivated person can no longer sign in, and is signed out everywhere at their next
    click; their records stay."""
    ensure_role(actor, action=_("deactivate people"))
    person = find_person(session, login)
    if person.id == actor.id:
        raise ValidationFailed(_("You cannot deactivate yourself."))
    audit.record(
        session,
        actor,
        "deactivate",
        "person",
        person.id,
        before={"active": person.active},
        after={"active": False},
    )
    person.active = False
    end_all_sessions(session, person.id, because="deactivated")
