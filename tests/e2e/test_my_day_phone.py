"""On a 390 px phone a rep starts on My day: logs the visit that was due (closing the follow-up
and setting the next), moves a deal closing this month two stages, and records the invoice
of a won deal, all within a minute of the first tap."""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta

from playwright.sync_api import expect
from sqlalchemy import select, update

from core.models import ActivityType, CashStatus
from core.org.access import SYSTEM_ACTOR, load_actor
from core.pipeline import deals, follow_ups, views
from db.engine import make_engine, session_factory
from db.schema import Activity, Deal, DealStageHistory, FollowUp, Person, Stage
from tests.e2e.conftest import assert_no_exception, screenshot, sign_in, wait_idle

PHONE = {"width": 390, "height": 844}


def _database(tmp_path_factory):
    """The served app's SQLite file (app_url creates it under pytest's temporary folder)."""
    path = max(tmp_path_factory.getbasetemp().glob("e2e*/e2e.db"), key=lambda p: p.stat().st_mtime)
    return session_factory(make_engine(f"sqlite:///{path}"))


def _prepare(factory) -> dict:
    """The rep's latest-closing open deal, moved to close today in 'Requirements and solution'
    with both stages' checklists ticked and the roles ahead on its team; a visit due today on
    it; a won deal of the rep with its contract signed, waiting for the invoice."""
    today = date.today()
    with factory.begin() as session:
        rep_id = session.scalar(select(Person.id).where(Person.username == "rep"))
        rep = load_actor(session, rep_id)
        deal = session.scalars(
            select(Deal)
            .where(Deal.owner_id == rep_id, Deal.status == "open")
            .order_by(Deal.expected_close.desc(), Deal.id.desc())
        ).first()
        assert deal is not None, "the demo data gives the rep open deals"
        deal.stage_id = session.scalar(
            select(Stage.id).where(Stage.name == "Requirements and solution")
        )
        deal.expected_close = today
        deal.checklist_done = [
            "Requirements documented",
            "Solution proposed",
            "Proof of value accepted",
        ]
        manager = session.scalar(select(Person.id).where(Person.username == "manager"))
        director = session.scalar(select(Person.id).where(Person.username == "director"))
        roles = {m.role for m in views.deal_detail(session, SYSTEM_ACTOR, deal.id).team}
        for person_id, role in (
            (manager, "executive sponsor"),
            (manager, "finance"),
            (director, "legal"),
        ):
            if role not in roles:
                deals.add_team_member(session, SYSTEM_ACTOR, deal.id, person_id, role)
        # the deal's only open follow-up is the visit below (the demo may have given it one)
        session.execute(
            update(FollowUp)
            .where(FollowUp.deal_id == deal.id, FollowUp.status.in_(["open", "snoozed"]))
            .values(status="done", done_at=datetime.now())
        )
        visit = follow_ups.add_follow_up(
            session,
            rep,
            title="Visit to agree the budget",
            due_on=today,
            deal_id=deal.id,
            kind=ActivityType.VISIT,
        )
        won = session.scalars(
            select(Deal)
            .where(Deal.owner_id == rep_id, Deal.status == "won")
            .order_by(Deal.closed_on.desc(), Deal.id.desc())
        ).first()
        assert won is not None, "the demo data gives the rep won deals"
        won.closed_on = today
        won.cash_status = CashStatus.CONTRACT_SIGNED.value
        won.contract_signed_on, won.contract_amount = today, won.amount
        won.invoiced_on = won.invoiced_amount = won.paid_on = won.paid_amount = None
        session.flush()
        return {
            "deal": deal.id,
            "deal_name": deal.name,
            "visit": visit,
            "won": won.id,
            "won_name": won.name,
            "won_amount": won.amount,
        }


def _settle(page) -> None:
    page.wait_for_timeout(300)
    wait_idle(page)


def _confirmed(page, text: str | re.Pattern) -> None:
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text=text)).to_be_visible(
        timeout=30_000
    )
    _settle(page)


def test_a_rep_runs_the_day_from_my_day_on_a_phone(page, app_url, console_errors, tmp_path_factory):
    try:
        _journey(page, app_url, console_errors, tmp_path_factory)
    except BaseException:
        screenshot(page, "my-day-phone-failed")
        raise


