"""My day: what one person has to do today, on one screen.

- Follow-ups overdue (still open after their due day) and due today; the visits, meetings and
  demos planned for today are today's follow-ups that plan one of those activities.
- Open deals expected to close this month, with their next step (the earliest open follow-up,
  else the deal's note) and the stage a one-tap move goes to (the stage rules decide on the
  move itself, in core.pipeline.deals).
- The person's alerts, without the overdue follow-ups (they head the page already).
- The fiscal quarter's target, won and gap, read from core.progress (the Attainment page's row).
- Won deals still waiting for contract, invoice or payment, until paid, with the next step.

Who: a person reads their own day; a manager (or director) may read the day of someone in
their area.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.errors import NotFound, PermissionDenied
from core.i18n import _
from core.models import ActivityType, Actor, CashStatus, DealStatus
from core.org.access import ensure_active, ensure_can_view_person, load_actor
from core.org.company import fiscal_start_month
from core.performance.alert_settings import Alert
from core.performance.alerts import current_alerts
from core.periods import quarter_of
from core.pipeline.deals import ensure_can_edit_deal
from core.pipeline.follow_up_views import FollowUpRow, follow_ups_of_person, next_steps
from core.pipeline.rules import next_cash_step, next_stage
from core.pipeline.stages import stage_rules
from core.progress.attainment import rep_rows
from db.schema import Customer, Deal, Person, Stage

PLANNED_KINDS = (ActivityType.VISIT, ActivityType.MEETING, ActivityType.DEMO)
"""Follow-ups of these kinds due today are the day's planned visits and meetings."""


