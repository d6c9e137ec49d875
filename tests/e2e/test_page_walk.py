"""The walk: each role signs in, opens every page of its navigation (and every tab of a page's
first row of tabs) at desktop width and at phone width, and the walk fails on anything a user
should never see: an exception, an error box, "None" or "NaN" shown as a value (in text, in a
metric or in a table cell), or an error in the browser console.

Tables are drawn on a canvas, so their cells are not in the page's text: the walk reads the
tables the server sent to the browser over the websocket (the same Arrow data the grid draws)
and fails on a missing value in a read-only table, which the grid draws as a grey "None".

Screenshots of every page go to tests/e2e/artifacts/walk/<role>-<page>[-<tab>]-<width>.png.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from dataclasses import dataclass, field

import pyarrow as pa
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from streamlit.proto.Dataframe_pb2 import Dataframe
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from core.models import Role
from tests.e2e.conftest import ARTIFACTS, sign_in, wait_idle
from ui.navigation import PAGES

WALK = ARTIFACTS / "walk"
ROLES = ["director", "manager", "rep", "admin"]
WIDTHS = [1280, 390]
PHONE = 700  # below this width the sidebar starts folded away
TALLEST_SCREENSHOT = 6000

NONE_AS_VALUE = re.compile(r"(?<![\w-])None(?![\w-])(?! [a-z])")
""""None" as a value ("Amount: None"), not the English word opening a phrase ("None of")."""
NAN_AS_VALUE = re.compile(r"(?<![\w-])(NaN|nan)(?![\w-])")
MISSING_TEXT = {"None", "nan", "NaN", "NaT", "null"}
RECORDS = {"customers": "Open customer", "my_deals": "Open"}
"""Pages whose records are opened too (the first one listed): a customer with its timeline, a
deal with its stage, checklist and team."""


@dataclass
class Tables:
    """The tables the server sent to the browser, decoded from the websocket frames."""

    problems: list[str] = field(default_factory=list)
    by_hash: dict[str, ForwardMsg] = field(default_factory=dict)

    def receive(self, payload: bytes | str) -> None:
        if isinstance(payload, str):
            return
        msg = ForwardMsg()
        msg.ParseFromString(payload)
        if msg.hash:
            self.by_hash[msg.hash] = msg
        if msg.WhichOneof("type") == "ref_hash" and msg.ref_hash in self.by_hash:
            msg = self.by_hash[msg.ref_hash]
        if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
            return
        element = msg.delta.new_element
        kind = element.WhichOneof("type")
        if kind == "dataframe":
            frame = element.dataframe
            if frame.editing_mode != Dataframe.EditingMode.READ_ONLY:
                return  # an editor's empty cell is a field to fill in, not a missing value
            data = frame.arrow_data.data or frame.lazy_data.initial_chunk.data
            self._check(data, json.loads(frame.columns or "{}"), list(frame.column_order))
        elif kind == "table":
            self._check(element.table.arrow_data.data, {}, [])

    def _check(self, data: bytes, columns: dict, order: list[str]) -> None:
        if not data:
            return
        table = pa.ipc.open_stream(io.BytesIO(data)).read_all()
        for name in table.column_names:
            config = columns.get(name, {})
            if name.startswith("__index_level") or config.get("hidden"):
                continue
            if order and name not in order:
                continue
            label = config.get("label") or name
            column = table.column(name)
            if column.null_count:
                self.problems.append(
                    f"table column {label!r} shows 'None' in {column.null_count} of "
                    f"{table.num_rows} rows"
                )
            elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                shown = {str(v) for v in column.to_pylist()} & MISSING_TEXT
                if shown:
                    self.problems.append(f"table column {label!r} shows {sorted(shown)}")
            elif pa.types.is_floating(column.type):
                nans = sum(1 for v in column.to_pylist() if v != v)
                if nans:
                    self.problems.append(f"table column {label!r} shows NaN in {nans} rows")

    def take(self) -> list[str]:
        found, self.problems = self.problems, []
        return found


def slug(text: str) -> str:
    text = re.sub(r"\(\d+\)", "", text)  # "Alerts (12)" is the Alerts page
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "page"


def expected_titles(role: str) -> list[str]:
    """The navigation the app promises this role (titles without live counts)."""
    return [entry.title for entry in PAGES if Role(role) in entry.roles]


def show_sidebar(page) -> None:
    """The navigation in sight, with every page listed (nothing folded under "View more")."""
    expand = page.get_by_test_id("stExpandSidebarButton")
    if expand.count() and expand.is_visible():
        # the sidebar may have opened by itself as the window widened: the button is gone
        with contextlib.suppress(PlaywrightTimeout):
            expand.click(timeout=5_000)
        page.get_by_test_id("stSidebarNav").wait_for(state="visible")
    more = page.get_by_test_id("stSidebarNavViewButton")
    if more.count() and re.search(r"more", more.first.inner_text(), re.I):
        more.first.click()


def hide_sidebar(page) -> None:
    """On a phone the sidebar covers the page: fold it away as a user would."""
    if page.get_by_test_id("stSidebar").get_attribute("aria-expanded") == "true":
        page.get_by_test_id("stSidebarCollapseButton").locator("button").click()
        page.wait_for_timeout(300)


def settle(page) -> None:
    """The rerun started by a click has ended and charts have drawn."""
    page.wait_for_timeout(400)
    wait_idle(page)
    page.wait_for_timeout(300)
    wait_idle(page)


def full_screenshot(page, name: str, width: int) -> None:
    """The whole page, not only the first screen: the viewport grows to the content's height."""
    WALK.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=stMain]');"
        " return m ? m.scrollHeight : document.body.scrollHeight; }"
    )
    normal = page.viewport_size
    page.set_viewport_size({"width": width, "height": min(max(height, 600), TALLEST_SCREENSHOT)})
    page.wait_for_timeout(250)
    page.screenshot(path=str(WALK / f"{name}.png"))
    page.set_viewport_size(normal)


