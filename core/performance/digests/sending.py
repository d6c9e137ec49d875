"""Sending one kind of digest to everyone it is for, once per period.

- Recipients: every active person the kind is for (weekly and daily: reps, managers and
  directors; reminders: anyone with follow-ups), who has not opted out of that kind and has no
  digest of that kind logged for the period yet (the ISO week for weekly, the day otherwise).
- Each digest is built and rendered in its recipient's language (their choice on My account,
  else the company default); one with nothing to say is not sent.
- A digest is logged as sent (digest_sent) only after the mail server accepted it, each in its
  own transaction: a failure half-way leaves the sent ones logged and the rest unmarked, and
  the next run sends only those. The log's unique key (person, kind, period) keeps two runs
  from sending the same digest twice.
- A dry run builds everything and reports who would get what; it sends and logs nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.i18n import ngettext, use_language
from core.models import Role
from core.performance.digests.content import GETS_AREA_DIGESTS, digest_of, items_of, period_key
from core.performance.digests.delivery import Mailer, MailServerUnavailable
from core.performance.digests.rendering import RenderedEmail, render
from core.performance.digests.settings import SmtpSettings
from core.pipeline.pricing import company_currency
from db.schema import DigestKind, DigestOptOut, DigestSent, Person


class Recipient(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: int
    name: str
    email: str
    language: str | None


class Delivery(BaseModel):
    """One digest of a run: to whom, its subject, and whether it went out."""

    model_config = ConfigDict(frozen=True)

    person_id: int
    name: str
    email: str
    language: str
    subject: str
    items: int
    sent: bool


class SendRun(BaseModel):
    kind: DigestKind
    period_key: str
    dry_run: bool
    deliveries: list[Delivery] = []
    nothing_to_say: int = 0
    opted_out: int = 0
    already_sent: int = 0


def recipients(session: Session, kind: DigestKind, today: date) -> tuple[list[Recipient], int, int]:
    """Who gets this kind for this period, and how many were left out for having opted out or
    having it already."""
    roles = [r.value for r in (GETS_AREA_DIGESTS if kind != DigestKind.REMINDERS else Role)]
    query = select(Person.id, Person.name, Person.email, Person.language).where(
        Person.active.is_(True), Person.role.in_(roles), Person.email != ""
    )
    people = session.execute(query.order_by(Person.name, Person.id)).all()
    opted = set(
        session.scalars(select(DigestOptOut.person_id).where(DigestOptOut.kind == kind.value))
    )
    sent = set(
        session.scalars(
            select(DigestSent.person_id).where(
                DigestSent.kind == kind.value, DigestSent.period_key == period_key(kind, today)
            )
        )
    )
    chosen = [
        Recipient(person_id=pid, name=name, email=email, language=language)
        for pid, name, email, language in people
        if pid not in opted and pid not in sent
    ]
    ids = {row[0] for row in people}
    return chosen, len(ids & opted), len((ids - opted) & sent)


def compose(session: Session, person_id: int, language: str | None, kind: DigestKind, today: date):
    """The digest and its email in the recipient's language, or (None, None)."""
    with use_language(language) as spoken:
        digest = digest_of(session, person_id, kind, today)
        if digest is None:
            return None, None, spoken
        return digest, render(digest, company_currency(session)), spoken


def _log(
    factory: sessionmaker[Session],
    who: Recipient,
    kind: DigestKind,
    key: str,
    email: RenderedEmail,
    language: str,
    items: list[str],
) -> bool:
    """Writes the sent-log row in its own transaction; False when another run logged it first."""
    try:
        with factory.begin() as session:
            session.add(
                DigestSent(
                    person_id=who.person_id,
                    kind=kind.value,
                    period_key=key,
                    recipient=who.email,
                    subject=email.subject[:300],
                    language=language,
                    sent_at=datetime.now(),
                    items=items,
                )
            )
    except IntegrityError:
        return False
    return True


def send_digests(
    factory: sessionmaker[Session],
    kind: DigestKind | str,
    *,
    today: date,
    settings: SmtpSettings | None,
    dry_run: bool = False,
) -> SendRun:
    """Builds and sends the digests of `kind` for `today`; see the module's rules. Raises
    MailServerUnavailable (after logging the ones sent) when the server cannot be reached."""
    kind = DigestKind(kind)
    key = period_key(kind, today)
    with factory() as session:
        chosen, opted, already = recipients(session, kind, today)
    run = SendRun(kind=kind, period_key=key, dry_run=dry_run, opted_out=opted, already_sent=already)
    mailer = None if dry_run or settings is None else Mailer(settings)
    try:
        for who in chosen:
            with factory() as session:
                digest, email, language = compose(session, who.person_id, who.language, kind, today)
            if digest is None or email is None:
                run.nothing_to_say += 1
                continue
            items = items_of(digest)
            if mailer is not None:
                mailer.send(who.name, who.email, email)
                _log(factory, who, kind, key, email, language, items)
            run.deliveries.append(
                Delivery(
                    person_id=who.person_id,
                    name=who.name,
                    email=who.email,
                    language=language,
                    subject=email.subject,
                    items=len(items),
                    sent=mailer is not None,
                )
            )
    except MailServerUnavailable as exc:
        sent = len(run.deliveries)
        raise MailServerUnavailable(
            ngettext(
                "{reason} {n} digest was sent before that; the others were not sent.",
                "{reason} {n} digests were sent before that; the others were not sent.",
                sent,
            ).format(reason=exc, n=sent)
        ) from None
    finally:
        if mailer is not None:
            mailer.close()
    return run
