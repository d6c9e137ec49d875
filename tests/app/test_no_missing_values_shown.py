"""No page shows "None" or "nan": every read-only table of every page of each role's navigation,
under AppTest, has a value in every shown cell (a table grid draws a missing value as "None"),
and no metric or text reads "None" or "nan"."""

from __future__ import annotations

import json
import math
import re

import pytest

from core.models import Role
from tests.app.conftest import signed_in
from ui.navigation import PAGES

CASES = [
    (role, entry.path)
    for role in ("director", "manager", "rep", "admin")
    for entry in PAGES
    if Role(role) in entry.roles
]
WORD = re.compile(r"(?<![\w-])(None|nan|NaN)(?![\w-])(?! [a-z])")


def _missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def missing_cells(at) -> list[str]:
    """'<table n> column: k of m rows' for every shown column of a read-only table with gaps."""
    found = []
    for index, element in enumerate(at.dataframe):
        if element.editing_mode != "read_only":
            continue  # an editor's empty cell is a field to fill in
        proto = element.proto
        config = json.loads(proto.columns or "{}")
        frame = element.value
        for column in frame.columns:
            settings = config.get(str(column), {})
            if settings.get("hidden"):
                continue
            gaps = sum(1 for v in frame[column] if _missing(v) or str(v) in {"None", "nan"})
            if gaps:
                label = settings.get("label") or column
                found.append(f"table {index} {label!r}: {gaps} of {len(frame)} rows")
    return found


def missing_words(at) -> list[str]:
    texts = [m.value for m in at.metric] + [m.value for m in at.markdown]
    texts += [c.value for c in at.caption] + [s.value for s in at.subheader]
    return [t for t in texts if isinstance(t, str) and WORD.search(t)]


@pytest.mark.parametrize(("role", "path"), CASES)
def test_the_page_shows_no_missing_value(app_database, role, path):
    at = signed_in(role).switch_page(path).run()
    assert not at.exception, at.exception
    assert not missing_cells(at), missing_cells(at)
    assert not missing_words(at), missing_words(at)
