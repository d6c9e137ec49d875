"""Follow-ups: a person's dated tasks on a deal or a customer ("call Anna back on Thursday").

Rules:
- A follow-up belongs to one person (its owner) and is about a deal or a customer (a deal's
  follow-up is also its customer's). It may plan an activity (a visit, a call...) or be a plain
  task, and may carry a time of day.
- It is open until done. Snoozing postpones it to a later day (it stays open, marked snoozed);
  rescheduling sets a new due day and time. A follow-up is overdue when it is still open after
  its due day.
- A deal's next step is its earliest open follow-up (by due day, then time). The deal's free-text
  `next_step` (kept from imports and older edits) is shown only when the deal has no open
  follow-up.
- Who may: the owner; a manager for people in the regions they manage; directors and admins for
  everyone. The record must be one the actor may log activities on (own customers and deals,
  deals whose team they are on, a manager's subtree). Reads are scoped the same way.
- Every change is one transaction and is audited.

The lists and the next steps are read in core.pipeline.follow_up_views (re-exported here).
"""

from __future__ import annotations

from datetime import date, datetime, time

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from core import clock
from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.i18n import _
from core.models import ActivityType, Actor
from core.org import audit
from core.org.access import ensure_active
from core.pipeline.activities import ActivityCreate, can_log_activity, log_activity
from core.pipeline.deals import load_deal
from core.pipeline.follow_up_views import (
    OPEN_STATES,
    FollowUpRow,
    NextStep,
    follow_ups_frame,
    follow_ups_of_customer,
    follow_ups_of_deal,
    follow_ups_of_person,
    keeps,
    next_steps,
    open_follow_up_choices,
    with_next_steps,
)
from db.schema import Activity, Customer, FollowUp, FollowUpStatus, Person

TITLE_MAX = 200


