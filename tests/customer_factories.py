"""Builders for customer-area test records (activities, stage changes) on top of tests.factories."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from core.pipeline import last_activity
from core.pipeline.stage_stays import refresh_stays
from db.schema import Activity, Customer, Deal, DealStageHistory, Person


def activity(
    session: Session, who: Person, cust: Customer, *, on: date, kind: str = "visit", deal=None
) -> Activity:
    record = Activity(
        type=kind,
        occurred_on=on,
        person_id=who.id,
        customer_id=cust.id,
        deal_id=deal.id if deal else None,
        outcome="Positive",
    )
    session.add(record)
    session.flush()
    # as every write that adds an activity: the customer's and the deal's day move forward
    last_activity.note_activity(session, cust.id, record.deal_id, on)
    return record


def stage_change(
    session: Session, deal: Deal, to_stage_id: int, *, at: datetime, who: Person | None = None
) -> DealStageHistory:
    record = DealStageHistory(
        deal_id=deal.id,
        from_stage_id=deal.stage_id,
        to_stage_id=to_stage_id,
        changed_by_id=who.id if who else None,
        changed_at=at,
        amount=deal.amount,
    )
    session.add(record)
    session.flush()
    refresh_stays(session.connection(), [deal.id])  # as every writer of the history does
    return record
