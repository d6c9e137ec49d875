"""Builders for performance and alert tests: a plan with rep targets, deals with dates, stage
history, activities and deal-team members. They state only what a test cares about."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.pipeline import last_activity
from core.pipeline.stage_stays import refresh_stays
from db.schema import (
    Activity,
    Customer,
    Deal,
    DealStageHistory,
    DealTeamMember,
    Person,
    Region,
    Stage,
    Target,
    TargetPlan,
)
from tests import factories


def stage_id(session: Session, name: str) -> int:
    return session.scalar(select(Stage.id).where(Stage.name == name))


def approved_plan(session: Session, fiscal_year: int) -> TargetPlan:
    """An approved plan for the year, newer than any other version of that year."""
    versions = session.scalars(
        select(TargetPlan.version).where(TargetPlan.fiscal_year == fiscal_year)
    ).all()
    plan = TargetPlan(
        fiscal_year=fiscal_year,
        version=max(versions, default=0) + 1,
        status="approved",
        method="manual",
        company_target=Decimal(0),
    )
    session.add(plan)
    session.flush()
    return plan


def rep_target(session, plan, rep: Person, month: date, amount) -> None:
    session.add(
        Target(
            plan_id=plan.id,
            region_id=rep.region_id,
            person_id=rep.id,
            month=month,
            amount=Decimal(amount),
        )
    )
    session.flush()


def region_target(session, plan, region: Region, month: date, amount) -> None:
    session.add(
        Target(plan_id=plan.id, region_id=region.id, person_id=None, month=month, amount=amount)
    )
    session.flush()


def deal(
    session: Session,
    owner: Person,
    customer: Customer,
    *,
    amount=1000,
    status: str = "open",
    stage: str | None = None,
    created_on: date,
    expected_close: date | None = None,
    closed_on: date | None = None,
    stage_entered_on: date | None = None,
    close_date_changes: int = 0,
) -> Deal:
    record = factories.deal(
        session,
        owner,
        customer,
        amount=Decimal(amount),
        status=status,
        closed_on=closed_on,
        expected_close=expected_close or closed_on or created_on + timedelta(days=400),
        stage_name=stage,
    )
    record.created_on = created_on
    record.stage_entered_on = stage_entered_on or closed_on or created_on
    record.close_date_changes = close_date_changes
    session.flush()
    return record


def history(session: Session, record: Deal, *steps: tuple[str, date]) -> None:
    """Stage changes of a deal: (stage name, day entered), in order."""
    previous = None
    for name, day in steps:
        to_id = stage_id(session, name)
        session.add(
            DealStageHistory(
                deal_id=record.id,
                from_stage_id=previous,
                to_stage_id=to_id,
                changed_at=datetime.combine(day, time(9)),
                amount=record.amount,
            )
        )
        previous = to_id
    session.flush()
    refresh_stays(session.connection(), [record.id])  # as every writer of the history does


def activity(
    session: Session, person: Person, customer: Customer, day: date, kind="call", deal=None
):
    session.add(
        Activity(
            type=kind,
            occurred_on=day,
            person_id=person.id,
            customer_id=customer.id,
            deal_id=deal.id if deal is not None else None,
        )
    )
    session.flush()
    # as every write that adds an activity: the customer's and the deal's day move forward
    last_activity.note_activity(session, customer.id, deal.id if deal is not None else None, day)


def team_member(session: Session, record: Deal, person: Person, role: str) -> None:
    session.add(DealTeamMember(deal_id=record.id, person_id=person.id, role=role))
    session.flush()
