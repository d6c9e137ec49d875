"""Director allocates, manager adjusts, director approves, in a real browser, with screenshots."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import expect

from core.periods import fiscal_year_of
from tests.e2e.conftest import (
    assert_no_exception,
    confirmation,
    screenshot,
    sign_in,
    sign_out,
    wait_idle,
)

NEXT_YEAR = fiscal_year_of(date.today()) + 1


def _open_targets(page, app_url, username):
    page.set_viewport_size({"width": 1500, "height": 1100})
    sign_in(page, app_url, username)
    expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
    page.get_by_role("link", name="Targets").click()
    expect(page.get_by_role("heading", name="🎯 Targets")).to_be_visible(timeout=30_000)
    wait_idle(page)


def _choose(page, label: str, option: str) -> None:
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def test_director_allocates_manager_adjusts_director_approves(page, app_url, console_errors):
    _open_targets(page, app_url, "director")
    _choose(page, "Fiscal year", f"FY{NEXT_YEAR}")
    expect(page.get_by_text(f"There is no FY{NEXT_YEAR} plan yet")).to_be_visible(timeout=30_000)
    page.get_by_role("spinbutton", name="Company target").fill("24000000")
    page.get_by_role("spinbutton", name="Company target").press("Enter")
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"Preview:.*24,000,000"))).to_be_visible(timeout=30_000)
    screenshot(page, "targets-1-director-preview")
    page.get_by_role("button", name="Create plan").click()
    expect(confirmation(page, f"FY{NEXT_YEAR} plan allocated")).to_be_visible(timeout=30_000)
    wait_idle(page)
    assert_no_exception(page)
    screenshot(page, "targets-2-director-allocated")

    sign_out(page)
    _open_targets(page, app_url, "manager")
    _choose(page, "Fiscal year", f"FY{NEXT_YEAR}")
    expect(page.get_by_text("📝 draft")).to_be_visible(timeout=30_000)
    grid = page.locator('[data-testid="stDataFrame"]').first
    box = grid.bounding_box()
    cell = (box["x"] + 265, box["y"] + box["height"] - 17)  # last row, first month
    page.mouse.click(*cell)  # focuses the grid
    page.wait_for_timeout(500)
    page.mouse.dblclick(*cell)  # opens the cell editor
    page.locator("input.gdg-input").fill("500000")
    page.keyboard.press("Enter")
    wait_idle(page)
    expect(page.get_by_text("Preview after your change")).to_be_visible(timeout=30_000)
    screenshot(page, "targets-3-manager-preview")
    page.get_by_role("button", name="Save changes").click()
    expect(confirmation(page, re.compile(r"Targets of .* saved"))).to_be_visible(timeout=30_000)
    wait_idle(page)
    screenshot(page, "targets-4-manager-saved")
    page.get_by_role("button", name="Submit for approval").click()
    expect(confirmation(page, re.compile(r"v1 submitted"))).to_be_visible(timeout=30_000)
    assert_no_exception(page)

    sign_out(page)
    _open_targets(page, app_url, "director")
    _choose(page, "Fiscal year", f"FY{NEXT_YEAR}")
    expect(page.get_by_text("📨 submitted")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Approve").click()
    expect(confirmation(page, re.compile(r"v1 approved"))).to_be_visible(timeout=30_000)
    wait_idle(page)
    expect(page.get_by_text("✅ approved")).to_be_visible(timeout=30_000)
    assert_no_exception(page)
    screenshot(page, "targets-5-director-approved")

    sign_out(page)
    _open_targets(page, app_url, "rep")
    _choose(page, "Fiscal year", f"FY{NEXT_YEAR}")
    expect(page.get_by_text("My yearly target")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(f"FY{NEXT_YEAR} v1 · ✅ approved")).to_be_visible(timeout=30_000)
    expect(page.locator('[data-testid="stVegaLiteChart"]').first).to_be_visible(timeout=30_000)
    wait_idle(page)
    assert_no_exception(page)
    screenshot(page, "targets-6-rep-reads-own-targets")
    assert not console_errors, console_errors


def test_the_organisation_page_shows_the_tree_and_people(page, app_url, console_errors):
    page.set_viewport_size({"width": 1400, "height": 1000})
    sign_in(page, app_url, "admin")
    expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
    page.get_by_role("link", name="Organisation").click()
    expect(page.get_by_role("heading", name="🏢 Organisation")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Under", exact=True)).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="⬇ CSV").first).to_be_visible(timeout=30_000)
    wait_idle(page)
    assert_no_exception(page)
    screenshot(page, "organisation-regions")
    page.get_by_role("tab", name="👥 People").click()
    expect(page.get_by_role("tab", name="Move to another region")).to_be_visible(timeout=30_000)
    wait_idle(page)
    screenshot(page, "organisation-people")
    assert not console_errors, console_errors
