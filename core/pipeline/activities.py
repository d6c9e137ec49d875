"""Activities: visits, calls, meetings, demos and emails with customers, optionally about a deal.

Rules:
- People log their own activities (the activity is always the actor's).
- A rep logs against customers they own and deals they own or are on the team of; a manager
  against customers and deals in their subtree; directors and admins anywhere.
- An activity cannot be dated in the future; it moves the customer's and the deal's last
  activity date forward (core.pipeline.last_activity).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from core import clock
from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.i18n import _
from core.models import ActivityType, Actor, Role
from core.org import audit
from core.org.access import activities_in_view, ensure_active, in_scope
from core.pipeline import last_activity
from db.schema import Activity, Customer, Deal, DealTeamMember, Person


class ActivityCreate(BaseModel):
    """A new activity as a person logs it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    type: ActivityType
    occurred_on: date
    customer_id: int | None = None
    deal_id: int | None = None
    outcome: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=5000)


def _may_log(session: Session, actor: Actor, customer: Customer, deal: Deal | None) -> bool:
    if actor.sees_everything:
        return True
    if deal is not None:
        if deal.owner_id == actor.id:
            return True
        on_team = session.scalar(
            select(DealTeamMember.id).where(
                DealTeamMember.deal_id == deal.id, DealTeamMember.person_id == actor.id
            )
        )
        if on_team:
            return True
        return actor.role == Role.MANAGER and in_scope(actor, deal.region_id)
    if customer.owner_id == actor.id:
        return True
    return actor.role == Role.MANAGER and in_scope(actor, customer.region_id)


def can_log_activity(
    session: Session, actor: Actor, customer: Customer, deal: Deal | None = None
) -> bool:
    """Whether `log_activity` would accept an activity of the actor with this customer (and
    deal): the flag a page shows its "log a visit" form by."""
    return actor.active and actor.id is not None and _may_log(session, actor, customer, deal)


def log_activity(
    session: Session, actor: Actor, data: ActivityCreate, *, today: date | None = None
) -> int:
    """Log one of the actor's activities; returns its id."""
    ensure_active(actor)
    today = today or clock.today()
    if actor.id is None:
        raise ValidationFailed(_("Activities are logged by a person, not by the command line."))
    if data.occurred_on > today:
        raise ValidationFailed(_("An activity cannot be dated in the future."))
    deal = None
    if data.deal_id is not None:
        deal = session.get(Deal, data.deal_id)
        if deal is None:
            raise NotFound(_("No deal with id {deal_id}.").format(deal_id=data.deal_id))
    customer_id = data.customer_id if data.customer_id is not None else (deal and deal.customer_id)
    if customer_id is None:
        raise ValidationFailed(_("Pick the customer the activity was with."))
    if deal is not None and deal.customer_id != customer_id:
        raise ValidationFailed(_("That deal belongs to another customer."))
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(_("No customer with id {customer_id}.").format(customer_id=customer_id))
    if not _may_log(session, actor, customer, deal):
        raise PermissionDenied(
            _(
                "You can log activities on your own customers and deals, and on deals whose team "
                "you are on."
            )
        )
    activity = Activity(
        type=data.type,
        occurred_on=data.occurred_on,
        person_id=actor.id,
        customer_id=customer.id,
        deal_id=deal.id if deal else None,
        outcome=data.outcome or None,
        notes=data.notes or None,
    )
    session.add(activity)
    session.flush()
    last_activity.note_activity(session, customer.id, activity.deal_id, data.occurred_on)
    audit.record(
        session,
        actor,
        "activity.log",
        "activity",
        activity.id,
        after=data.model_dump() | {"customer_id": customer.id},
    )
    return activity.id


def recent_activities(
    session: Session, actor: Actor, *, customer_id: int | None = None, limit: int = 100
) -> pd.DataFrame:
    """The actor's latest activities (or a customer's, which everyone may see: the outcome and
    notes of activities outside the actor's scope are left empty)."""
    ensure_active(actor)
    shown = activities_in_view(actor)
    query = (
        select(
            Activity.occurred_on,
            Activity.type,
            Customer.name.label("customer"),
            Person.name.label("by"),
            Activity.deal_id,
            case((shown, Activity.outcome)).label("outcome"),
            case((shown, Activity.notes)).label("notes"),
        )
        .join(Customer, Customer.id == Activity.customer_id)
        .join(Person, Person.id == Activity.person_id)
        .order_by(Activity.occurred_on.desc(), Activity.id.desc())
        .limit(limit)
    )
    if customer_id is not None:
        query = query.where(Activity.customer_id == customer_id)
    else:
        query = query.where(Activity.person_id == actor.id)
    return pd.DataFrame(session.execute(query).all(), columns=list(query.selected_columns.keys()))
