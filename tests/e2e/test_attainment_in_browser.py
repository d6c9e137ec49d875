"""The attainment page in a real browser for a director, a manager and a rep: cards, charts,
the drill-down, no errors; screenshots in tests/e2e/artifacts/attainment-*.png."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_exception, screenshot, sign_in, wait_idle


@pytest.mark.parametrize(("username", "charts"), [("director", 4), ("manager", 4), ("rep", 2)])
def test_the_attainment_page_shows_cards_charts_and_the_drill_down(
    page, app_url, console_errors, username, charts
):
    page.set_viewport_size({"width": 1400, "height": 1000})
    sign_in(page, app_url, username)
    expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
    page.get_by_role("link", name="Attainment & forecast").click()
    expect(page.get_by_role("heading", name="Attainment & forecast")).to_be_visible(timeout=30_000)
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(12, timeout=30_000)
    expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(charts, timeout=30_000)
    wait_idle(page)
    probability = page.locator('[data-testid="stMetric"]').nth(6).inner_text()
    assert re.search(r"\d+\.\d%", probability), probability
    page.get_by_text("What the forecast rests on").click()
    expect(page.get_by_text(re.compile(r"10,000 trials"))).to_be_visible()
    wait_idle(page)
    assert_no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 3600})  # the app scrolls inside: show all
    wait_idle(page)
    screenshot(page, f"attainment-{username}")
    assert not console_errors, console_errors
