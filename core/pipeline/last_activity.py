"""The day of the last activity, kept on write: each deal's `last_activity_on` is the latest day
of an activity logged on it, and each customer's never moves backwards (a contact edit also
counts as contact, core.customers.editing).

Every write that adds activities calls one of these in its own transaction: logging one
(core.pipeline.activities), importing many (core.transfer.kinds.activities) and the demo seed.
The stalled-deal alert reads the stored day instead of looking up each open deal's activities.
No write moves or deletes an activity's day or deal, so adding is the only case."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Connection, func, or_, select, update
from sqlalchemy.orm import Session

from db.schema import Activity, Customer, Deal

CHUNK = 5_000
"""Ids per statement (well under every backend's limit of bound parameters)."""


def touch_customer(session: Session, customer_id: int, day: date) -> None:
    """Contact with a customer on `day`: its last activity day moves forward to it (never
    back)."""
    session.execute(
        update(Customer)
        .where(
            Customer.id == customer_id,
            or_(Customer.last_activity_on.is_(None), Customer.last_activity_on < day),
        )
        .values(last_activity_on=day)
        .execution_options(synchronize_session=False)
    )
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Customer) and obj.id == customer_id:
            session.expire(obj, ["last_activity_on"])


def note_activity(session: Session, customer_id: int, deal_id: int | None, day: date) -> None:
    """One activity on `day`: the customer's and the deal's last activity move forward to it
    (never back). A statement of its own, so the deal's version (its edit lock) stays."""
    touch_customer(session, customer_id, day)
    if deal_id is None:
        return
    session.execute(
        update(Deal)
        .where(
            Deal.id == deal_id,
            or_(Deal.last_activity_on.is_(None), Deal.last_activity_on < day),
        )
        .values(last_activity_on=day)
        .execution_options(synchronize_session=False)
    )
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Deal) and obj.id == deal_id:
            session.expire(obj, ["last_activity_on"])


def refresh(
    conn: Connection | Session, customer_ids: Iterable[int], deal_ids: Iterable[int]
) -> None:
    """After activities were added in bulk: the deals' last activity is the latest of their
    activities, and the customers' moves forward to the latest of theirs. Set-wise, one
    statement per chunk of ids."""
    for ids in _chunks(deal_ids):
        latest = (
            select(func.max(Activity.occurred_on))
            .where(Activity.deal_id == Deal.id)
            .correlate(Deal)
            .scalar_subquery()
        )
        conn.execute(
            update(Deal)
            .where(Deal.id.in_(ids))
            .values(last_activity_on=latest)
            .execution_options(synchronize_session=False)
        )
    for ids in _chunks(customer_ids):
        latest = (
            select(func.max(Activity.occurred_on))
            .where(Activity.customer_id == Customer.id)
            .correlate(Customer)
            .scalar_subquery()
        )
        conn.execute(
            update(Customer)
            .where(
                Customer.id.in_(ids),
                or_(Customer.last_activity_on.is_(None), Customer.last_activity_on < latest),
            )
            .values(last_activity_on=latest)
            .execution_options(synchronize_session=False)
        )


def refresh_all_deals(conn: Connection) -> None:
    """Every deal's last activity from the activities, in one statement (the demo seed)."""
    latest = (
        select(Activity.deal_id, func.max(Activity.occurred_on).label("day"))
        .where(Activity.deal_id.is_not(None))
        .group_by(Activity.deal_id)
        .subquery()
    )
    conn.execute(
        update(Deal)
        .where(Deal.id == latest.c.deal_id)
        .values(last_activity_on=latest.c.day)
        .execution_options(synchronize_session=False)
    )


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    unique = sorted({i for i in ids if i is not None})
    for start in range(0, len(unique), CHUNK):
        yield unique[start : start + CHUNK]