def problems_on_screen(page) -> list[str]:
    found = []
    for box in page.get_by_test_id("stException").all():
        found.append(f"exception: {box.inner_text()[:300]}")
    for box in page.get_by_test_id("stAlertContentError").all():
        if box.is_visible():
            found.append(f"error box: {box.inner_text()[:300]}")
    text = page.get_by_test_id("stMain").inner_text()
    for pattern in (NONE_AS_VALUE, NAN_AS_VALUE):
        for match in pattern.finditer(text):
            start = max(0, match.start() - 60)
            context = text[start : match.end() + 40].replace("\n", " | ")
            found.append(f"{match.group(0)!r} shown as text: ...{context}...")
    return found


def sideways_scrolling(page) -> list[str]:
    """The page itself must not scroll sideways on a phone (a wide table scrolls inside)."""
    wide = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=stMain]');"
        " return m ? [m.scrollWidth, m.clientWidth] : [0, 0]; }"
    )
    return (
        [f"the page scrolls sideways: {wide[0]} px wide in {wide[1]} px"]
        if wide[0] > wide[1] + 1
        else []
    )


def look(page, name: str, width: int) -> list[str]:
    """Checks and screenshots of the page as it is now, then of each tab of its first row."""
    found = problems_on_screen(page)
    if width < PHONE:
        found += sideways_scrolling(page)
    full_screenshot(page, f"{name}-{width}", width)
    if not page.get_by_test_id("stTabs").count():
        return found
    tabs = page.get_by_test_id("stTabs").first.get_by_role("tablist").first.get_by_role("tab")
    labels = [t.inner_text().strip() for t in tabs.all()]
    for index, label in enumerate(labels[1:], start=1):
        tabs.nth(index).click()
        settle(page)
        found += [f"[tab {label}] {p}" for p in problems_on_screen(page)]
        full_screenshot(page, f"{name}-{slug(label)}-{width}", width)
    tabs.first.click()
    return found


def look_on_phone(page, name: str, phone: dict) -> list[str]:
    page.set_viewport_size(phone)
    page.wait_for_timeout(400)
    hide_sidebar(page)
    found = [f"[{phone['width']} px] {p}" for p in look(page, name, phone["width"])]
    settle(page)
    return found


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_role_reads_cleanly(browser, app_url, role):
    """Each page is opened once (one script run) and looked at on a desktop and on a phone:
    the layout is the browser's, so the viewport changes without asking the server again."""
    desktop, phone = {"width": WIDTHS[0], "height": 900}, {"width": WIDTHS[1], "height": 844}
    context = browser.new_context(viewport=desktop)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: console.append(f"uncaught: {exc}"))
    tables = Tables()
    page.on("websocket", lambda ws: ws.on("framereceived", tables.receive))
    try:
        page.goto(app_url)  # the first page of a session can be slow on a busy machine
        page.get_by_role("textbox", name="Username or email").wait_for(timeout=90_000)
        sign_in(page, app_url, role)
        page.get_by_test_id("stSidebarNavLink").first.wait_for(state="attached", timeout=60_000)
        settle(page)
        show_sidebar(page)
        links = page.get_by_test_id("stSidebarNavLink")
        nav = [(link.get_attribute("href"), link.inner_text().strip()) for link in links.all()]
        titles = [re.sub(r"^\W+\s*", "", text).strip() for _, text in nav]
        for title in expected_titles(role):
            assert any(t == title or t.startswith(f"{title} (") for t in titles), (
                f"{role} misses {title!r} in the navigation: {titles}"
            )

        problems: dict[str, list[str]] = {}
        for href, title in zip([h for h, _ in nav], titles, strict=True):
            tables.take()
            console.clear()
            page.set_viewport_size(desktop)
            page.wait_for_timeout(400)  # the sidebar may open by itself on the wider window
            show_sidebar(page)
            page.locator(f'[data-testid="stSidebarNavLink"][href="{href}"]').click()
            settle(page)
            name = f"{role}-{slug(title)}"
            found = look(page, name, desktop["width"])
            found += look_on_phone(page, name, phone)
            opens = RECORDS.get(href.rstrip("/").rsplit("/", 1)[-1])
            if opens and page.get_by_role("button", name=opens, exact=True).count():
                page.set_viewport_size(desktop)
                page.get_by_role("button", name=opens, exact=True).first.click()
                settle(page)
                found += [f"[record] {p}" for p in look(page, f"{name}-record", desktop["width"])]
                found += [f"[record] {p}" for p in look_on_phone(page, f"{name}-record", phone)]
            found += tables.take()
            found += [f"console error: {line[:300]}" for line in console]
            if found:
                problems[title] = found
        report = "\n".join(
            f"{role}, {title}:\n  " + "\n  ".join(dict.fromkeys(lines))
            for title, lines in problems.items()
        )
        assert not problems, f"the walk found problems:\n{report}"
    finally:
        context.close()