class NextFollowUp(BaseModel):
    """The follow-up to set after an activity, as the activity form takes it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=TITLE_MAX)
    due_on: date
    due_at: time | None = None
    kind: ActivityType | None = None


# --- permissions --------------------------------------------------------------------------


def _acts_for(actor: Actor, owner: Person) -> bool:
    return keeps(actor, owner.id, owner.region_id)


def _ensure_acts_for(actor: Actor, owner: Person) -> None:
    ensure_active(actor)
    if not _acts_for(actor, owner):
        raise PermissionDenied(
            _(
                "You can only keep your own follow-ups, or, as a manager, those of the people in "
                "the regions you manage."
            )
        )


def _load(session: Session, follow_up_id: int) -> tuple[FollowUp, Person]:
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None:
        raise NotFound(_("No follow-up with id {follow_up_id}.").format(follow_up_id=follow_up_id))
    return follow_up, session.get_one(Person, follow_up.owner_id)


def _snapshot(follow_up: FollowUp) -> dict:
    return {
        "owner_id": follow_up.owner_id,
        "deal_id": follow_up.deal_id,
        "customer_id": follow_up.customer_id,
        "title": follow_up.title,
        "kind": follow_up.kind,
        "due_on": follow_up.due_on,
        "due_at": follow_up.due_at.isoformat() if follow_up.due_at else None,
        "status": follow_up.status,
        "snoozed_until": follow_up.snoozed_until,
    }


def _clean_title(title: str) -> str:
    cleaned = " ".join((title or "").split())
    if not cleaned:
        raise ValidationFailed(
            _("Say what the follow-up is (for example: call back about the offer).")
        )
    if len(cleaned) > TITLE_MAX:
        raise ValidationFailed(
            _("The follow-up's title is too long (at most {TITLE_MAX} characters).").format(
                TITLE_MAX=TITLE_MAX
            )
        )
    return cleaned


def _ensure_open(follow_up: FollowUp) -> None:
    if follow_up.status == FollowUpStatus.DONE:
        raise ValidationFailed(_("This follow-up is already done."))


# --- services -----------------------------------------------------------------------------


def add_follow_up(
    session: Session,
    actor: Actor,
    *,
    title: str,
    due_on: date,
    due_at: time | None = None,
    deal_id: int | None = None,
    customer_id: int | None = None,
    owner_id: int | None = None,
    kind: ActivityType | None = None,
    today: date | None = None,
) -> int:
    """Add a follow-up on a deal or a customer, due today or later; the owner is the actor
    unless a manager (or director) sets it for one of their people. Returns its id."""
    ensure_active(actor)
    today = today or clock.today()
    title = _clean_title(title)
    if due_on < today:
        raise ValidationFailed(_("A follow-up is due today or later; pick another day."))
    owner_id = owner_id if owner_id is not None else actor.id
    if owner_id is None:
        raise ValidationFailed(_("Pick the person the follow-up is for."))
    owner = session.get(Person, owner_id)
    if owner is None or not owner.active:
        raise ValidationFailed(_("Pick an active person for the follow-up."))
    _ensure_acts_for(actor, owner)
    deal = load_deal(session, deal_id) if deal_id is not None else None
    if deal is not None and customer_id is not None and deal.customer_id != customer_id:
        raise ValidationFailed(_("That deal belongs to another customer."))
    customer_id = deal.customer_id if deal is not None else customer_id
    if customer_id is None:
        raise ValidationFailed(_("Pick the deal or the customer the follow-up is about."))
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(_("No customer with id {customer_id}.").format(customer_id=customer_id))
    if not can_log_activity(session, actor, customer, deal):
        raise PermissionDenied(
            _(
                "You can add follow-ups on your own customers and deals, and on deals whose team "
                "you are on."
            )
        )
    follow_up = FollowUp(
        owner_id=owner.id,
        deal_id=deal.id if deal is not None else None,
        customer_id=customer.id,
        title=title,
        kind=ActivityType(kind).value if kind else None,
        due_on=due_on,
        due_at=due_at,
        first_due_on=due_on,
        status=FollowUpStatus.OPEN,
        snooze_count=0,
        created_at=datetime.now().replace(microsecond=0),
        created_by_id=actor.id,
    )
    session.add(follow_up)
    session.flush()
    audit.record(
        session, actor, "follow_up.add", "follow_up", follow_up.id, after=_snapshot(follow_up)
    )
    return follow_up.id


def complete_follow_up(
    session: Session, actor: Actor, follow_up_id: int, *, activity_id: int | None = None
) -> None:
    """Mark a follow-up done (optionally by the activity that did it)."""
    follow_up, owner = _load(session, follow_up_id)
    _ensure_acts_for(actor, owner)
    _ensure_open(follow_up)
    before = _snapshot(follow_up)
    follow_up.status = FollowUpStatus.DONE
    follow_up.done_at = datetime.now().replace(microsecond=0)
    follow_up.done_by_id = actor.id
    follow_up.done_activity_id = activity_id
    session.flush()
    audit.record(
        session, actor, "follow_up.done", "follow_up", follow_up.id,
        before=before, after=_snapshot(follow_up) | {"activity_id": activity_id},
    )  # fmt: skip


def snooze_follow_up(
    session: Session, actor: Actor, follow_up_id: int, until: date, *, today: date | None = None
) -> None:
    """Postpone an open follow-up to a later day; it stays open, marked snoozed."""
    today = today or clock.today()
    follow_up, owner = _load(session, follow_up_id)
    _ensure_acts_for(actor, owner)
    _ensure_open(follow_up)
    if until <= today:
        raise ValidationFailed(_("Snooze to a day after today."))
    before = _snapshot(follow_up)
    follow_up.status = FollowUpStatus.SNOOZED
    follow_up.snoozed_until = until
    follow_up.due_on = until
    follow_up.snooze_count = (follow_up.snooze_count or 0) + 1
    session.flush()
    audit.record(
        session, actor, "follow_up.snooze", "follow_up", follow_up.id,
        before=before, after=_snapshot(follow_up),
    )  # fmt: skip


def reschedule_follow_up(
    session: Session,
    actor: Actor,
    follow_up_id: int,
    *,
    due_on: date,
    due_at: time | None = None,
    title: str | None = None,
    today: date | None = None,
) -> None:
    """Set a new due day and time (and title) of an open follow-up; it is open again."""
    today = today or clock.today()
    follow_up, owner = _load(session, follow_up_id)
    _ensure_acts_for(actor, owner)
    _ensure_open(follow_up)
    if due_on < today:
        raise ValidationFailed(_("A follow-up is due today or later; pick another day."))
    before = _snapshot(follow_up)
    if title is not None:
        follow_up.title = _clean_title(title)
    follow_up.due_on = due_on
    follow_up.due_at = due_at
    follow_up.status = FollowUpStatus.OPEN
    follow_up.snoozed_until = None
    session.flush()
    audit.record(
        session, actor, "follow_up.reschedule", "follow_up", follow_up.id,
        before=before, after=_snapshot(follow_up),
    )  # fmt: skip


def log_activity_with_follow_ups(
    session: Session,
    actor: Actor,
    data: ActivityCreate,
    *,
    close_follow_up_id: int | None = None,
    next_follow_up: NextFollowUp | None = None,
    today: date | None = None,
) -> int:
    """Log an activity and, in the same transaction, mark the follow-up it did as done and set
    the next one on the same deal or customer (the activity's owner keeps it). Returns the
    activity's id; when any part is refused nothing is written."""
    activity_id = log_activity(session, actor, data, today=today)
    activity = session.get_one(Activity, activity_id)
    if close_follow_up_id is not None:
        follow_up, _owner = _load(session, close_follow_up_id)
        if follow_up.deal_id is not None:
            same_record = follow_up.deal_id == activity.deal_id
        else:
            same_record = follow_up.customer_id == activity.customer_id
        if not same_record:
            raise ValidationFailed(_("That follow-up is about another deal or customer."))
        complete_follow_up(session, actor, close_follow_up_id, activity_id=activity_id)
    if next_follow_up is not None:
        add_follow_up(
            session,
            actor,
            title=next_follow_up.title,
            due_on=next_follow_up.due_on,
            due_at=next_follow_up.due_at,
            kind=next_follow_up.kind,
            deal_id=activity.deal_id,
            customer_id=activity.customer_id,
            today=today,
        )
    return activity_id


__all__ = [
    "FollowUpRow",
    "NextFollowUp",
    "NextStep",
    "OPEN_STATES",
    "add_follow_up",
    "complete_follow_up",
    "follow_ups_frame",
    "follow_ups_of_customer",
    "follow_ups_of_deal",
    "follow_ups_of_person",
    "log_activity_with_follow_ups",
    "next_steps",
    "open_follow_up_choices",
    "reschedule_follow_up",
    "snooze_follow_up",
    "with_next_steps",
]
