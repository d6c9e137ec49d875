"""A manager looks at the pipeline board and table in a real browser and opens a deal."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_exception, screenshot, sign_in, wait_idle


def test_a_manager_sees_the_board_the_table_and_a_deal(page, app_url, console_errors):
    page.set_viewport_size({"width": 1400, "height": 1000})
    sign_in(page, app_url, "manager")
    expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
    page.get_by_role("link", name="Pipeline", exact=True).click()
    expect(page.get_by_role("heading", name="Pipeline")).to_be_visible(timeout=30_000)
    expect(page.locator('[data-testid="stVegaLiteChart"]').first).to_be_visible(timeout=30_000)
    wait_idle(page)
    deals = page.locator('[data-testid="stMetric"]').first.inner_text()
    assert re.search(r"[1-9]", deals), deals
    screenshot(page, "pipeline-board-manager")

    page.get_by_text("Table", exact=True).click()
    expect(page.get_by_test_id("stDataFrame")).to_be_visible(timeout=30_000)
    wait_idle(page)
    screenshot(page, "pipeline-table-manager")

    page.get_by_text("Board", exact=True).click()
    wait_idle(page)
    card = page.locator('[data-testid="stButton"] button').filter(has_text="·").first
    name = card.inner_text().split(" · ")[0]
    card.click()
    expect(page.get_by_role("heading", name=name)).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Stage history")).to_be_visible()
    wait_idle(page)
    screenshot(page, "pipeline-deal-manager")
    assert_no_exception(page)
    assert not console_errors, console_errors
