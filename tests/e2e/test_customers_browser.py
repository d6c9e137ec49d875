"""In a real browser a rep finds a customer, opens it, adds a contact and sees it in the
timeline."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from db.engine import make_engine, session_factory
from db.schema import Customer, Person
from tests.e2e.conftest import assert_no_exception, screenshot, sign_in, wait_idle


def _own_customer(tmp_path_factory, username: str) -> str:
    """A customer of `username` in the database the served app uses."""
    [path] = sorted(tmp_path_factory.getbasetemp().glob("e2e[0-9]*/e2e.db"))
    with session_factory(make_engine(f"sqlite:///{path}"))() as session:
        owner = session.scalar(select(Person.id).where(Person.username == username))
        return session.scalar(
            select(Customer.name).where(Customer.owner_id == owner).order_by(Customer.id).limit(1)
        )


def test_a_rep_finds_a_customer_adds_a_contact_and_sees_it_in_the_timeline(
    page, app_url, console_errors, tmp_path_factory
):
    page.set_viewport_size({"width": 1400, "height": 1100})
    sign_in(page, app_url, "rep")
    expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
    name = _own_customer(tmp_path_factory, "rep")

    page.locator('[data-testid="stSidebarNav"] a', has_text="Customers").click()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible(timeout=30_000)
    wait_idle(page)
    screenshot(page, "customers-list")

    search = page.get_by_role("textbox", name="Search by name")
    search.fill(name.split()[0].upper())
    search.press("Enter")
    wait_idle(page)
    metric = page.locator('[data-testid="stMetric"]').first
    expect(metric).not_to_contain_text("300", timeout=30_000)
    search.fill(name.lower())
    search.press("Enter")
    expect(metric).to_contain_text(re.compile(r"Matching customers\s*1\b"), timeout=30_000)
    wait_idle(page)
    screenshot(page, "customers-found")
    page.get_by_role("button", name="Open customer").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible(timeout=30_000)
    wait_idle(page)

    page.get_by_role("tab", name="Contacts").click()
    form = page.locator('[data-testid="stForm"]').filter(has_text="Add contact")
    form.get_by_role("textbox", name="Name *").fill("Grace Hopper")
    form.get_by_role("textbox", name="Title").fill("CTO")
    form.get_by_role("textbox", name="Email").fill("grace@example.com")
    form.get_by_role("textbox", name="Phone").fill("+1 212 555 0100")
    form.get_by_role("button", name="Add contact").click()
    # The confirmation box, not the toast that says the same.
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(
        "Contact Grace Hopper added.", timeout=30_000
    )
    wait_idle(page)

    page.get_by_role("tab", name="Timeline").click()
    timeline = page.locator('[data-testid="stDataFrame"]').first
    expect(timeline).to_be_visible()
    expect(timeline.get_by_text("Contact added: Grace Hopper (CTO)")).to_be_attached(timeout=30_000)
    assert_no_exception(page)
    screenshot(page, "customer-detail-timeline")
    page.get_by_role("tab", name="Contacts").click()
    wait_idle(page)
    screenshot(page, "customer-detail-contacts")
    assert not console_errors, console_errors


def test_a_manager_is_stopped_before_creating_a_duplicate_and_sees_the_hand_over_form(
    page, app_url, console_errors, tmp_path_factory
):
    page.set_viewport_size({"width": 1400, "height": 1100})
    sign_in(page, app_url, "manager")
    expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
    name = _own_customer(tmp_path_factory, "rep")
    page.locator('[data-testid="stSidebarNav"] a', has_text="Customers").click()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible(timeout=30_000)
    wait_idle(page)

    page.get_by_text("New customer").click()
    form = page.locator('[data-testid="stForm"]').filter(has_text="Create customer")
    expect(form).to_be_visible(timeout=30_000)
    form.get_by_role("textbox", name="Name *").fill(name.upper())
    form.get_by_role("textbox", name="Name *").press("Tab")
    form.get_by_role("button", name="Create customer").click()
    expect(page.get_by_text("looks like a customer we already have")).to_be_visible(timeout=30_000)
    opens = page.get_by_role("button", name=re.compile(r"^Open "))
    expect(opens).not_to_have_count(0, timeout=30_000)
    wait_idle(page)
    assert_no_exception(page)
    screenshot(page, "customers-duplicate-warning")

    page.get_by_text("Hand over customers").click()
    expect(page.get_by_role("button", name="Hand over")).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.get_by_role("button", name="Hand over").scroll_into_view_if_needed()
    screenshot(page, "customers-hand-over")
    assert not console_errors, console_errors
