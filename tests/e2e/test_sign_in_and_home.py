"""Each role signs in in a real browser and sees its home page with numbers, no errors."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_exception, screenshot, sign_in, wait_idle


@pytest.mark.parametrize("username", ["director", "manager", "rep"])
def test_each_role_signs_in_and_sees_its_home_page(page, app_url, console_errors, username):
    page.set_viewport_size({"width": 1400, "height": 1000})
    sign_in(page, app_url, username)
    expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
    if username == "rep":  # a rep starts on My day; Home is one click away
        expect(page.get_by_role("heading", name="My day")).to_be_visible(timeout=30_000)
        page.locator('[data-testid="stSidebarNav"] a', has_text="Home").click()
        expect(page.get_by_role("heading", name=re.compile(r"^Hello, "))).to_be_visible(
            timeout=30_000
        )
    # the headline's four, then "Other targets": the demo plans units and visits this year;
    # then "This week" (the weekly digest): pace, gap and probability, when it has figures
    expect(page.get_by_role("heading", name="This week")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name="Other targets")).to_be_visible()
    expect(page.locator('[data-testid="stVegaLiteChart"]').first).to_be_visible(timeout=30_000)
    wait_idle(page)
    this_week = page.get_by_test_id("stMetricLabel").filter(has_text="Probability of making it")
    assert page.locator('[data-testid="stMetric"]').count() == 6 + 3 * this_week.count()
    won = page.locator('[data-testid="stMetric"]').nth(1).inner_text()
    assert re.search(r"\d", won), won
    assert_no_exception(page)
    screenshot(page, f"home-{username}")
    assert not console_errors, console_errors


def test_a_wrong_password_is_refused_and_sign_out_returns_to_the_form(page, app_url):
    sign_in(page, app_url, "director", "wrong")
    expect(page.get_by_text("Wrong username or password.")).to_be_visible(timeout=30_000)
    screenshot(page, "login-refused")
    sign_in(page, app_url, "director")
    expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)
    assert_no_exception(page)
