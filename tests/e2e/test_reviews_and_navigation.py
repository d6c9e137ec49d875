"""In a real browser: commitments of a pipeline review take text on a single click, and the
admin's sidebar lists every page without a "View N more" fold (desktop and phone width)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from core.models import Role
from tests.e2e.conftest import assert_no_exception, screenshot, sign_in, sign_out, wait_idle
from ui.navigation import PAGES


def _open_sidebar_on_a_phone(page) -> None:
    """Below 700 px the sidebar starts folded away: open it as a user would."""
    if page.viewport_size["width"] >= 700:
        return
    opener = page.get_by_test_id("stExpandSidebarButton")
    expect(opener).to_be_visible(timeout=30_000)
    opener.click()
    expect(page.get_by_test_id("stSidebarNavLink").first).to_be_in_viewport(timeout=30_000)
    wait_idle(page)


def _type_in_commitment_row(page, row: int, text: str) -> None:
    """One click on the row's text box, then type straight away: no double click, no Enter."""
    box = page.get_by_test_id("stForm").get_by_label(f"Commitment {row + 1}", exact=True)
    box.scroll_into_view_if_needed()
    box.click()
    page.keyboard.type(text)
    expect(box).to_have_value(text)


def test_commitments_take_text_on_a_single_click_and_are_saved(page, app_url, console_errors):
    page.set_viewport_size({"width": 1280, "height": 1000})
    sign_in(page, app_url, "manager")
    expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
    page.get_by_role("link", name="Pipeline reviews").click()
    expect(page.get_by_role("heading", name="Record this review")).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.get_by_label("Notes").fill("Decision dates for the two biggest deals")

    _type_in_commitment_row(page, 0, "Send the revised proposal")
    _type_in_commitment_row(page, 1, "Book the technical demo")
    screenshot(page, "reviews-commitments-typed-desktop")
    page.get_by_role("button", name="Save review").click()

    expect(page.get_by_test_id("stAlertContentSuccess")).to_have_text(
        "Review saved.", timeout=30_000
    )
    wait_idle(page)
    for text in ("Send the revised proposal", "Book the technical demo"):
        # listed under "Open commitments" (the rep's open items, bold)
        expect(page.get_by_role("strong").filter(has_text=text)).to_be_visible()
    assert page.get_by_label("Notes").input_value() == ""
    screenshot(page, "reviews-after-save-desktop")
    assert_no_exception(page)
    assert not console_errors, console_errors


def test_an_empty_review_is_refused_in_the_browser(page, app_url, console_errors):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, app_url, "manager")
    expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
    _open_sidebar_on_a_phone(page)
    page.get_by_role("link", name="Pipeline reviews").click()
    expect(page.get_by_role("heading", name="Record this review")).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.get_by_role("button", name="Save review").click()
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text(
        "This review is empty", timeout=30_000
    )
    screenshot(page, "reviews-empty-refused-phone")
    assert_no_exception(page)
    assert not console_errors, console_errors


def _admin_titles() -> list[str]:
    return [entry.title for entry in PAGES if Role.ADMIN in entry.roles]


def test_the_admins_sidebar_shows_every_page_without_a_fold(page, app_url, console_errors):
    titles = _admin_titles()
    assert len(titles) > 12, "with twelve pages or fewer Streamlit never folds: test is moot"
    for width, height, name in ((1280, 1000, "desktop"), (390, 844, "phone")):
        page.set_viewport_size({"width": width, "height": height})
        sign_in(page, app_url, "admin")
        expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
        wait_idle(page)
        _open_sidebar_on_a_phone(page)
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav).to_be_visible()
        expect(nav.get_by_text(re.compile(r"View \d+ more"))).to_have_count(0)
        links = nav.get_by_test_id("stSidebarNavLink")
        shown = [re.sub(r"^\W+\s*", "", t).strip() for t in links.all_inner_texts()]
        for title in titles:
            assert any(s.startswith(title) for s in shown), (title, shown)
        for title in titles:
            expect(links.filter(has_text=title).first).to_be_visible()
        screenshot(page, f"sidebar-admin-{name}")
        assert_no_exception(page)
        sign_out(page)
        wait_idle(page)
    assert not console_errors, console_errors