def _journey(page, app_url, console_errors, tmp_path_factory):
    factory = _database(tmp_path_factory)
    prepared = _prepare(factory)
    page.set_viewport_size(PHONE)
    page.goto(app_url)  # the server's first page can be slow on a busy machine: not timed
    page.get_by_role("textbox", name="Username or email").wait_for(timeout=120_000)
    sign_in(page, app_url, "rep")
    expect(page.get_by_role("heading", name="My day")).to_be_visible(timeout=30_000)
    visit_card = page.locator(f".st-key-my_day_fu_{prepared['visit']}")
    expect(visit_card).to_be_visible(timeout=30_000)
    wait_idle(page)
    screenshot(page, "my-day-phone-1-start")
    started = time.perf_counter()

    # log the visit: the follow-up is done and the next one set, in one save
    visit_card.get_by_role("button", name="📝 Log").click()
    form = visit_card.get_by_test_id("stForm")
    expect(form).to_be_visible(timeout=30_000)
    _settle(page)
    form.get_by_label("Outcome").fill("Budget agreed with the plant manager")
    form.get_by_label("Next follow-up (leave empty for none)").fill("Send the proposal")
    screenshot(page, "my-day-phone-2-log-form")
    form.get_by_role("button", name="📝 Log activity").click()
    _confirmed(page, "Visit logged; the follow-up is done and the next one is set for")
    visit_logged = time.perf_counter()
    expect(visit_card).to_have_count(0, timeout=30_000)

    # move the deal closing this month two stages, one tap each
    deal_card = page.locator(f".st-key-my_day_deal_{prepared['deal']}")
    expect(deal_card.get_by_text("Next: Send the proposal")).to_be_visible(timeout=30_000)
    deal_card.get_by_role("button", name="➡️ Evaluation").click()
    _confirmed(page, f"{prepared['deal_name']} moved to Evaluation.")
    deal_card.get_by_role("button", name="➡️ Negotiation").click()
    _confirmed(page, f"{prepared['deal_name']} moved to Negotiation.")
    moved = time.perf_counter()
    deal_card.scroll_into_view_if_needed()
    screenshot(page, "my-day-phone-3-moved")

    # record the invoice of the won deal
    cash_card = page.locator(f".st-key-my_day_cash_{prepared['won']}")
    cash_card.scroll_into_view_if_needed()
    cash_card.get_by_role("button", name="Record: invoiced").click()
    _confirmed(page, f"Invoiced recorded for {prepared['won_name']}.")
    finished = time.perf_counter()
    expect(cash_card.get_by_role("button", name="Record: paid")).to_be_visible(timeout=30_000)
    cash_card.scroll_into_view_if_needed()
    screenshot(page, "my-day-phone-4-invoiced")
    assert_no_exception(page)
    assert not console_errors, console_errors
    timings = {
        "visit": visit_logged - started,
        "two_moves": moved - started,
        "whole_journey": finished - started,
    }
    print(f"\nMy day phone timings (s): {timings}")
    assert timings["whole_journey"] < 60, timings

    today = date.today()
    with factory() as session:
        closed = session.get_one(FollowUp, prepared["visit"])
        assert closed.status == "done" and closed.done_activity_id is not None
        activity = session.get_one(Activity, closed.done_activity_id)
        assert (activity.type, activity.outcome, activity.deal_id) == (
            "visit",
            "Budget agreed with the plant manager",
            prepared["deal"],
        )
        following = session.scalars(
            select(FollowUp).where(FollowUp.deal_id == prepared["deal"], FollowUp.status == "open")
        ).all()
        assert [(f.title, f.due_on) for f in following] == [
            ("Send the proposal", today + timedelta(days=7))
        ]
        moves = session.scalars(
            select(Stage.name)
            .join(DealStageHistory, DealStageHistory.to_stage_id == Stage.id)
            .where(DealStageHistory.deal_id == prepared["deal"])
            .order_by(DealStageHistory.id)
        ).all()
        assert moves[-2:] == ["Evaluation", "Negotiation"]
        won = session.get_one(Deal, prepared["won"])
        assert (won.cash_status, won.invoiced_on, won.invoiced_amount) == (
            "invoiced",
            today,
            prepared["won_amount"],
        )
