"""The business day: what "today" means for every figure, page, digest and report.

It is the calendar day, unless the setting SALES_TODAY (an ISO date, YYYY-MM-DD) fixes it:
a demo company, a benchmark or a screenshot then shows the same periods on any day. Every
module asks `clock.today()` instead of `date.today()`, so one setting moves them all.
"""

from __future__ import annotations

import os
from datetime import date
from functools import lru_cache

from core.i18n import _

SETTING = "SALES_TODAY"


@lru_cache(maxsize=8)
def _fixed(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        message = _("{setting} must be a date as YYYY-MM-DD, not {value}.")
        raise ValueError(message.format(setting=SETTING, value=repr(value))) from None


def today() -> date:
    """The business day: SALES_TODAY when it is set, else the calendar day."""
    value = os.environ.get(SETTING, "")
    return _fixed(value) if value.strip() else date.today()
