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
"""

from __future__ import annotations

from datetime import date, datetime, time

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.models import ActivityType, Actor, Role
from core.org import audit
from core.org.access import deals_in_view, ensure_active, ensure_can_view_person, in_scope
from core.pipeline.activities import ActivityCreate, can_log_activity, log_activity
from core.pipeline.deals import ensure_can_view_deal, load_deal
from db.schema import Activity, Customer, Deal, FollowUp, FollowUpStatus, Person

OPEN_STATES = (FollowUpStatus.OPEN.value, FollowUpStatus.SNOOZED.value)
"""A snoozed follow-up is still open: it is due on the day it was snoozed to."""

TITLE_MAX = 200


class FollowUpRow(BaseModel):
    """One follow-up as lists show it, with the flag the page offers its buttons by."""

    model_config = ConfigDict(frozen=True)

    id: int
    title: str
    kind: ActivityType | None
    due_on: date
    due_at: time | None
    status: FollowUpStatus
    overdue: bool
    owner_id: int
    owner: str
    deal_id: int | None
    deal: str | None
    customer_id: int | None
    customer: str | None
    snooze_count: int
    done_at: datetime | None
    can_change: bool


class NextStep(BaseModel):
    """A deal's next step: its earliest open follow-up, or the free-text note when it has none."""

    model_config = ConfigDict(frozen=True)

    text: str
    due_on: date | None = None
    due_at: time | None = None
    follow_up_id: int | None = None

    def overdue(self, today: date) -> bool:
        return self.due_on is not None and self.due_on < today


class NextFollowUp(BaseModel):
    """The follow-up to set after an activity, as the activity form takes it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=TITLE_MAX)
    due_on: date
    due_at: time | None = None
    kind: ActivityType | None = None


# --- permissions --------------------------------------------------------------------------


def _acts_for(actor: Actor, owner: Person) -> bool:
    """Whether the actor may keep this person's follow-ups: own, a manager's people, all."""
    if actor.sees_everything or owner.id == actor.id:
        return True
    return actor.role == Role.MANAGER and in_scope(actor, owner.region_id)


def _ensure_acts_for(actor: Actor, owner: Person) -> None:
    ensure_active(actor)
    if not _acts_for(actor, owner):
        raise PermissionDenied(
            "You can only keep your own follow-ups, or, as a manager, those of the people in "
            "the regions you manage."
        )


def _load(session: Session, follow_up_id: int) -> tuple[FollowUp, Person]:
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None:
        raise NotFound(f"No follow-up with id {follow_up_id}.")
    return follow_up, session.get_one(Person, follow_up.owner_id)


def _visible(actor: Actor) -> ColumnElement[bool]:
    """SQL condition on FollowUp (joined with its owner as `Person`): the follow-ups the actor
    may read: own, those of a manager's people, those on deals in view, all for directors."""
    if actor.sees_everything:
        return true()
    conditions: list[ColumnElement[bool]] = [
        FollowUp.owner_id == actor.id,
        FollowUp.deal_id.in_(select(Deal.id).where(deals_in_view(actor))),
    ]
    if actor.role == Role.MANAGER:
        conditions.append(Person.region_id.in_(sorted(actor.scope_region_ids or ())))
    return or_(*conditions)


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
            "Say what the follow-up is (for example: call back about the offer)."
        )
    if len(cleaned) > TITLE_MAX:
        raise ValidationFailed(
            f"The follow-up's title is too long (at most {TITLE_MAX} characters)."
        )
    return cleaned


