"""A director breaks next year's revenue plan down by product line in a real browser, picks a
line's plan in the Plan box, changes a month of a region in its grid and saves it; on a
desktop (1280 px) and on a phone (390 px). The app runs over its own database, so the other
browser tests' plans are not touched."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from sqlalchemy import select

from core.org.regions import load_region_tree
from core.periods import fiscal_year_of
from core.plans.allocation import create_plan
from core.plans.lines import product_lines
from db.engine import make_engine, session_factory
from db.schema import Region, Target, TargetPlan
from tests.e2e.conftest import (
    assert_no_exception,
    confirmation,
    screenshot,
    seeded_database,
    served_app,
    sign_in,
    sign_out,
    wait_idle,
)
from tests.plan_factories import actor_named

NEXT_YEAR = fiscal_year_of(date.today()) + 1


@pytest.fixture(scope="module")
def lines_app(tmp_path_factory):
    """The app over a demo database whose FY NEXT_YEAR revenue plan is a draft of 6,000,000;
    yields (base URL, session factory)."""
    folder = tmp_path_factory.mktemp("product-lines")
    url = seeded_database(folder)
    engine = make_engine(url)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        assert not session.scalar(select(TargetPlan.id).where(TargetPlan.fiscal_year == NEXT_YEAR))
        create_plan(
            session,
            actor_named(session, "director"),
            fiscal_year=NEXT_YEAR,
            company_target=Decimal(6_000_000),
            method="equal",
        )
    with served_app(folder, url) as base:
        yield base, sessions
    engine.dispose()


def _choose(page, label: str, option: str) -> None:
    box = page.get_by_test_id("stSelectbox").filter(has=page.get_by_text(label, exact=True))
    wanted = page.get_by_role("option", name=option, exact=True)
    for _ in range(3):  # a rerun that ends while the list opens closes it again
        wait_idle(page)
        box.first.click()
        try:
            wanted.wait_for(state="visible", timeout=10_000)
            break
        except PlaywrightTimeout:
            screenshot(page, "product-lines-choose-retry")
            page.keyboard.press("Escape")
    wanted.click()
    wait_idle(page)


def _open_targets(page, base: str) -> None:
    sign_in(page, base, "director")
    expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
    if page.viewport_size["width"] < 640:
        page.get_by_test_id("stExpandSidebarButton").click()  # a phone: the menu is closed
    page.get_by_role("link", name="Targets").click()
    expect(page.get_by_role("heading", name="🎯 Targets")).to_be_visible(timeout=30_000)
    wait_idle(page)
    _choose(page, "Fiscal year", f"FY{NEXT_YEAR}")


def _europe_january(sessions, line: str) -> tuple[int, int]:
    """(company's January, Europe's January) in the line's plan, read from the database."""
    with sessions() as session:
        plan_id = session.scalar(
            select(TargetPlan.id).where(
                TargetPlan.fiscal_year == NEXT_YEAR, TargetPlan.product_line == line
            )
        )
        root = load_region_tree(session).root_id
        europe = session.scalar(select(Region.id).where(Region.name == "Europe"))
        january = date(NEXT_YEAR, 1, 1)  # the demo's fiscal year starts in January
        amounts = dict(
            session.execute(
                select(Target.region_id, Target.amount).where(
                    Target.plan_id == plan_id,
                    Target.person_id.is_(None),
                    Target.month == january,
                    Target.region_id.in_([root, europe]),
                )
            ).all()
        )
    return int(amounts[root]), int(amounts[europe])


def _edit_europe_january(page, value: int) -> None:
    """Europe is the grid's first row: its name cell, then three steps right (total, lock,
    January), Enter opens the cell."""
    grid = page.get_by_test_id("stDataFrame").filter(visible=True).first
    for _ in range(3):  # a rerun that ends just then draws the grid anew: find it again
        wait_idle(page)
        try:
            grid.scroll_into_view_if_needed(timeout=10_000)
            box = grid.bounding_box(timeout=10_000)
        except PlaywrightError:
            screenshot(page, "product-lines-grid-retry")
            continue
        if box is not None:
            break
    else:
        raise AssertionError("the plan's grid stays visible")
    page.mouse.click(box["x"] + 30, box["y"] + 52)
    page.wait_for_timeout(300)
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.locator("input.gdg-input").fill(str(value))
    page.keyboard.press("Enter")
    wait_idle(page)


def _edit_and_save(page, sessions, line: str, shot: str) -> None:
    _choose(page, "Plan", f"Revenue · {line}")
    expect(page.get_by_text(f"FY{NEXT_YEAR} revenue · {line} v1", exact=True)).to_be_visible(
        timeout=30_000
    )
    company, europe = _europe_january(sessions, line)
    wanted = company // 2 if company // 2 != europe else company // 2 + 1
    _edit_europe_january(page, wanted)
    expect(page.get_by_text("Preview after your change")).to_be_visible(timeout=30_000)
    screenshot(page, f"{shot}-preview")
    page.get_by_role("button", name="Save changes").click()
    expect(confirmation(page, "Targets of Company saved.")).to_be_visible(timeout=30_000)
    wait_idle(page)
    assert_no_exception(page)
    screenshot(page, f"{shot}-saved")
    assert _europe_january(sessions, line) == (company, wanted), "Europe's January is saved"


def test_a_director_breaks_the_plan_down_by_line_and_edits_a_line_plan(
    page, browser, lines_app, console_errors
):
    base, sessions = lines_app
    with sessions() as session:
        lines = product_lines(session)
    page.set_viewport_size({"width": 1280, "height": 1000})
    _open_targets(page, base)
    page.get_by_text("🧩 Break down by product line").click()
    wait_idle(page)  # opening the section reruns the page to compute its preview
    expect(page.get_by_text("Equally", exact=True)).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.get_by_text("Equally", exact=True).click()
    wait_idle(page)
    expect(page.get_by_text("Each product line gets a draft revenue plan")).to_be_visible(
        timeout=30_000
    )
    screenshot(page, "product-lines-1-break-down")
    page.get_by_test_id("stButton").get_by_role("button", name="Break down by product line").click()
    expect(confirmation(page, "is broken down into 3 product-line plans")).to_be_visible(
        timeout=30_000
    )
    wait_idle(page)
    assert_no_exception(page)
    with sessions() as session:
        cut = dict(
            session.execute(
                select(TargetPlan.product_line, TargetPlan.company_target).where(
                    TargetPlan.fiscal_year == NEXT_YEAR, TargetPlan.product_line != ""
                )
            ).all()
        )
    assert cut == dict.fromkeys(lines, Decimal(2_000_000)), "three equal lines of 6,000,000"
    _edit_and_save(page, sessions, lines[0], "product-lines-2-desktop")
    assert not console_errors, console_errors
    sign_out(page)

    phone = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        _open_targets(phone, base)
        _edit_and_save(phone, sessions, lines[-1], "product-lines-3-phone")
        phone.get_by_test_id("stExpandSidebarButton").click()  # Sign out is in the menu
        sign_out(phone)
    finally:
        phone.close()
