"""A Salesforce Opportunities report from a US user goes in through the wizard with the shipped
presets only: its owners as reps, then its deals, the preview saying how the file is read
(month/day/year dates, thousands separators) and every stage proposed, at desktop and phone
width."""

import re

from playwright.sync_api import expect

from tests.conftest import ROOT
from tests.e2e.conftest import assert_no_exception, screenshot, sign_in, wait_idle
from tests.e2e.test_import_wizard import choose, upload

REPORT = ROOT / "tests" / "fixtures" / "exports" / "salesforce-opportunities-us.csv"


def _open_import(page, app_url) -> None:
    sign_in(page, app_url, "director")
    expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
    page.get_by_role("link", name="Import and export").click()
    expect(page.get_by_role("heading", name="Import and export")).to_be_visible(timeout=30_000)
    wait_idle(page)


def test_a_salesforce_report_goes_in_with_the_shipped_presets(
    page, app_url, console_errors, tmp_path
):
    page.set_viewport_size({"width": 1280, "height": 2400})
    _open_import(page, app_url)
    choose(page, "What does the file hold?", "people")
    choose(page, "Start from a saved mapping", "salesforce-opportunity-owners")
    upload(page, REPORT)
    page.get_by_label("Derive empty emails from the name and this domain").fill("acme.example")
    page.get_by_label("Derive empty emails from the name and this domain").press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(
        page.get_by_test_id("stAlertContentSuccess").get_by_text("Imported 3 people rows.")
    ).to_be_visible(timeout=30_000)
    wait_idle(page)

    choose(page, "What does the file hold?", "deals")
    choose(page, "Start from a saved mapping", "salesforce-opportunities")
    upload(page, REPORT)
    expect(page.get_by_text("3 · Map stage names")).to_be_visible()
    expect(
        page.get_by_text("Proposed: Negotiation (the preset's stage map).").first
    ).to_be_visible()
    import_button = page.get_by_role("button", name="Import", exact=True)
    expect(import_button).to_be_disabled()  # the stages are confirmed first
    page.get_by_text("The stage mapping is right").click()
    wait_idle(page)
    page.get_by_role("button", name="Preview (dry run)").click()
    expect(page.get_by_text("Preview: nothing has been written yet.")).to_be_visible(timeout=30_000)
    for line in (
        "The file is UTF-8 text separated by commas.",
        "Column 'Close Date' is read as month/day/year (8/15/2014).",
        "Column 'Created Date' is read as month/day/year (8/15/2014).",
    ):
        expect(page.get_by_text(line)).to_be_visible()
    expect(page.locator('[data-testid="stMetric"]').first).to_contain_text("12")
    wait_idle(page)
    screenshot(page, "import-salesforce-preview-desktop")
    page.set_viewport_size({"width": 390, "height": 5200})
    wait_idle(page)
    expect(
        page.get_by_text("Column 'Close Date' is read as month/day/year (8/15/2014).")
    ).to_be_visible()
    screenshot(page, "import-salesforce-preview-phone")
    page.set_viewport_size({"width": 1280, "height": 2400})
    wait_idle(page)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(
        page.get_by_test_id("stAlertContentSuccess").get_by_text("Imported 12 deals rows.")
    ).to_be_visible(timeout=30_000)
    assert_no_exception(page)
    assert not console_errors, console_errors
