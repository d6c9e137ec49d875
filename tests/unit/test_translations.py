"""Every user-facing string goes through gettext, and the Chinese catalogues are complete.

Two checks, both from the source:
- extraction (the same as `manage.py i18n check`) finds no message of the code that the zh_CN
  catalogues lack or leave untranslated, and no translation whose {placeholders} differ;
- no page string escapes gettext: in app.py, pages/ and ui/ no Streamlit call that shows text
  (titles, captions, messages, widget labels and help, column headers of column_config) and no
  chart title is given a literal English string or an f-string with English words; in core/ and
  cli/ no refusal is raised with one. An f-string inside `_()` cannot be extracted, so that is
  refused too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from cli import translations
from core import i18n

ROOT = Path(__file__).resolve().parents[2]
SHOWN = {
    "title",
    "header",
    "subheader",
    "caption",
    "write",
    "markdown",
    "text",
    "info",
    "warning",
    "error",
    "success",
    "toast",
    "exception",
    "button",
    "form_submit_button",
    "download_button",
    "link_button",
    "page_link",
    "selectbox",
    "multiselect",
    "radio",
    "text_input",
    "text_area",
    "number_input",
    "date_input",
    "time_input",
    "checkbox",
    "toggle",
    "slider",
    "select_slider",
    "metric",
    "expander",
    "tabs",
    "popover",
    "segmented_control",
    "pills",
    "file_uploader",
    "spinner",
    "status",
    "dialog",
    "color_picker",
    "feedback",
    "chat_input",
    "progress",
    "Column",
    "TextColumn",
    "NumberColumn",
    "DateColumn",
    "DatetimeColumn",
    "CheckboxColumn",
    "SelectboxColumn",
    "LinkColumn",
    "ListColumn",
    "ProgressColumn",
    "BarChartColumn",
    "LineChartColumn",
    "ImageColumn",
    "TimeColumn",
    "MultiselectColumn",
    "JSONColumn",
    "AreaChartColumn",
}
"""Streamlit functions whose first argument (or label/help/placeholder) people read."""
TEXT_KEYWORDS = {"label", "help", "placeholder", "body", "title", "caption", "text", "value_label"}
UI_SOURCES = ["app.py", "pages", "ui"]
RAISING_SOURCES = ["core", "cli", "manage.py"]
NOT_CHECKED = {"core/demo", "core/i18n.py", "cli/translations.py"}
"""Demo data generation names things in the data's own language; the catalogue tool speaks to
developers."""
WORD = re.compile(r"[A-Za-z]{2,}")


def _files(sources: list[str]) -> list[Path]:
    files = translations.source_files(sources)
    return [
        f for f in files if not any(str(f.relative_to(ROOT)).startswith(n) for n in NOT_CHECKED)
    ]


def _english(node: ast.AST) -> str | None:
    """The English words a literal or an f-string carries, if any."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
    else:
        return None
    text = re.sub(r"\{[^}]*\}|:[a-z-]+:|https?://\S+", "", text)  # placeholders, icons, links
    return text if WORD.search(text) else None


def _name(func: ast.AST) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _is_streamlit(func: ast.AST) -> bool:
    while isinstance(func, ast.Attribute):
        func = func.value
    return isinstance(func, ast.Name) and func.id in {"st", "column_config", "cc"}


