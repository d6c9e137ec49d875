"""My day against a computation by hand: a fresh team with follow-ups, deals, a plan and won
deals, read on a fixed day; who may read whose day; the rep records lead to cash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal

import pytest

from core.errors import PermissionDenied
from core.models import ActivityType, Actor, CashStatus
from core.org.company import set_setting
from core.pipeline import deals, follow_ups
from core.pipeline.deals import CashStep, DealMove
from core.pipeline.my_day import my_day
from db.schema import Deal
from tests import factories
from tests import performance_factories as pf
from tests.pipeline_factories import Team, team

TODAY = date(2030, 5, 20)  # fiscal year from January: quarter April-June 2030


def _add(session, actor: Actor, title, due_on, *, kind=None, at=None, **where) -> int:
    """A follow-up `actor` adds due on `due_on`, as of that day when it lies in the past."""
    return follow_ups.add_follow_up(
        session,
        actor,
        title=title,
        due_on=due_on,
        due_at=at,
        kind=kind,
        today=min(due_on, TODAY),
        **where,
    )


def _won(session, owner, customer, amount, closed_on, *, created_on=date(2030, 1, 5)) -> Deal:
    """A deal of `owner` won on `closed_on`."""
    return pf.deal(
        session,
        owner,
        customer,
        amount=amount,
        status="won",
        created_on=created_on,
        closed_on=closed_on,
    )


def _open(session, owner, customer, expected_close, *, stage=None) -> Deal:
    """An open deal of `owner`, created on 1 January 2030."""
    return pf.deal(
        session,
        owner,
        customer,
        created_on=date(2030, 1, 1),
        expected_close=expected_close,
        stage=stage,
    )


@dataclass
class Day:
    """The fixed day's team, the rep signed in, and what the day was built from."""

    t: Team
    rep: Actor
    follow: dict[str, int]
    closing: list[Deal]
    won: list[Deal]


@pytest.fixture
def day(session) -> Day:
    set_setting(session, "fiscal_start_month", 1)
    t = team(session)
    rep = t.actor(session, t.rep)
    plan = pf.approved_plan(session, 2030)
    for month, amount in ((3, 9999), (4, 3000), (5, 3100), (6, 2900), (7, 7777)):
        pf.rep_target(session, plan, t.rep, date(2030, month, 1), amount)
    won_in_quarter = [
        _won(session, t.rep, t.customer, 1200, date(2030, 4, 2)),
        _won(session, t.rep, t.customer, 800, date(2030, 5, 19)),
    ]
    won_before = _won(
        session, t.rep, t.customer, 5000, date(2030, 3, 31), created_on=date(2029, 1, 5)
    )
    won_before.cash_status = CashStatus.PAID.value
    invoiced = won_in_quarter[0]
    invoiced.cash_status, invoiced.contract_amount = CashStatus.INVOICED.value, Decimal(1200)
    invoiced.contract_signed_on = invoiced.invoiced_on = date(2030, 4, 5)
    invoiced.invoiced_amount = Decimal(1150)
    # the other rep's won deal closes in the quarter too and must not count
    _won(session, t.other_rep, t.other_customer, 999, date(2030, 5, 1))
    closing = [
        _open(session, t.rep, t.customer, date(2030, 5, 31), stage="Lead"),
        _open(session, t.rep, t.customer, date(2030, 5, 1), stage="Qualified"),
    ]
    _open(session, t.rep, t.customer, date(2030, 6, 1))
    _open(session, t.rep, t.customer, date(2030, 4, 30))
    closing[0].next_step = "Note only"
    session.flush()
    on_customer = {"customer_id": t.customer.id}
    follow = {
        "late": _add(session, rep, "Late call", TODAY - timedelta(days=3), deal_id=closing[1].id),
        "visit": _add(
            session,
            rep,
            "Visit the plant",
            TODAY,
            kind=ActivityType.VISIT,
            at=time(10, 0),
            **on_customer,
        ),
        "task": _add(session, rep, "Send the offer", TODAY, deal_id=closing[1].id),
        "meeting": _add(
            session,
            rep,
            "Budget meeting",
            TODAY,
            kind=ActivityType.MEETING,
            at=time(9, 0),
            **on_customer,
        ),
        "tomorrow": _add(session, rep, "Tomorrow", TODAY + timedelta(days=1), **on_customer),
        "done": _add(session, rep, "Done", TODAY - timedelta(days=1), **on_customer),
        "other": _add(
            session,
            t.actor(session, t.other_rep),
            "Not mine",
            TODAY,
            customer_id=t.other_customer.id,
        ),
    }
    follow_ups.complete_follow_up(session, rep, follow["done"])
    return Day(t=t, rep=rep, follow=follow, closing=closing, won=won_in_quarter)


