"""Adjacent periods read in one pass: one date range from the first period's start to the
last one's end, split again in SQL at each period's start (the leaderboard reads a quarter and
the one before it together)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, literal

from core.models import Period


def covering(periods: Sequence[Period]) -> Period:
    """One period from the start of the first of adjacent `periods` (oldest first) to the end
    of the last, read in one pass and split again with `period_index`."""
    first, last = periods[0], periods[-1]
    return Period(
        label=f"{first.label}..{last.label}",
        kind=last.kind,
        start=first.start,
        end=last.end,
        fiscal_year=last.fiscal_year,
    )


def period_index(day: Any, periods: Sequence[Period]) -> Any:
    """Which of the adjacent `periods` (oldest first) a date falls in, as SQL: its index."""
    if len(periods) == 1:
        return literal(0)
    return case(*((day >= p.start, i) for i, p in reversed(list(enumerate(periods))) if i), else_=0)
