"""New deals in a real browser: on a desktop a manager creates a deal for a rep of her area from
the Pipeline; on a 390 px phone a rep creates a deal for a new customer and marks another deal
lost with a reason from the list."""

from __future__ import annotations

import re
import time
from decimal import Decimal

from playwright.sync_api import expect
from sqlalchemy import select

from db.engine import make_engine, session_factory
from db.schema import AuditLog, Customer, Deal, LostReason, Person
from tests.e2e.conftest import assert_no_exception, screenshot, sign_in, wait_idle

PHONE = {"width": 390, "height": 844}


def _database(tmp_path_factory):
    """The served app's SQLite file (app_url creates it under pytest's temporary folder)."""
    path = max(tmp_path_factory.getbasetemp().glob("e2e*/e2e.db"), key=lambda p: p.stat().st_mtime)
    return session_factory(make_engine(f"sqlite:///{path}"))


def _settle(page) -> None:
    page.wait_for_timeout(300)
    wait_idle(page)


def _choose(page, label: str, option: str) -> None:
    """Pick an option of a selectbox, retrying when a rerun swallowed the click."""
    _settle(page)
    box = page.get_by_role("combobox", name=label)
    for _attempt in range(4):
        box.click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=4_000)
        except Exception:
            page.keyboard.press("Escape")
            _settle(page)
            continue
        expect(box).to_have_value(option, timeout=10_000)
        _settle(page)
        return
    raise AssertionError(f"could not choose {option} for {label}")


