"""How figures look on screen.

A table cell without a value reads "–" (MISSING), never "None" or "nan": a table grid draws a
missing value as the word "None", so a column that may lack values is turned into text first
with `as_text`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd

MISSING = "–"
"""What a figure or a cell without a value shows."""


def is_missing(value: Any) -> bool:
    """None, NaN, NaT and pandas' NA alike."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and other containers are values
        return False


def money(value: Decimal | float | None) -> str:
    """Whole currency units with thousands separators; a dash when there is no figure."""
    if value is None or is_missing(value):
        return MISSING
    return f"{_exact(value):,.0f}"


def _exact(value: Decimal | float) -> Decimal:
    """A float as the decimal it prints as, so 0.8135 rounds like Decimal("0.8135")."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def percent(value: Decimal | float | None) -> str:
    """A fraction as a percentage to one place (0.8135 -> 81.4%, half to even)."""
    if value is None or is_missing(value):
        return MISSING
    return f"{_exact(value) * 100:.1f}%"


def day(value: date | datetime | None) -> str:
    """A date as 2026-03-28 (a time of day is left out); a dash when there is none."""
    if is_missing(value):
        return MISSING
    if isinstance(value, datetime | pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return value.isoformat() if isinstance(value, date) else str(value)


def times(value: Decimal | float | None) -> str:
    """A multiple such as coverage: 2.83×."""
    if value is None or is_missing(value):
        return MISSING
    return f"{_exact(value):.2f}×"


def as_text(values: Iterable[Any], render: Callable[[Any], str] = str) -> list[str]:
    """Each value as `render` writes it, a missing one as "–": for a table column that may
    lack values (the grid would write "None" in those cells)."""
    return [MISSING if is_missing(v) else render(v) for v in values]


def figures_as_text(
    frame: pd.DataFrame,
    *,
    amounts: Iterable[str] = (),
    ratios: Iterable[str] = (),
    multiples: Iterable[str] = (),
) -> pd.DataFrame:
    """A copy of `frame` for reading: amounts in whole units, ratios as percentages, multiples
    as 2.83×, and "–" wherever a figure is undefined (no target, no gap left). Downloads keep
    the numbers; this is what the screen shows."""
    out = frame.copy()
    for columns, render in ((amounts, money), (ratios, percent), (multiples, times)):
        for column in columns:
            out[column] = as_text(out[column], render)
    return out
