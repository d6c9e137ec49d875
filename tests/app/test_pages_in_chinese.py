"""Every page in Chinese: each role of a Chinese demo company (`seed --locale zh_CN`), with
Chinese chosen on My account, opens every page of its navigation under AppTest; no page raises,
and no English is left in what the page shows: titles, headers, text, captions, messages,
metrics, widget labels, options and help, tab and expander labels, buttons, and the column
headers of its tables.

What may stay in Latin letters: abbreviations written in capitals (currency codes such as USD,
CSV, ID, KPI...) and the few words listed in ALLOWED (file formats, other products' names, the
demo accounts' usernames).
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text

from core.demo import seed as demo
from core.models import Role
from db.engine import make_engine, migrate
from tests.app.conftest import signed_in
from tests.conftest import SEED_TODAY
from ui.navigation import PAGES

ROLES = ("director", "manager", "rep", "admin")
CASES = [(role, e.path) for role in ROLES for e in PAGES if Role(role) in e.roles]
ALLOWED = {
    # currencies and units people write in Latin letters in Chinese too
    "USD",
    "EUR",
    "GBP",
    "JPY",
    "CNY",
    "BRL",
    "AUD",
    "INR",
    "CHF",
    "CAD",
    # formats, standards and abbreviations used as they are
    "CSV",
    "Excel",
    "xlsx",
    "JSON",
    "ID",
    "IDs",
    "KPI",
    "SSO",
    "URL",
    "SMTP",
    "PNG",
    "UTC",
    "ISO",
    "CRM",
    "ERP",
    "Salesforce",
    "HubSpot",
    "Odoo",
    "ERPNext",
    "Pipedrive",
    "Zoho",
    "Maven",
    "Mvdol",  # Babel's Chinese name of the Bolivian BOV
    "English",  # the language, named in itself in the language picker
    "cron",
    # the audit log's action and record codes, filtered by as they are stored
    "seed",
    "database",
    "UTF",
    "GBK",
    "Big",
    "Q",
    "FY",
    "W",
    "vs",
    "OK",
    "Email",
    "email",
    # demo accounts people sign in with
    "admin",
    "director",
    "manager",
    "rep",
    "lead",
    "demo",
    "example",
    "com",
}
WORD = re.compile(r"[A-Za-z]{2,}")
IDENTIFIERS = re.compile(
    r"https?://\S+|\S+@\S+|:[a-z_]+:|`[^`]*`"  # links, emails, icons, code
    r"|\]\(/[^)]*\)"  # a markdown link's address: [deal](/pipeline?deal=5)
    r"|\b[a-z]+(?:[_.-][a-z]+)+\b"  # identifiers: hubspot-deal-owners, manage.py
)
"""What is not words to translate."""


@pytest.fixture(scope="module")
def chinese_database(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('zh') / 'zh.db'}"
    engine = make_engine(url)
    migrate(engine)
    demo.seed(engine, scale="small", seed=11, today=SEED_TODAY, locale="zh_CN")
    with engine.begin() as connection:
        connection.execute(text("UPDATE person SET language = 'zh_CN'"))
    engine.dispose()
    return url


@pytest.fixture
def app_database(chinese_database):
    """The Chinese company instead of the English one, for these tests."""
    return chinese_database


def _texts(at) -> list[str]:
    """Everything the page shows as text, one string per element."""
    shown: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "latex"):
        shown += [str(e.value) for e in getattr(at, kind)]
    for kind in ("info", "warning", "error", "success", "toast", "exception"):
        shown += [str(e.value) for e in getattr(at, kind)]
    shown += [f"{m.label} {m.value} {m.proto.delta or ''}" for m in at.metric]
    for kind in (
        "button",
        "checkbox",
        "toggle",
        "radio",
        "selectbox",
        "multiselect",
        "text_input",
        "text_area",
        "number_input",
        "date_input",
        "slider",
        "select_slider",
    ):
        for widget in getattr(at, kind):
            shown.append(str(getattr(widget, "label", "")))
            shown.append(str(getattr(widget.proto, "help", "") or ""))
            shown.append(str(getattr(widget.proto, "placeholder", "") or ""))
            options = getattr(widget, "options", None)
            if options:
                shown += [str(o) for o in options]
    shown += [t.label for t in at.tabs] + [e.label for e in at.expander]
    for chart in at.get("arrow_vega_lite_chart"):
        shown += _chart_titles(json.loads(chart.proto.spec or "{}"))
    for frame in at.dataframe:
        config = json.loads(frame.proto.columns or "{}")
        for column in frame.value.columns:
            settings = config.get(str(column), {})
            if not settings.get("hidden"):
                shown.append(str(settings.get("label") or column))
    return shown


def _chart_titles(spec) -> list[str]:
    """A chart's titles: of the chart, its axes, legends and tooltips."""
    found: list[str] = []
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "title" and isinstance(value, str | list):
                found += [value] if isinstance(value, str) else [str(v) for v in value]
            elif key == "title" and isinstance(value, dict) and "text" in value:
                found.append(str(value["text"]))
            elif key != "datasets" and key != "data":
                found += _chart_titles(value)
    elif isinstance(spec, list):
        for item in spec:
            found += _chart_titles(item)
    return found


def english_left(at) -> list[str]:
    """The English words shown, with the element they are in."""
    found = []
    for shown in _texts(at):
        cleaned = re.sub(IDENTIFIERS, "", shown)
        words = [w for w in WORD.findall(cleaned) if w not in ALLOWED and not w.isupper()]
        if words:
            found.append(f"{' '.join(words[:6])}  <-  {shown[:80]!r}")
    return found


@pytest.mark.parametrize(("role", "path"), CASES, ids=[f"{r}-{p[6:-3]}" for r, p in CASES])
def test_the_page_reads_fully_in_chinese(role, path):
    at = signed_in(role).switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    assert english_left(at) == []


def test_the_walk_finds_english_where_there_is_some():
    """The check itself: an English caption is found, a Chinese one with a currency is not."""

    class Shown:
        def __init__(self, value):
            self.value = value

    class Page:
        def get(self, _kind):
            return []

        def __getattr__(self, name):
            return {"caption": [Shown("Won 1,000 USD"), Shown("赢单 1,000 USD")]}.get(name, [])

    assert english_left(Page()) == ["Won  <-  'Won 1,000 USD'"]
