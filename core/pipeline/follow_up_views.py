"""Follow-ups as lists read them: a person's, a deal's, a customer's, and each deal's next step.

Reads are scoped like the services of core.pipeline.follow_ups: the owner, the managers of the
owner's region, directors and admins, and whoever may read the deal a follow-up is about. Each
row carries `can_change`, the flag the page offers its buttons by.
"""

from __future__ import annotations

from datetime import date, datetime, time

import pandas as pd
from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from core import clock
from core.errors import NotFound
from core.i18n import _
from core.models import ActivityType, Actor, Role
from core.org.access import deals_in_view, ensure_can_view_person, in_scope
from core.pipeline.deals import ensure_can_view_deal, load_deal
from db.schema import Customer, Deal, FollowUp, FollowUpStatus, Person

OPEN_STATES = (FollowUpStatus.OPEN.value, FollowUpStatus.SNOOZED.value)
"""A snoozed follow-up is still open: it is due on the day it was snoozed to."""


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


def keeps(actor: Actor, owner_id: int, owner_region_id: int | None) -> bool:
    """Whether the actor may keep this person's follow-ups: own, a manager's people, all."""
    if actor.sees_everything or owner_id == actor.id:
        return True
    return actor.role == Role.MANAGER and in_scope(actor, owner_region_id)


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
        mine_to_keep = keeps(actor, follow_up.owner_id, owner_region)
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
    today = today or clock.today()
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(_("No person with id {person_id}.").format(person_id=person_id))
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
    today = today or clock.today()
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
    today = today or clock.today()
    if session.get(Customer, customer_id) is None:
        raise NotFound(_("No customer with id {customer_id}.").format(customer_id=customer_id))
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
    today = today or clock.today()
    if deal_id is not None:
        conditions: list = [FollowUp.deal_id == deal_id]
    elif customer_id is not None:
        conditions = [FollowUp.customer_id == customer_id, FollowUp.deal_id.is_(None)]
    else:
        return []
    conditions.append(FollowUp.status.in_(OPEN_STATES))
    return [row for row in _rows(session, actor, conditions, today=today) if row.can_change]


__all__ = [
    "OPEN_STATES",
    "FollowUpRow",
    "NextStep",
    "follow_ups_frame",
    "follow_ups_of_customer",
    "follow_ups_of_deal",
    "follow_ups_of_person",
    "keeps",
    "next_steps",
    "open_follow_up_choices",
    "with_next_steps",
]
