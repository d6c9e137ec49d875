"""A manager and a director open Performance and Alerts in a real browser: leaderboard with
scores, a scorecard whose parts add up, and alerts with their figures; acknowledging one works."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_exception, screenshot, sign_in, wait_idle


def _open(page, title_pattern: str) -> None:
    page.get_by_role("link", name=re.compile(title_pattern)).first.click()
    wait_idle(page)


def _section(page, name: str) -> None:
    """Choose a section of Performance (a selector: only the chosen section runs)."""
    page.get_by_test_id("stButtonGroup").get_by_text(re.compile(name)).click()
    wait_idle(page)


def test_a_manager_sees_the_leaderboard_and_an_explained_scorecard(page, app_url, console_errors):
    page.set_viewport_size({"width": 1400, "height": 1100})
    sign_in(page, app_url, "manager")
    expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
    _open(page, r"^Performance")
    expect(page.get_by_role("heading", name="Performance")).to_be_visible(timeout=30_000)
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible(timeout=30_000)
    wait_idle(page)
    assert_no_exception(page)
    screenshot(page, "performance-leaderboard-manager")
    _section(page, "Scorecard")
    expect(page.get_by_text(re.compile(r"^Score = "))).to_be_visible(timeout=30_000)
    expect(page.locator('[data-testid="stVegaLiteChart"]').first).to_be_visible(timeout=30_000)
    wait_idle(page)
    screenshot(page, "performance-scorecard-manager")
    _section(page, "Plan vs actual")
    wait_idle(page)
    screenshot(page, "performance-plan-vs-actual-manager")
    _section(page, "Funnel")
    expect(page.get_by_text("Deals created in", exact=True)).to_be_visible(timeout=30_000)
    assert "section=funnel" in page.url  # a link or a reload keeps the section
    screenshot(page, "performance-funnel-manager")
    # On a reload of a page's own address, Streamlit's frontend first looks for its server
    # under that path (/performance/_stcore/health, .../host-config), gets 404 and falls back
    # to the root: those two probes are Streamlit's, every other missing resource fails.
    missing: list[str] = []
    page.on("response", lambda r: r.status == 404 and missing.append(r.url))
    page.reload()
    expect(page.get_by_text("Deals created in", exact=True)).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Score trend")).to_have_count(0)
    assert_no_exception(page)
    probes = [u for u in missing if u.endswith(("/_stcore/health", "/_stcore/host-config"))]
    assert missing == probes, missing
    not_found = "Failed to load resource: the server responded with a status of 404 (Not Found)"
    assert [e for e in console_errors if e != not_found] == [], console_errors
    assert console_errors.count(not_found) <= len(probes), console_errors


def test_a_manager_sees_alerts_with_figures_and_acknowledges_one(page, app_url, console_errors):
    page.set_viewport_size({"width": 1400, "height": 1100})
    sign_in(page, app_url, "manager")
    link = page.get_by_role("link", name=re.compile(r"Alerts \(\d+\)"))
    expect(link.first).to_be_visible(timeout=30_000)
    before = int(re.search(r"\((\d+)\)", link.first.inner_text())[1])
    assert before > 0
    link.first.click()
    expect(page.get_by_role("heading", name="Alerts")).to_be_visible(timeout=30_000)
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible(timeout=30_000)
    wait_idle(page)
    assert_no_exception(page)
    screenshot(page, "alerts-manager")
    # Tick the first row's checkbox and acknowledge it.
    grid = page.locator('[data-testid="stDataFrame"]').first
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 27, box["y"] + 52)
    page.keyboard.press("Space")
    page.wait_for_timeout(800)  # the tick reruns the script; let that rerun start and end
    wait_idle(page)
    screenshot(page, "alerts-manager-ticked")
    page.get_by_role("button", name=re.compile("Acknowledge selected")).click()
    # the confirmation box (a toast with the same words may show beside it)
    success = page.get_by_test_id("stAlertContentSuccess")
    expect(success.get_by_text("1 alert(s) acknowledged.")).to_be_visible(timeout=30_000)
    wait_idle(page)
    after_link = page.get_by_role("link", name=re.compile(r"Alerts \(\d+\)")).first
    after = int(re.search(r"\((\d+)\)", after_link.inner_text())[1])
    assert after == before - 1
    screenshot(page, "alerts-manager-acknowledged")
    assert_no_exception(page)
    assert not console_errors, console_errors


def test_a_director_compares_regions(page, app_url, console_errors):
    page.set_viewport_size({"width": 1400, "height": 1100})
    sign_in(page, app_url, "director")
    expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
    _open(page, r"^Performance")
    _section(page, "Regions")
    heatmap = page.locator('[data-testid="stVegaLiteChart"] >> visible=true').first
    expect(heatmap).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile("each metric normalised to 0-100"))).to_be_visible()
    wait_idle(page)
    screenshot(page, "performance-regions-director")
    assert_no_exception(page)
    assert not console_errors, console_errors