def _ensure_open(follow_up: FollowUp) -> None:
    if follow_up.status == FollowUpStatus.DONE:
        raise ValidationFailed("This follow-up is already done.")


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
    today = today or date.today()
    title = _clean_title(title)
    if due_on < today:
        raise ValidationFailed("A follow-up is due today or later; pick another day.")
    owner_id = owner_id if owner_id is not None else actor.id
    if owner_id is None:
        raise ValidationFailed("Pick the person the follow-up is for.")
    owner = session.get(Person, owner_id)
    if owner is None or not owner.active:
        raise ValidationFailed("Pick an active person for the follow-up.")
    _ensure_acts_for(actor, owner)
    deal = load_deal(session, deal_id) if deal_id is not None else None
    if deal is not None and customer_id is not None and deal.customer_id != customer_id:
        raise ValidationFailed("That deal belongs to another customer.")
    customer_id = deal.customer_id if deal is not None else customer_id
    if customer_id is None:
        raise ValidationFailed("Pick the deal or the customer the follow-up is about.")
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"No customer with id {customer_id}.")
    if not can_log_activity(session, actor, customer, deal):
        raise PermissionDenied(
            "You can add follow-ups on your own customers and deals, and on deals whose team "
            "you are on."
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
    today = today or date.today()
    follow_up, owner = _load(session, follow_up_id)
    _ensure_acts_for(actor, owner)
    _ensure_open(follow_up)
    if until <= today:
        raise ValidationFailed("Snooze to a day after today.")
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
    today = today or date.today()
    follow_up, owner = _load(session, follow_up_id)
    _ensure_acts_for(actor, owner)
    _ensure_open(follow_up)
    if due_on < today:
        raise ValidationFailed("A follow-up is due today or later; pick another day.")
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
            raise ValidationFailed("That follow-up is about another deal or customer.")
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


# --- reads --------------------------------------------------------------------------------


def _rows(
    session: Session, actor: Actor, conditions: list, *, today: date, limit: int | None = None
) -> list[FollowUpRow]:
    query = (
        select(FollowUp, Person.name, Person.region_id, Deal.name, Customer.name)
        .join(Person, Person.id == FollowUp.owner_id)
        .outerjoin(Deal, Deal.id == FollowUp.deal_id)
        .outerjoin(Customer, Customer.id == FollowUp.customer_id)
        .where(_visible(actor), *conditions)
        .order_by(
            FollowUp.due_on,
            FollowUp.due_at.is_(None),
            FollowUp.due_at,
            FollowUp.id,
        )
    )
    if limit is not None:
        query = query.limit(limit)
    rows = []
    for follow_up, owner, owner_region, deal, customer in session.execute(query):
        is_open = follow_up.status in OPEN_STATES
        mine_to_keep = (
            actor.sees_everything
            or follow_up.owner_id == actor.id
            or (actor.role == Role.MANAGER and in_scope(actor, owner_region))
        )
        rows.append(
            FollowUpRow(
                id=follow_up.id,
                title=follow_up.title,
                kind=ActivityType(follow_up.kind) if follow_up.kind else None,
                due_on=follow_up.due_on,
                due_at=follow_up.due_at,
                status=FollowUpStatus(follow_up.status),
                overdue=is_open and follow_up.due_on < today,
                owner_id=follow_up.owner_id,
                owner=owner,
                deal_id=follow_up.deal_id,
                deal=deal,
                customer_id=follow_up.customer_id,
                customer=customer,
                snooze_count=follow_up.snooze_count or 0,
                done_at=follow_up.done_at,
                can_change=is_open and actor.active and mine_to_keep,
            )
        )
    return rows


def follow_ups_of_person(
    session: Session,
    actor: Actor,
    person_id: int,
    *,
    due_by: date | None = None,
    include_done: bool = False,
    today: date | None = None,
    limit: int | None = 500,
) -> list[FollowUpRow]:
    """A person's follow-ups, earliest due first: open ones (due on or before `due_by` when
    given), and done ones too when asked. The person themself, their managers, directors."""
    today = today or date.today()
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    ensure_can_view_person(actor, person_id=person.id, region_id=person.region_id)
    conditions: list = [FollowUp.owner_id == person.id]
    if not include_done:
        conditions.append(FollowUp.status.in_(OPEN_STATES))
    if due_by is not None:
        conditions.append(FollowUp.due_on <= due_by)
    return _rows(session, actor, conditions, today=today, limit=limit)


def follow_ups_of_deal(
    session: Session, actor: Actor, deal_id: int, *, include_done: bool = True,
    today: date | None = None,
) -> list[FollowUpRow]:  # fmt: skip
    """A deal's follow-ups (whoever may open the deal sees them), earliest due first."""
    today = today or date.today()
    deal = load_deal(session, deal_id)
    ensure_can_view_deal(session, actor, deal)
    conditions: list = [FollowUp.deal_id == deal.id]
    if not include_done:
        conditions.append(FollowUp.status.in_(OPEN_STATES))
    return _rows(session, actor, conditions, today=today)


def follow_ups_of_customer(
    session: Session, actor: Actor, customer_id: int, *, include_done: bool = False,
    today: date | None = None,
) -> list[FollowUpRow]:  # fmt: skip
    """A customer's follow-ups the actor may read (own, their people's, on deals in view)."""
    today = today or date.today()
    if session.get(Customer, customer_id) is None:
        raise NotFound(f"No customer with id {customer_id}.")
    conditions: list = [FollowUp.customer_id == customer_id]
    if not include_done:
        conditions.append(FollowUp.status.in_(OPEN_STATES))
    return _rows(session, actor, conditions, today=today)


def follow_ups_frame(rows: list[FollowUpRow]) -> pd.DataFrame:
    """Follow-ups as a table to read and download."""
    return pd.DataFrame(
        [
            {
                "due": row.due_on,
                "time": row.due_at.strftime("%H:%M") if row.due_at else "",
                "follow-up": row.title,
                "type": row.kind.value if row.kind else "",
                "deal": row.deal or "",
                "customer": row.customer or "",
                "owner": row.owner,
                "status": row.status.value,
                "overdue": row.overdue,
            }
            for row in rows
        ],
        columns=["due", "time", "follow-up", "type", "deal", "customer", "owner", "status",
                 "overdue"],
    )  # fmt: skip


def next_steps(session: Session, deal_ids: list[int]) -> dict[int, NextStep]:
    """Each deal's next step in one query: its earliest open follow-up (by day, then time),
    or its free-text note when it has none. Deals with neither are left out."""
    if not deal_ids:
        return {}
    ids = sorted(set(deal_ids))
    ranked = (
        select(
            FollowUp.deal_id,
            FollowUp.id,
            FollowUp.title,
            FollowUp.due_on,
            FollowUp.due_at,
            func.row_number()
            .over(
                partition_by=FollowUp.deal_id,
                order_by=(FollowUp.due_on, FollowUp.due_at.is_(None), FollowUp.due_at, FollowUp.id),
            )
            .label("rank"),
        )
        .where(FollowUp.deal_id.in_(ids), FollowUp.status.in_(OPEN_STATES))
        .subquery()
    )
    first = aliased(ranked)
    query = (
        select(Deal.id, Deal.next_step, first.c.id, first.c.title, first.c.due_on, first.c.due_at)
        .outerjoin(first, (first.c.deal_id == Deal.id) & (first.c.rank == 1))
        .where(Deal.id.in_(ids))
    )
    steps: dict[int, NextStep] = {}
    for deal_id, note, follow_up_id, title, due_on, due_at in session.execute(query):
        if follow_up_id is not None:
            steps[deal_id] = NextStep(
                text=title, due_on=due_on, due_at=due_at, follow_up_id=follow_up_id
            )
        elif note:
            steps[deal_id] = NextStep(text=note)
    return steps


def with_next_steps(session: Session, frame: pd.DataFrame) -> pd.DataFrame:
    """A table of deals (with `id` and their free-text `next_step`) showing each deal's next
    step (its earliest open follow-up, else the note) and `next_step_due` (the follow-up's
    day), read in one query."""
    frame = frame.copy()
    if frame.empty:
        frame["next_step_due"] = pd.Series(dtype=object)
        return frame
    ids = [int(i) for i in frame["id"]]
    steps = next_steps(session, ids)
    frame["next_step"] = [steps[i].text if i in steps else None for i in ids]
    frame["next_step_due"] = [steps[i].due_on if i in steps else None for i in ids]
    return frame


def open_follow_up_choices(
    session: Session, actor: Actor, *, deal_id: int | None, customer_id: int | None,
    today: date | None = None,
) -> list[FollowUpRow]:  # fmt: skip
    """The open follow-ups an activity on this deal (or customer) may close: the deal's, or
    the customer's that are not about a deal; only those the actor may change."""
    today = today or date.today()
    if deal_id is not None:
        conditions: list = [FollowUp.deal_id == deal_id]
    elif customer_id is not None:
        conditions = [FollowUp.customer_id == customer_id, FollowUp.deal_id.is_(None)]
    else:
        return []
    conditions.append(FollowUp.status.in_(OPEN_STATES))
    return [row for row in _rows(session, actor, conditions, today=today) if row.can_change]


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
