"""On a 390 px phone screen: the sidebar closes after a page is picked, nothing scrolls
sideways, what one taps is at least 44 px high, and a saved change's confirmation stays in
sight after the toast has gone, until the next action."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    assert_no_exception,
    screenshot,
    seeded_database,
    served_app,
    wait_idle,
)

PHONE = {"width": 390, "height": 844}
expect.set_options(timeout=30_000)

SIDEWAYS = """() => {
  // What sticks out on the right, unless a box inside the page that scrolls by itself (a
  // table) holds it; the page's own scrolling area does not count.
  const main = document.querySelector('[data-testid="stMain"]');
  const held = (el) => {
    for (let up = el.parentElement; up && up !== main; up = up.parentElement) {
      const clips = getComputedStyle(up).overflowX !== 'visible';
      if (clips && up.getBoundingClientRect().right <= window.innerWidth + 1) return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.querySelectorAll('[data-testid="stMain"] *')) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > window.innerWidth + 1 && !held(el)) {
      wide.push((el.getAttribute('data-testid') || el.tagName) + ' ' + Math.round(box.right));
    }
  }
  const page = document.scrollingElement;
  return {scroll: page.scrollWidth - page.clientWidth, wide: wide.slice(0, 10)};
}"""

SMALL_TAP_TARGETS = """() => {
  // A button's own box; for a field, the box around it that takes the tap (the widget's part
  // below its label: the input frame, the select control, a checkbox's whole label row).
  const small = [];
  const fields = '[data-testid="stTextInput"], [data-testid="stNumberInput"], ' +
    '[data-testid="stSelectbox"], [data-testid="stMultiSelect"], [data-testid="stDateInput"], ' +
    '[data-testid="stTimeInput"], [data-testid="stTextArea"], [data-testid="stCheckbox"], ' +
    '[data-testid="stRadio"]';
  for (const el of document.querySelectorAll(
      '[data-testid="stMain"] button, [data-testid="stMain"] input')) {
    if (el.type === 'hidden' || el.closest('[data-testid="stDataFrame"], .stVegaLiteChart')) {
      continue;
    }
    let target = el;
    const root = el.tagName === 'INPUT' ? el.closest(fields) : null;
    if (root) {
      target = [...root.children].find((child) => child.contains(el)) || el;
      if (target.tagName !== 'LABEL' && target.contains(el.closest('label'))) {
        target = el.closest('label');
      }
    }
    const box = target.getBoundingClientRect();
    if (box.width > 0 && box.height < 44) {
      small.push((el.innerText || el.getAttribute('aria-label') || el.tagName).trim()
                 .slice(0, 30) + ' ' + Math.round(box.height));
    }
  }
  return small;
}"""


@pytest.fixture(scope="module")
def phone_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("phone")
    with served_app(folder, seeded_database(folder)) as url:
        yield url


def _assert_fits(page, where: str) -> None:
    found = page.evaluate(SIDEWAYS)
    assert found["scroll"] <= 0 and not found["wide"], (where, found)


def _sign_in(page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=60_000)
    wait_idle(page)
    _assert_fits(page, "sign-in form")
    page.get_by_role("textbox", name="Username or email").fill("rep")
    page.get_by_role("textbox", name="Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My day")).to_be_visible()
    wait_idle(page)


def test_the_sidebar_closes_after_a_page_is_picked_and_pages_fit_the_screen(browser, phone_app):
    page = browser.new_page(viewport=PHONE)
    _sign_in(page, phone_app)
    _assert_fits(page, "My day")
    page.get_by_test_id("stExpandSidebarButton").click()
    link = page.locator('[data-testid="stSidebarNav"] a', has_text="My deals")
    expect(link).to_be_in_viewport()
    screenshot(page, "phone-sidebar-open")
    link.click()
    expect(page.get_by_role("heading", name="My deals", exact=True)).to_be_visible()
    wait_idle(page)
    expect(link).not_to_be_in_viewport()  # the sidebar slid away: the page is in view
    expect(page.get_by_test_id("stExpandSidebarButton")).to_be_visible()
    _assert_fits(page, "My deals")
    screenshot(page, "phone-sidebar-closed")

    page.get_by_role("button", name="Open").first.click()
    expect(page.get_by_role("button", name="← My deals")).to_be_visible()
    wait_idle(page)
    _assert_fits(page, "a deal's forms")
    assert page.evaluate(SMALL_TAP_TARGETS) == []
    assert_no_exception(page)
    screenshot(page, "phone-deal-forms")


def test_a_confirmation_stays_in_sight_until_the_next_action(browser, phone_app):
    page = browser.new_page(viewport=PHONE)
    _sign_in(page, phone_app)
    page.goto(f"{phone_app}/targets")
    save = page.get_by_role("button", name="Save my commitment")
    save.scroll_into_view_if_needed()
    wait_idle(page)
    save.click()
    confirmation = page.get_by_test_id("stAlertContentSuccess")
    expect(confirmation).to_have_text("Your commitment is saved.")
    page.wait_for_timeout(6_000)  # the toast has faded by now
    expect(page.get_by_test_id("stToast")).to_have_count(0)
    expect(confirmation).to_be_in_viewport()
    box = confirmation.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
    _assert_fits(page, "Targets")
    screenshot(page, "phone-confirmation-pinned")
    # the next action (another page) and it is gone
    page.get_by_test_id("stExpandSidebarButton").click()
    page.locator('[data-testid="stSidebarNav"] a', has_text="My deals").click()
    expect(page.get_by_role("heading", name="My deals", exact=True)).to_be_visible()
    wait_idle(page)
    expect(confirmation).to_have_count(0)
