"""What each digest says, for one person on one day. Every figure is read, never recomputed:

- weekly, for a rep: the fiscal quarter's row of the Attainment page (target, won, attainment,
  pace, gap, probability of making it; core.progress.attainment), the open deals expected to
  close this month and the rep's alerts (both as My day lists them, core.pipeline.my_day);
- weekly, for a manager: the same row for each rep of the regions they manage (with the
  subtree), ranked by attainment, the area's own row, and the biggest risks: the area's
  high-severity alerts (core.performance.alerts);
- weekly, for a director: the company's row and one per top-level region, with the biggest risks;
- daily: the high-severity alerts of the person's area that no earlier daily digest of theirs
  reported (the keys reported are kept in the sent log);
- reminders: the person's follow-ups due today and overdue (core.pipeline.follow_up_views).

Admins get no weekly or daily digest unless they are directors. A digest with nothing to say
is None: no email is sent for it.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.models import Actor, Role
from core.org.access import load_actor
from core.org.company import fiscal_start_month
from core.performance.alert_settings import Alert
from core.performance.alerts import current_alerts
from core.periods import quarter_of
from core.pipeline.follow_up_views import FollowUpRow, follow_ups_of_person
from core.pipeline.my_day import DayDeal, my_day
from core.progress.attainment import AttainmentRow, attainment_report, scope_attainment
from core.progress.scopes import default_scope, rep_scope
from db.schema import DigestKind, DigestSent

RISKS_SHOWN = 5
"""How many of the biggest risks a manager's or director's weekly digest lists."""
REPORTED_WITHIN_DAYS = 90
"""A daily digest does not repeat an alert any daily digest reported within this many days."""


class WeeklyDigest(BaseModel):
    """The week's progress of one person's area."""

    model_config = ConfigDict(frozen=True)

    person_id: int
    person: str
    role: Role
    today: date
    period: str
    head: AttainmentRow
    """The person's own quarter (a rep), or their area's (a manager, the company for a
    director)."""
    rows: list[AttainmentRow] = []
    """Reps of a manager's area ranked by attainment; regions for a director; none for a rep."""
    deals: list[DayDeal] = []
    alerts: list[Alert] = []
    """A rep's own alerts; the biggest risks of a manager's or director's area."""


class DailyDigest(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: int
    person: str
    today: date
    alerts: list[Alert]


class ReminderDigest(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: int
    person: str
    today: date
    overdue: list[FollowUpRow]
    due_today: list[FollowUpRow]


Digest = WeeklyDigest | DailyDigest | ReminderDigest

GETS_AREA_DIGESTS = (Role.REP, Role.MANAGER, Role.DIRECTOR)
"""Who receives weekly and daily digests (admins only when they are directors)."""


def period_key(kind: DigestKind | str, today: date) -> str:
    """The period a digest covers: the ISO week (2026-W49) for weekly, the day otherwise."""
    if DigestKind(kind) == DigestKind.WEEKLY:
        year, week, __ = today.isocalendar()
        return f"{year}-W{week:02d}"
    return today.isoformat()


def _ranked(rows: list[AttainmentRow]) -> list[AttainmentRow]:
    """Highest attainment first; reps without a target last, by won."""
    return sorted(
        rows,
        key=lambda r: (r.attainment is None, -(r.attainment or Decimal(0)), -r.won, r.label),
    )


def _risks(alerts: list[Alert]) -> list[Alert]:
    return [a for a in alerts if a.severity == "high"][:RISKS_SHOWN]


def weekly_digest(session: Session, person: Actor, today: date) -> WeeklyDigest | None:
    """The weekly digest of `person`, or None when they get none or it has nothing to say."""
    if person.id is None or not person.active or person.role not in GETS_AREA_DIGESTS:
        return None
    period = quarter_of(today, fiscal_start_month(session))
    if person.role == Role.REP:
        head, __ = scope_attainment(
            session, rep_scope(session, person, person.id), period, today=today
        )
        day = my_day(session, person, today=today)
        rows: list[AttainmentRow] = []
        deals, alerts = day.closing_this_month, day.alerts
    else:
        scope = default_scope(session, person)
        head, parts = scope_attainment(session, scope, period, today=today)
        if person.role == Role.MANAGER:
            rows = _ranked(attainment_report(session, person, period, "rep", today=today))
        else:
            rows = [row for row in parts if row.level == "region"]
        deals = []
        alerts = _risks(
            current_alerts(session, person, today=today, limit_per_rule=50, severities={"high"})
        )
    quiet = head.target is None and not head.won and not head.open_deals
    if quiet and not rows and not deals and not alerts:
        return None
    return WeeklyDigest(
        person_id=person.id,
        person=person.name,
        role=person.role,
        today=today,
        period=period.label,
        head=head,
        rows=rows,
        deals=deals,
        alerts=alerts,
    )


def reported_alert_keys(session: Session, person_id: int, today: date) -> set[str]:
    """The alert keys earlier daily digests of this person reported (within 90 days)."""
    since = (today - timedelta(days=REPORTED_WITHIN_DAYS)).isoformat()
    rows = session.scalars(
        select(DigestSent.items).where(
            DigestSent.person_id == person_id,
            DigestSent.kind == DigestKind.DAILY.value,
            DigestSent.period_key >= since,
            DigestSent.period_key < today.isoformat(),
        )
    )
    return {key for items in rows for key in (items or [])}


def daily_digest(session: Session, person: Actor, today: date) -> DailyDigest | None:
    """New high-severity alerts of the person's area, or None when there are none."""
    if person.id is None or not person.active or person.role not in GETS_AREA_DIGESTS:
        return None
    seen = reported_alert_keys(session, person.id, today)
    alerts = [
        alert
        for alert in current_alerts(session, person, today=today, severities={"high"})
        if alert.key not in seen
    ]
    if not alerts:
        return None
    return DailyDigest(person_id=person.id, person=person.name, today=today, alerts=alerts)


def reminder_digest(session: Session, person: Actor, today: date) -> ReminderDigest | None:
    """The person's open follow-ups due today and overdue, or None when there are none."""
    if person.id is None or not person.active:
        return None
    due = follow_ups_of_person(session, person, person.id, due_by=today, today=today)
    overdue = [row for row in due if row.due_on < today]
    todays = [row for row in due if row.due_on == today]
    if not overdue and not todays:
        return None
    return ReminderDigest(
        person_id=person.id, person=person.name, today=today, overdue=overdue, due_today=todays
    )


BUILDERS = {
    DigestKind.WEEKLY: weekly_digest,
    DigestKind.DAILY: daily_digest,
    DigestKind.REMINDERS: reminder_digest,
}


def digest_of(
    session: Session, person_id: int, kind: DigestKind | str, today: date
) -> Digest | None:
    """The digest of one kind for one person on one day (None: nothing to say)."""
    try:
        person = load_actor(session, person_id)
    except NotFound:
        return None
    return BUILDERS[DigestKind(kind)](session, person, today)


def items_of(digest: Digest) -> list[str]:
    """What a digest reported, for the sent log: alert keys, follow-up ids."""
    if isinstance(digest, DailyDigest):
        return [alert.key for alert in digest.alerts]
    if isinstance(digest, ReminderDigest):
        return [f"follow_up:{row.id}" for row in [*digest.overdue, *digest.due_today]]
    return [alert.key for alert in digest.alerts]
