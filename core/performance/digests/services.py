"""Who may see and change what about digests.

- Each person chooses, per kind, not to receive a digest by email (My account); only they
  change their own choices. The in-app "this week" on Home stays, whatever they chose.
- The sent log and the preview of anyone's digest are for admins and directors; a person may
  preview their own digests.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.errors import PermissionDenied, ValidationFailed
from core.i18n import _, use_language
from core.models import Actor, Role
from core.org import audit
from core.org.access import ROLE_NAMES, ensure_active
from core.performance.digests.content import Digest, WeeklyDigest, digest_of
from core.performance.digests.rendering import RenderedEmail, render
from core.pipeline.pricing import company_currency
from db.schema import DigestKind, DigestOptOut, DigestSent, Person

SENT_LOG_LIMIT = 5000


class SentRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    sent_at: datetime
    kind: str
    period_key: str
    person_id: int
    person: str
    recipient: str
    subject: str
    language: str
    items: int


def _kind(kind: str) -> DigestKind:
    try:
        return DigestKind(kind)
    except ValueError:
        raise ValidationFailed(
            _("{kind} is not a kind of digest; choose weekly, daily or reminders.").format(
                kind=kind
            )
        ) from None


def opted_out_kinds(session: Session, actor: Actor) -> set[str]:
    """The kinds of digest the actor chose not to receive by email."""
    if actor.id is None:
        return set()
    return set(session.scalars(select(DigestOptOut.kind).where(DigestOptOut.person_id == actor.id)))


def set_opt_out(
    session: Session, actor: Actor, person_id: int | None, kind: str, opted_out: bool
) -> None:
    """Stop (or resume) one kind of digest for a person: only that person may."""
    ensure_active(actor)
    if actor.id is None or person_id != actor.id:
        raise PermissionDenied(_("You can only change which digests you receive yourself."))
    chosen = _kind(kind)
    current = chosen.value in opted_out_kinds(session, actor)
    if current == opted_out:
        return
    if opted_out:
        session.add(DigestOptOut(person_id=person_id, kind=chosen.value))
    else:
        session.execute(
            delete(DigestOptOut).where(
                DigestOptOut.person_id == person_id, DigestOptOut.kind == chosen.value
            )
        )
    audit.record(
        session,
        actor,
        "digest_opt_out" if opted_out else "digest_opt_in",
        "person",
        person_id,
        before={"kind": chosen.value, "opted_out": current},
        after={"kind": chosen.value, "opted_out": opted_out},
    )
    session.flush()


def _ensure_reads_log(actor: Actor) -> None:
    ensure_active(actor)
    if not actor.sees_everything:
        raise PermissionDenied(_("Only admins and directors see the digests sent."))


def sent_log(
    session: Session,
    actor: Actor,
    *,
    kind: str | None = None,
    person_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[SentRow]:
    """The digests the mail server accepted, newest first (admins and directors)."""
    _ensure_reads_log(actor)
    query = select(DigestSent, Person.name).join(Person, Person.id == DigestSent.person_id)
    if kind:
        query = query.where(DigestSent.kind == _kind(kind).value)
    if person_id is not None:
        query = query.where(DigestSent.person_id == person_id)
    if since is not None:
        query = query.where(DigestSent.sent_at >= datetime.combine(since, datetime.min.time()))
    if until is not None:
        query = query.where(DigestSent.sent_at <= datetime.combine(until, datetime.max.time()))
    rows = session.execute(
        query.order_by(DigestSent.sent_at.desc(), DigestSent.id.desc()).limit(SENT_LOG_LIMIT)
    )
    return [
        SentRow(
            id=sent.id,
            sent_at=sent.sent_at,
            kind=sent.kind,
            period_key=sent.period_key,
            person_id=sent.person_id,
            person=name,
            recipient=sent.recipient,
            subject=sent.subject,
            language=sent.language,
            items=len(sent.items or []),
        )
        for sent, name in rows
    ]


def preview(
    session: Session, actor: Actor, person_id: int, kind: str, today: date
) -> tuple[Digest, RenderedEmail] | None:
    """A person's digest of a kind as it would go out today, in their language (admins
    and directors for anyone; a person for themself). None: nothing to say."""
    ensure_active(actor)
    if person_id != actor.id and not actor.sees_everything:
        raise PermissionDenied(_("Only admins and directors preview other people's digests."))
    person = session.get(Person, person_id)
    with use_language(person.language if person is not None else None):
        digest = digest_of(session, person_id, _kind(kind), today)
        if digest is None:
            return None
        return digest, render(digest, company_currency(session))


def this_week(session: Session, actor: Actor, today: date) -> WeeklyDigest | None:
    """The actor's own weekly digest, as Home shows it under "this week"."""
    ensure_active(actor)
    if actor.id is None:
        return None
    digest = digest_of(session, actor.id, DigestKind.WEEKLY, today)
    return digest if isinstance(digest, WeeklyDigest) else None


def people_choices(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """Active people to preview a digest of (admins and directors)."""
    _ensure_reads_log(actor)
    rows = session.execute(
        select(Person.id, Person.name, Person.role)
        .where(Person.active.is_(True))
        .order_by(Person.name)
    )
    return [
        (pid, _("{name} ({role})").format(name=name, role=_(ROLE_NAMES[Role(role)])))
        for pid, name, role in rows
    ]