class DayDeal(BaseModel):
    """An open deal expected to close this month, with its next step and next stage."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    customer: str
    stage_id: int
    stage: str
    amount: Decimal
    currency: str
    """Of `amount` (the deal's own currency)."""
    expected_close: date
    next_step: str | None
    next_step_due: date | None
    next_stage_id: int | None
    next_stage: str | None
    next_is_won: bool
    version: int
    can_edit: bool


class CashDeal(BaseModel):
    """A won deal waiting for its next lead-to-cash step."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    customer: str
    amount: Decimal
    currency: str
    """Of `amount` and of the cash amounts (the deal's own currency)."""
    closed_on: date | None
    cash_status: CashStatus | None
    next_cash_step: CashStatus
    suggested_amount: Decimal
    version: int
    can_edit: bool


class QuarterLine(BaseModel):
    """The quarter's target, won and gap (None without a target), from core.progress."""

    model_config = ConfigDict(frozen=True)

    period: str
    target: Decimal | None
    won: Decimal
    gap: Decimal | None


class MyDay(BaseModel):
    """Everything My day shows for one person on one day."""

    model_config = ConfigDict(frozen=True)

    person_id: int
    person: str
    today: date
    overdue: list[FollowUpRow]
    due_today: list[FollowUpRow]
    planned_today: list[FollowUpRow]
    closing_this_month: list[DayDeal]
    alerts: list[Alert]
    quarter: QuarterLine | None
    awaiting_cash: list[CashDeal]


def _month_bounds(today: date) -> tuple[date, date]:
    start = today.replace(day=1)
    following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start, following


def _closing_this_month(
    session: Session, actor: Actor, person_id: int, today: date, limit: int
) -> list[DayDeal]:
    start, following = _month_bounds(today)
    rows = session.execute(
        select(Deal, Customer.name, Stage.name)
        .join(Customer, Customer.id == Deal.customer_id)
        .join(Stage, Stage.id == Deal.stage_id)
        .where(
            Deal.owner_id == person_id,
            Deal.status == DealStatus.OPEN,
            Deal.expected_close >= start,
            Deal.expected_close < following,
        )
        .order_by(Deal.expected_close, Deal.id)
        .limit(limit)
    ).all()
    if not rows:
        return []
    rules = stage_rules(session)
    by_id = {rule.id: rule for rule in rules}
    steps = next_steps(session, [deal.id for deal, __, __ in rows])
    out = []
    for deal, customer, stage in rows:
        following_stage = next_stage(rules, by_id[deal.stage_id])
        step = steps.get(deal.id)
        out.append(
            DayDeal(
                id=deal.id,
                name=deal.name,
                customer=customer,
                stage_id=deal.stage_id,
                stage=stage,
                amount=deal.amount,
                currency=deal.currency,
                expected_close=deal.expected_close,
                next_step=step.text if step else None,
                next_step_due=step.due_on if step else None,
                next_stage_id=following_stage.id if following_stage else None,
                next_stage=following_stage.name if following_stage else None,
                next_is_won=bool(following_stage and following_stage.is_won),
                version=deal.version,
                can_edit=_can_edit(actor, deal),
            )
        )
    return out


def _can_edit(actor: Actor, deal: Deal) -> bool:
    try:
        ensure_can_edit_deal(actor, deal)
    except PermissionDenied:
        return False
    return True


def _awaiting_cash(session: Session, actor: Actor, person_id: int, limit: int) -> list[CashDeal]:
    rows = session.execute(
        select(Deal, Customer.name)
        .join(Customer, Customer.id == Deal.customer_id)
        .where(
            Deal.owner_id == person_id,
            Deal.status == DealStatus.WON,
            Deal.cash_status.is_(None) | (Deal.cash_status != CashStatus.PAID.value),
        )
        .order_by(Deal.closed_on.desc(), Deal.id.desc())
        .limit(limit)
    ).all()
    out = []
    for deal, customer in rows:
        step = next_cash_step(deal.cash_status)
        if step is None:
            continue
        out.append(
            CashDeal(
                id=deal.id,
                name=deal.name,
                customer=customer,
                amount=deal.amount,
                currency=deal.currency,
                closed_on=deal.closed_on,
                cash_status=CashStatus(deal.cash_status) if deal.cash_status else None,
                next_cash_step=step,
                suggested_amount=deal.invoiced_amount or deal.contract_amount or deal.amount,
                version=deal.version,
                can_edit=_can_edit(actor, deal),
            )
        )
    return out


def _quarter(session: Session, person_id: int, today: date) -> QuarterLine | None:
    period = quarter_of(today, fiscal_start_month(session))
    rows = rep_rows(session, [person_id], period, today=today, simulate=False)
    if not rows:
        return None
    row = rows[0]
    return QuarterLine(period=period.label, target=row.target, won=row.won, gap=row.gap)


def my_day(
    session: Session,
    actor: Actor,
    *,
    person_id: int | None = None,
    today: date | None = None,
    limit: int = 200,
) -> MyDay:
    """The day of the actor (or of a person in the actor's area)."""
    ensure_active(actor)
    today = today or clock.today()
    person_id = actor.id if person_id is None else person_id
    if person_id is None:
        raise NotFound(_("My day belongs to a person; the command line has none."))
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(_("No person with id {person_id}.").format(person_id=person_id))
    ensure_can_view_person(actor, person_id=person.id, region_id=person.region_id)
    due = follow_ups_of_person(session, actor, person.id, due_by=today, today=today, limit=limit)
    overdue = [row for row in due if row.due_on < today]
    todays = [row for row in due if row.due_on == today]
    planned = [row for row in todays if row.kind in PLANNED_KINDS]
    others = [row for row in todays if row.kind not in PLANNED_KINDS]
    owner = actor if person.id == actor.id else load_actor(session, person.id)
    alerts = [
        alert
        for alert in current_alerts(session, owner, today=today, limit_per_rule=50)
        if alert.rule != "overdue_follow_up" and alert.owner_id == person.id
    ]
    return MyDay(
        person_id=person.id,
        person=person.name,
        today=today,
        overdue=overdue,
        due_today=others,
        planned_today=planned,
        closing_this_month=_closing_this_month(session, actor, person.id, today, limit),
        alerts=alerts,
        quarter=_quarter(session, person.id, today),
        awaiting_cash=_awaiting_cash(session, actor, person.id, limit),
    )


__all__ = ["CashDeal", "DayDeal", "MyDay", "QuarterLine", "my_day"]