def test_my_day_lists_what_is_due_planned_closing_and_awaiting_cash(session, day):
    follow, closing, won = day.follow, day.closing, day.won
    result = my_day(session, day.rep, today=TODAY)
    assert [r.id for r in result.overdue] == [follow["late"]]
    assert result.overdue[0].overdue
    assert [r.id for r in result.planned_today] == [follow["meeting"], follow["visit"]]
    assert [r.id for r in result.due_today] == [follow["task"]]
    # deals closing in May 2030, soonest first, with their next step
    assert [d.id for d in result.closing_this_month] == [closing[1].id, closing[0].id]
    first, second = result.closing_this_month
    assert (first.next_step, first.next_step_due) == ("Late call", TODAY - timedelta(days=3))
    assert (second.next_step, second.next_step_due) == ("Note only", None)
    assert (first.stage, first.next_stage) == ("Qualified", "Technical exchange")
    assert (second.stage, second.next_stage) == ("Lead", "Qualified")
    assert not first.next_is_won and not second.next_is_won
    assert all(d.can_edit for d in result.closing_this_month)
    # quarter: targets April-June, won deals closed April 1 - May 20 of this rep only
    assert result.quarter is not None
    assert result.quarter.target == Decimal(3000 + 3100 + 2900)
    assert result.quarter.won == Decimal(1200 + 800)
    assert result.quarter.gap == Decimal(9000 - 2000)
    # won and not yet paid, newest close first, with the next step and a suggested amount
    assert [(c.id, c.next_cash_step) for c in result.awaiting_cash] == [
        (won[1].id, CashStatus.CONTRACT_SIGNED),
        (won[0].id, CashStatus.PAID),
    ]
    assert result.awaiting_cash[1].suggested_amount == Decimal(1150)
    assert result.awaiting_cash[0].suggested_amount == Decimal(800)


def test_alerts_on_my_day_are_mine_without_the_overdue_follow_ups(session, day):
    t = day.t
    result = my_day(session, day.rep, today=TODAY)
    assert result.alerts, "the overdue close date of the April deal is an alert"
    assert {a.owner_id for a in result.alerts} == {t.rep.id}
    assert "overdue_follow_up" not in {a.rule for a in result.alerts}
    assert "overdue_close" in {a.rule for a in result.alerts}


def test_who_may_read_whose_day(session, day):
    t = day.t
    manager_view = my_day(session, t.actor(session, t.manager), person_id=t.rep.id, today=TODAY)
    assert [r.id for r in manager_view.overdue] == [day.follow["late"]]
    with pytest.raises(PermissionDenied):
        my_day(session, t.actor(session, t.other_rep), person_id=t.rep.id, today=TODAY)
    far_region = factories.region(session)
    far = factories.person(session, "manager", far_region, manages=[far_region])
    with pytest.raises(PermissionDenied):
        my_day(session, factories.actor(session, far), person_id=t.rep.id, today=TODAY)


def test_the_owner_rep_records_lead_to_cash_until_paid_and_others_may_not(session, day):
    t, rep, won = day.t, day.rep, day.won
    deal = won[1]
    step = CashStep(
        step=CashStatus.CONTRACT_SIGNED, on=TODAY, amount=800, seen_version=deal.version
    )
    with pytest.raises(PermissionDenied):
        deals.record_cash_step(session, t.actor(session, t.other_rep), deal.id, step, today=TODAY)
    deals.record_cash_step(session, rep, deal.id, step, today=TODAY)
    for kind in (CashStatus.INVOICED, CashStatus.PAID):
        waiting = {c.id: c for c in my_day(session, rep, today=TODAY).awaiting_cash}
        assert waiting[deal.id].next_cash_step == kind
        deals.record_cash_step(
            session,
            rep,
            deal.id,
            CashStep(step=kind, on=TODAY, amount=800, seen_version=waiting[deal.id].version),
            today=TODAY,
        )
    assert deal.id not in {c.id for c in my_day(session, rep, today=TODAY).awaiting_cash}
    # the manager of the region may record it too
    manager = t.actor(session, t.manager)
    other = won[0]
    deals.record_cash_step(
        session,
        manager,
        other.id,
        CashStep(step=CashStatus.PAID, on=TODAY, amount=1150, seen_version=other.version),
        today=TODAY,
    )
    assert my_day(session, rep, today=TODAY).awaiting_cash == []


def test_a_deal_moved_with_the_next_stage_of_my_day_shows_its_new_stage(session, day):
    rep = day.rep
    target = day.closing[0]
    for item in ("Contact identified", "Need confirmed"):
        deals.tick_checklist_item(session, rep, target.id, target.version, item, True)
    entry = next(
        d for d in my_day(session, rep, today=TODAY).closing_this_month if d.id == target.id
    )
    assert entry.next_stage_id is not None
    deals.move_deal(
        session,
        rep,
        target.id,
        DealMove(to_stage_id=entry.next_stage_id, seen_version=entry.version),
        today=TODAY,
    )
    moved = next(
        d for d in my_day(session, rep, today=TODAY).closing_this_month if d.id == target.id
    )
    assert moved.stage == entry.next_stage and moved.version == entry.version + 1


def test_an_empty_day(session):
    t = team(session)
    result = my_day(session, t.actor(session, t.rep), today=TODAY)
    assert (result.overdue, result.due_today, result.planned_today) == ([], [], [])
    assert (result.closing_this_month, result.awaiting_cash) == ([], [])