def _fits_the_screen(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways ({width} px)"


def test_a_manager_creates_a_deal_for_a_rep_of_her_area(
    page, app_url, console_errors, tmp_path_factory
):
    factory = _database(tmp_path_factory)
    with factory() as session:
        rep = session.scalar(select(Person).where(Person.username == "rep"))
        manager_id = session.scalar(select(Person.id).where(Person.username == "manager"))
        customer = session.scalars(
            select(Customer).where(Customer.owner_id == rep.id).order_by(Customer.name)
        ).first()
        rep_id, rep_name, customer_name = rep.id, rep.name, customer.name
    page.set_viewport_size({"width": 1280, "height": 1000})
    sign_in(page, app_url, "manager")
    expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
    page.get_by_role("link", name="Pipeline", exact=True).click()
    expect(page.get_by_role("heading", name="Pipeline")).to_be_visible(timeout=30_000)
    _settle(page)
    page.get_by_text("➕ New deal (for you or a rep of your area)").click()
    _choose(page, "Owner *", rep_name)
    page.get_by_role("textbox", name="Find the customer").fill(customer_name)
    page.keyboard.press("Enter")
    expect(page.get_by_role("combobox", name="Customer")).to_have_value(
        re.compile("^" + re.escape(customer_name)), timeout=30_000
    )
    _settle(page)
    deal_name = page.get_by_role("textbox", name="Deal name *")
    expect(deal_name).to_have_count(1, timeout=30_000)  # a rerun's stale copy gone
    deal_name.fill("Expansion for 12 sites")
    page.get_by_role("spinbutton", name="Amount *").fill("48000")
    page.get_by_role("spinbutton", name="Quantity *").fill("12")
    screenshot(page, "new-deal-manager-form")
    page.get_by_role("button", name="Create deal").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_have_text(
        "The deal Expansion for 12 sites is created.", timeout=30_000
    )
    expect(page.get_by_role("heading", name="Expansion for 12 sites")).to_be_visible()
    _settle(page)
    screenshot(page, "new-deal-manager-created")
    with factory() as session:
        deal = session.scalar(select(Deal).where(Deal.name == "Expansion for 12 sites"))
        assert (deal.owner_id, deal.amount, deal.quantity, deal.status) == (
            rep_id,
            Decimal("48000.00"),
            12,
            "open",
        )
        assert session.get(Customer, deal.customer_id).name == customer_name
        entry = session.scalar(
            select(AuditLog).where(AuditLog.entity == "deal", AuditLog.entity_id == deal.id)
        )
        assert (entry.action, entry.actor_id) == ("deal.create", manager_id)
    assert_no_exception(page)
    assert not console_errors, console_errors


def test_a_rep_creates_a_deal_for_a_new_customer_and_marks_another_lost_on_a_phone(
    page, app_url, console_errors, tmp_path_factory
):
    try:
        _phone_journey(page, app_url, console_errors, tmp_path_factory)
    except BaseException:
        screenshot(page, "new-deal-phone-failed")
        raise


def _phone_journey(page, app_url, console_errors, tmp_path_factory):
    factory = _database(tmp_path_factory)
    with factory() as session:
        rep_id = session.scalar(select(Person.id).where(Person.username == "rep"))
        other = session.scalars(
            select(Deal)
            .where(Deal.owner_id == rep_id, Deal.status == "open")
            .order_by(Deal.expected_close.desc())
        ).first()
        other_id, other_name = other.id, other.name
        competitor = session.scalar(select(LostReason.id).where(LostReason.name == "Competitor"))
    page.set_viewport_size(PHONE)
    sign_in(page, app_url, "rep")
    expect(page.get_by_text("Hello, ", exact=False).first).to_be_visible(timeout=30_000)
    _settle(page)

    started = time.perf_counter()
    page.get_by_test_id("stExpandSidebarButton").click()
    page.get_by_role("link", name="My deals").click()
    expect(page.get_by_role("heading", name="My deals")).to_be_visible(timeout=30_000)
    _settle(page)
    if page.evaluate(
        "() => document.querySelector('[data-testid=stSidebar]').getBoundingClientRect().right > 2"
    ):
        page.get_by_test_id("stSidebarCollapseButton").locator("button").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stSidebar]').getBoundingClientRect().right < 2"
    )
    page.get_by_text("➕ New deal").click()
    page.get_by_text("New customer", exact=True).click()
    name_box = page.get_by_role("textbox", name="New customer's name *")
    expect(name_box).to_be_visible(timeout=30_000)
    name_box.fill("Zyxquor Qentaris")
    page.keyboard.press("Tab")
    _settle(page)
    deal_name = page.get_by_role("textbox", name="Deal name *")
    expect(deal_name).to_have_count(1, timeout=30_000)  # a rerun's stale copy gone
    deal_name.fill("First order of Qentaris")
    page.get_by_role("spinbutton", name="Amount *").fill("9500")
    page.get_by_role("textbox", name="Next step").fill("Send the offer")
    _fits_the_screen(page)
    screenshot(page, "new-deal-phone-form")
    page.get_by_role("button", name="Create deal").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_have_text(
        "The deal First order of Qentaris is created.", timeout=30_000
    )
    expect(page.get_by_role("heading", name="First order of Qentaris")).to_be_visible()
    _settle(page)
    created = time.perf_counter()
    screenshot(page, "new-deal-phone-created")
    with factory() as session:
        deal = session.scalar(select(Deal).where(Deal.name == "First order of Qentaris"))
        customer = session.get(Customer, deal.customer_id)
        assert (customer.name, customer.owner_id, deal.owner_id) == (
            "Zyxquor Qentaris",
            rep_id,
            rep_id,
        )
        assert (deal.amount, deal.next_step, deal.status) == (
            Decimal("9500.00"),
            "Send the offer",
            "open",
        )

    page.get_by_role("button", name="← My deals").click()
    expect(page.get_by_role("heading", name="My deals")).to_be_visible(timeout=30_000)
    _settle(page)
    page.get_by_placeholder("🔎 Deal or customer").fill(other_name)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Open")).to_have_count(1, timeout=30_000)
    page.get_by_role("button", name="Open").click()
    expect(page.get_by_role("heading", name=other_name)).to_be_visible(timeout=30_000)
    _settle(page)
    page.get_by_text("❌ Mark lost").click()
    _choose(page, "Lost reason *", "Competitor")
    page.get_by_role("textbox", name="Note (optional)").fill("They renewed with the incumbent")
    _fits_the_screen(page)
    screenshot(page, "new-deal-phone-mark-lost")
    page.get_by_role("button", name="Mark lost").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_have_text(
        f"{other_name} is marked lost.", timeout=30_000
    )
    expect(page.get_by_text("Note on the loss: They renewed with the incumbent")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Lost on .*: Competitor"))).to_be_visible()
    _settle(page)
    finished = time.perf_counter()
    screenshot(page, "new-deal-phone-lost")
    with factory() as session:
        lost = session.get(Deal, other_id)
        assert (lost.status, lost.lost_reason_id, lost.lost_note) == (
            "lost",
            competitor,
            "They renewed with the incumbent",
        )
    assert created - started < 60, f"creating the deal took {created - started:.1f} s"
    assert finished - started < 60, f"the journey took {finished - started:.1f} s"
    assert_no_exception(page)
    assert not console_errors, console_errors