def ui_escapes(path: Path) -> list[str]:
    """Literal English shown by a Streamlit call or as a chart title in one file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        candidates: list[ast.AST] = []
        if name in SHOWN and _is_streamlit(node.func):
            if node.args:
                first = node.args[0]
                candidates += first.elts if isinstance(first, ast.List | ast.Tuple) else [first]
            candidates += [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
        else:  # Altair and anything else: a literal title= is a chart's title or axis
            candidates += [k.value for k in node.keywords if k.arg == "title"]
        if name in {"_", "N_", "ngettext"} and any(isinstance(a, ast.JoinedStr) for a in node.args):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: f-string inside {name}()")
        for candidate in candidates:
            if (words := _english(candidate)) is not None:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {words.strip()[:60]!r}")
    return found


def raised_escapes(path: Path) -> list[str]:
    """Refusals raised with a literal English message (core/, cli/)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        raised = isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args
        if raised and (words := _english(node.exc.args[0])) is not None:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {words.strip()[:60]!r}")
        if (
            isinstance(node, ast.Call)
            and _name(node.func) in {"_", "N_", "ngettext"}
            and any(isinstance(a, ast.JoinedStr) for a in node.args)
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: f-string inside _()")
    return found


@pytest.mark.parametrize("path", _files(UI_SOURCES), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_string_escapes_gettext(path):
    assert ui_escapes(path) == []


@pytest.mark.parametrize("path", _files(RAISING_SOURCES), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_refusal_escapes_gettext(path):
    assert raised_escapes(path) == []


def test_every_message_is_translated_into_chinese():
    assert translations.problems(i18n.CHINESE) == []


def test_the_checks_catch_what_they_are_for(tmp_path):
    """The lint finds a bare label, an f-string label, a chart title and a raised refusal."""
    page = tmp_path / "page.py"
    page.write_text(
        "import streamlit as st\nimport altair as alt\n"
        "st.title('Targets')\nst.button(f'Save {n} rows')\nst.caption(_('Fine'))\n"
        "alt.X('won:Q', title='Won')\nst.tabs([_('A b'), 'Plan vs actual'])\nst.write('—')\n"
        "raise ValueError(f'No plan for {year}.')\n_(f'Bad {x}')\n"
    )
    original = ROOT
    try:
        globals()["ROOT"] = tmp_path
        ui = ui_escapes(page)
        raised = raised_escapes(page)
    finally:
        globals()["ROOT"] = original
    assert [line.split(":")[1] for line in ui] == ["3", "4", "6", "7", "10"]
    assert [line.split(":")[1] for line in raised] == ["9", "10"]


def test_chinese_reads_in_chinese_and_english_stays_english():
    with i18n.use_language("zh_CN"):
        assert i18n._("Sign in") == "登录"
        assert i18n.period_name("2026Q4") == "2026年第4季度"
        assert i18n.period_name("FY2027") == "2027财年"
        assert i18n.day(__import__("datetime").date(2026, 12, 1)) == "2026年12月1日"
        assert i18n.number(1234567.891, 2) == "1,234,567.89"
    assert i18n._("Sign in") == "Sign in"
    assert i18n.period_name("2026Q4") == "2026Q4"


def test_the_compiled_catalogues_read_the_same_as_the_po_files(tmp_path, monkeypatch):
    """`make` compiles .mo files; what they say equals the .po files they come from."""
    for po_path in i18n.catalogue_files():
        catalog = i18n.read_catalogue(po_path)
        compiled = i18n._compiled(po_path)
        for entry in catalog:
            if entry.id and isinstance(entry.id, str) and entry.string:
                assert compiled.gettext(entry.id) == entry.string


def test_the_company_default_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("SALES_DEFAULT_LANGUAGE", "zh-CN")
    assert i18n.default_language() == "zh_CN"
    with i18n.use_language(None):
        assert i18n._("Sign out") == "退出登录"
    monkeypatch.setenv("SALES_DEFAULT_LANGUAGE", "fr")
    assert i18n.default_language() == "en"


def test_a_cached_reader_keeps_one_cache_per_language():
    """A result cached for an English reader is never shown to a Chinese one, and clearing a
    tag clears every language's copy."""
    from ui.data import cached

    calls = []

    @cached("settings")
    def sign_in_label(suffix: str) -> str:
        calls.append(suffix)
        return i18n._("Sign in") + suffix

    assert sign_in_label("!") == "Sign in!"
    with i18n.use_language("zh_CN"):
        assert sign_in_label("!") == "登录!"
        assert sign_in_label("!") == "登录!"
    assert sign_in_label("!") == "Sign in!"
    assert calls == ["!", "!"]
    sign_in_label.clear()
    assert sign_in_label("!") == "Sign in!"
    assert calls == ["!", "!", "!"]
