"""A deal in EUR in a real browser: a rep creates it on My deals, and the deal page and the My
deals list show its amount in EUR beside its amount in the company currency, on a 1280 px
desktop and on a 390 px phone."""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from playwright.sync_api import expect
from sqlalchemy import select

from core.org.access import load_actor
from core.pipeline import exchange_rates
from core.pipeline.pricing import company_currency
from db.engine import make_engine, session_factory
from db.schema import Customer, Deal, Person
from tests.e2e.conftest import assert_no_exception, screenshot, sign_in, sign_out, wait_idle

DESKTOP = {"width": 1280, "height": 1000}
PHONE = {"width": 390, "height": 844}
DEAL = "Lyon plant retrofit"
AMOUNT = Decimal("41000")
RATE = Decimal("1.08")


def _database(tmp_path_factory):
    """The served app's SQLite file (app_url creates it under pytest's temporary folder)."""
    path = max(tmp_path_factory.getbasetemp().glob("e2e*/e2e.db"), key=lambda p: p.stat().st_mtime)
    return session_factory(make_engine(f"sqlite:///{path}"))


def _settle(page) -> None:
    page.wait_for_timeout(300)
    wait_idle(page)


def _prepare(factory) -> tuple[str, str]:
    """A EUR rate in effect today (saved as the admin saves rates) and one of the rep's
    customers without an open deal, the last by name (a second open deal for a customer asks
    to confirm, and the new-deal tests served by the same app may have added one, even a new
    customer last by name); returns (the customer's name, the company currency)."""
    with factory.begin() as session:
        admin = session.scalar(select(Person.id).where(Person.username == "admin"))
        exchange_rates.save_rates(
            session, load_actor(session, admin), [("EUR", date.today(), RATE)]
        )
        rep = session.scalar(select(Person.id).where(Person.username == "rep"))
        open_deal = select(Deal.id).where(Deal.customer_id == Customer.id, Deal.status == "open")
        customer = session.scalars(
            select(Customer.name)
            .where(Customer.owner_id == rep, ~open_deal.exists())
            .order_by(Customer.name.desc())
        ).first()
        assert customer is not None, "the demo data gives the rep customers"
        return customer, company_currency(session)


def _choose_eur(page) -> None:
    """Pick EUR in the form's currency select (type the code to find it among every ISO code)."""
    box = page.get_by_role("combobox", name="Currency *")
    eur = re.compile(r"^EUR – Euro")
    for _attempt in range(4):
        box.click()
        page.keyboard.type("EUR")
        try:
            page.get_by_role("option", name=eur).first.click(timeout=4_000)
        except Exception:
            page.keyboard.press("Escape")
            _settle(page)
            continue
        expect(box).to_have_value(eur, timeout=10_000)
        return
    raise AssertionError("could not choose EUR")


def _open_my_deals(page, *, phone: bool) -> None:
    if phone:
        page.get_by_test_id("stExpandSidebarButton").click()
    page.get_by_role("link", name="My deals").click()
    expect(page.get_by_role("heading", name="My deals")).to_be_visible(timeout=30_000)
    _settle(page)


def _find_card(page) -> None:
    page.get_by_placeholder("🔎 Deal or customer").fill(DEAL)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Open")).to_have_count(1, timeout=30_000)
    _settle(page)


def test_a_rep_creates_a_deal_in_eur_and_sees_both_amounts_on_desktop_and_phone(
    page, app_url, console_errors, tmp_path_factory
):
    factory = _database(tmp_path_factory)
    customer, company = _prepare(factory)
    converted = (AMOUNT * RATE).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    both = f"{AMOUNT:,.2f} EUR ({converted:,.2f} {company})"  # 41,000.00 EUR (44,280.00 USD)
    try:
        _desktop(page, app_url, customer, both)
        _phone(page, app_url, both)
    except BaseException:
        screenshot(page, "deal-currency-failed")
        raise
    with factory() as session:
        deal = session.scalar(select(Deal).where(Deal.name == DEAL))
        assert (deal.amount, deal.currency, deal.company_amount) == (AMOUNT, "EUR", converted)
    assert_no_exception(page)
    assert not console_errors, console_errors


def _desktop(page, app_url, customer: str, both: str) -> None:
    page.set_viewport_size(DESKTOP)
    sign_in(page, app_url, "rep")
    expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
    _settle(page)
    _open_my_deals(page, phone=False)
    page.get_by_text("➕ New deal").click()
    page.get_by_role("textbox", name="Find the customer").fill(customer)
    page.keyboard.press("Enter")
    expect(page.get_by_role("combobox", name="Customer")).to_have_value(
        re.compile("^" + re.escape(customer)), timeout=30_000
    )
    _settle(page)
    page.get_by_role("textbox", name="Deal name *").fill(DEAL)
    page.get_by_role("spinbutton", name="Amount *").fill(str(AMOUNT))
    _choose_eur(page)
    screenshot(page, "deal-currency-form-1280")
    page.get_by_role("button", name="Create deal").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_have_text(
        f"The deal {DEAL} is created.",
        timeout=60_000,  # the suite runs in parallel
    )
    expect(page.get_by_role("heading", name=DEAL)).to_be_visible()
    _settle(page)
    expect(page.get_by_text(both)).to_be_visible(timeout=30_000)
    expect(page.get_by_text("converted at the EUR rate in effect today")).to_be_visible()
    screenshot(page, "deal-currency-detail-1280")

    page.get_by_role("button", name="← My deals").click()
    expect(page.get_by_role("heading", name="My deals")).to_be_visible(timeout=30_000)
    _settle(page)
    _find_card(page)
    expect(page.get_by_text(both)).to_be_visible(timeout=30_000)
    screenshot(page, "deal-currency-my-deals-1280")


def _phone(page, app_url, both: str) -> None:
    sign_out(page)
    page.set_viewport_size(PHONE)
    sign_in(page, app_url, "rep")
    expect(page.get_by_text("Hello, ", exact=False).first).to_be_visible(timeout=30_000)
    _settle(page)
    _open_my_deals(page, phone=True)
    _find_card(page)
    card = page.get_by_text(both)
    expect(card).to_be_visible(timeout=30_000)
    box = card.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"]  # wraps, not cut off
    screenshot(page, "deal-currency-my-deals-390")
    page.get_by_role("button", name="Open").click()
    expect(page.get_by_role("heading", name=DEAL)).to_be_visible(timeout=30_000)
    _settle(page)
    expect(page.get_by_text(both)).to_be_visible(timeout=30_000)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways ({width} px)"
    screenshot(page, "deal-currency-detail-390")
