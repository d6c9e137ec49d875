"""The app in Chinese, in a real browser: a Chinese demo company (`seed --locale zh_CN`)
whose default language is Chinese (SALES_DEFAULT_LANGUAGE) and whose people chose Chinese.
The director and a rep open every page of their navigation at desktop and phone width; each
page shows no exception, no error box and no English word outside the allowed abbreviations,
and its screenshot goes to tests/e2e/artifacts/zh/ to be looked at (the Noto CJK font is
installed by `make test`, so the glyphs render rather than boxes).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess

import pytest

from tests.app.test_pages_in_chinese import ALLOWED, IDENTIFIERS, WORD
from tests.e2e.conftest import ARTIFACTS, seed_small, served_app
from tests.e2e.test_page_walk import hide_sidebar, settle, show_sidebar
from tests.support import skip_or_fail

SHOTS = ARTIFACTS / "zh"
ROLES = ["director", "rep"]


@pytest.fixture(scope="module")
def chinese_app(tmp_path_factory):
    """The app over a Chinese demo company whose people all chose Chinese."""
    has_font = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    if not has_font.strip():
        skip_or_fail("no CJK font (install Debian's fonts-noto-cjk): screenshots would show boxes")
    folder = tmp_path_factory.mktemp("zh-e2e")
    path = folder / "zh.db"
    seed_small(f"sqlite:///{path}", "--locale", "zh_CN")
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE person SET language = 'zh_CN'")
    previous = os.environ.get("SALES_DEFAULT_LANGUAGE")
    os.environ["SALES_DEFAULT_LANGUAGE"] = "zh_CN"  # a Chinese company: sign-in in Chinese too
    try:
        with served_app(folder, f"sqlite:///{path}") as url:
            yield url
    finally:
        if previous is None:
            os.environ.pop("SALES_DEFAULT_LANGUAGE", None)
        else:
            os.environ["SALES_DEFAULT_LANGUAGE"] = previous


NOT_OURS = (
    "code",  # commands, file and column names, shown as code
    '[data-testid="stIconMaterial"]',  # icon ligatures: visibility, keyboard_arrow_right
    '[data-testid="stFileUploaderDropzoneInstructions"]',  # Streamlit's "200MB per file"
    '[data-testid="stFileUploaderDropzone"] button',  # Streamlit's "Upload"
    '[data-testid="stDateInput"] input',  # Streamlit's yyyy/mm/dd mask
)
DATE_MASK = {"yyyy", "mm", "dd", "yyyy/mm/dd"}
"""What the check leaves out: code, and the few words Streamlit itself writes (it has no
translations of its own): the uploader's instructions, icons and an empty date range's mask."""


def _text_of(page, test_id: str) -> str:
    return page.evaluate(
        """([testId, leaveOut]) => {
            const root = document.querySelector(`[data-testid="${testId}"]`);
            if (!root) return "";
            const copy = root.cloneNode(true);
            copy.querySelectorAll(leaveOut.join(",")).forEach((e) => e.remove());
            copy.style.position = "absolute"; copy.style.left = "-99999px";
            document.body.appendChild(copy);
            const text = copy.innerText;
            copy.remove();
            return text;
        }""",
        [test_id, list(NOT_OURS)],
    )


def english_on_screen(page) -> list[str]:
    text = _text_of(page, "stMain") + "\n" + _text_of(page, "stSidebar")
    found = []
    for line in text.splitlines():
        if line.strip() in DATE_MASK:
            continue
        cleaned = re.sub(IDENTIFIERS, "", line)  # also the icon font's keyboard_arrow_right
        words = [w for w in WORD.findall(cleaned) if w not in ALLOWED and not w.isupper()]
        if words:
            found.append(f"{' '.join(words[:6])}  <-  {line[:80]!r}")
    return found


def problems(page) -> list[str]:
    found = [f"exception: {b.inner_text()[:200]}" for b in page.get_by_test_id("stException").all()]
    found += [
        f"error box: {b.inner_text()[:200]}"
        for b in page.get_by_test_id("stAlertContentError").all()
        if b.is_visible()
    ]
    return found + english_on_screen(page)


def shot(page, name: str, width: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=stMain]');"
        " return m ? m.scrollHeight : document.body.scrollHeight; }"
    )
    normal = page.viewport_size
    page.set_viewport_size({"width": width, "height": min(max(height, 600), 5000)})
    page.wait_for_timeout(250)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"))
    page.set_viewport_size(normal)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_reads_in_chinese_in_the_browser(browser, chinese_app, role):
    if SHOTS.exists() and role == ROLES[0]:
        shutil.rmtree(SHOTS)
    desktop, phone = {"width": 1280, "height": 900}, {"width": 390, "height": 844}
    context = browser.new_context(viewport=desktop, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(chinese_app)
        page.get_by_role("textbox").first.wait_for(timeout=90_000)
        page.get_by_role("textbox").nth(0).fill(role)
        page.get_by_role("textbox").nth(1).fill("demo")
        page.get_by_role("button").filter(has_text=re.compile("登录")).first.click()
        page.get_by_test_id("stSidebarNavLink").first.wait_for(state="attached", timeout=60_000)
        settle(page)
        show_sidebar(page)
        links = page.get_by_test_id("stSidebarNavLink")
        nav = [(link.get_attribute("href"), link.inner_text().strip()) for link in links.all()]
        assert nav
        found: dict[str, list[str]] = {}
        for index, (href, title) in enumerate(nav):
            page.set_viewport_size(desktop)
            page.wait_for_timeout(300)
            show_sidebar(page)
            page.locator(f'[data-testid="stSidebarNavLink"][href="{href}"]').click()
            settle(page)
            name = f"{role}-{index:02d}"
            seen = problems(page)
            shot(page, name, desktop["width"])
            page.set_viewport_size(phone)
            page.wait_for_timeout(400)
            hide_sidebar(page)
            shot(page, name, phone["width"])
            if seen:
                found[title] = seen
        report = [
            f"{title.split()[-1]}: {line}" for title, lines in found.items() for line in lines
        ]
        assert not report, "\n".join(report)
    finally:
        context.close()
