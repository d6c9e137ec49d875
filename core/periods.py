"""Reporting periods: ISO weeks (2026-W48), months (2026-03), fiscal quarters (2026Q1) and
fiscal years (FY2026).

A fiscal year is named after the calendar year in which it starts: with a fiscal start month of
April, FY2026 runs from 1 April 2026 to 31 March 2027 and 2026Q1 is April to June 2026.
An ISO week runs Monday to Sunday and belongs to the fiscal year of its Thursday (the day that
names its ISO year); its target is its working days' part of each month it touches.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from core.errors import ValidationFailed
from core.i18n import _
from core.models import Period


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after the month of `day`."""
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def fiscal_year_of(day: date, fiscal_start_month: int = 1) -> int:
    return day.year if day.month >= fiscal_start_month else day.year - 1


def fiscal_year(year: int, fiscal_start_month: int = 1) -> Period:
    start = date(year, fiscal_start_month, 1)
    return Period(
        label=f"FY{year}",
        kind="year",
        start=start,
        end=month_end(add_months(start, 11)),
        fiscal_year=year,
    )


def fiscal_quarter(year: int, quarter: int, fiscal_start_month: int = 1) -> Period:
    start = add_months(date(year, fiscal_start_month, 1), 3 * (quarter - 1))
    return Period(
        label=f"{year}Q{quarter}",
        kind="quarter",
        start=start,
        end=month_end(add_months(start, 2)),
        fiscal_year=year,
    )


def month(year: int, month_number: int, fiscal_start_month: int = 1) -> Period:
    start = date(year, month_number, 1)
    return Period(
        label=f"{year}-{month_number:02d}",
        kind="month",
        start=start,
        end=month_end(start),
        fiscal_year=fiscal_year_of(start, fiscal_start_month),
    )


def iso_week(year: int, week: int, fiscal_start_month: int = 1) -> Period:
    """The ISO week `week` of ISO year `year`, Monday to Sunday."""
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValidationFailed(
            _("{year} has no ISO week {week}.").format(year=year, week=week)
        ) from None
    thursday = monday + timedelta(days=3)
    return Period(
        label=f"{year}-W{week:02d}",
        kind="week",
        start=monday,
        end=monday + timedelta(days=6),
        fiscal_year=fiscal_year_of(thursday, fiscal_start_month),
    )


def week_of(day: date, fiscal_start_month: int = 1) -> Period:
    """The ISO week that contains `day`."""
    year, week, __ = day.isocalendar()
    return iso_week(year, week, fiscal_start_month)


def working_days(start: date, end: date) -> int:
    """Monday-to-Friday days from `start` to `end`, both included."""
    if end < start:
        return 0
    days = (end - start).days + 1
    full, rest = divmod(days, 7)
    extra = sum(1 for i in range(rest) if (start.weekday() + i) % 7 < 5)
    return full * 5 + extra


def quarter_of(day: date, fiscal_start_month: int = 1) -> Period:
    """The fiscal quarter that contains `day`."""
    year = fiscal_year_of(day, fiscal_start_month)
    months_in = (day.year * 12 + day.month - 1) - (year * 12 + fiscal_start_month - 1)
    return fiscal_quarter(year, months_in // 3 + 1, fiscal_start_month)


FIRST_YEAR, LAST_YEAR = 1900, 2999
"""The years a period may name."""
_PATTERNS = {
    "week": re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE),
    "month": re.compile(r"^(\d{4})-(\d{1,2})$"),
    "quarter": re.compile(r"^(\d{4})\s*-?Q([1-4])$", re.IGNORECASE),
    "year": re.compile(r"^FY\s*(\d{4})$", re.IGNORECASE),
}


def parse_period(text: str, fiscal_start_month: int = 1) -> Period:
    """Parse 2026-W48, 2026-03, 2026Q1 or FY2026; anything else is refused with the accepted
    forms.
    Years run from FIRST_YEAR to LAST_YEAR (the calendar arithmetic of comparisons and
    forecasts stays inside the dates Python can hold)."""
    value = (text or "").strip()
    found = next((m for m in (p.match(value) for p in _PATTERNS.values()) if m), None)
    if found is not None and not FIRST_YEAR <= int(found[1]) <= LAST_YEAR:
        raise ValidationFailed(
            _(
                "Unknown period '{text}': the year must be between {FIRST_YEAR} and {LAST_YEAR}."
            ).format(text=text, FIRST_YEAR=FIRST_YEAR, LAST_YEAR=LAST_YEAR)
        )
    if found := _PATTERNS["week"].match(value):
        return iso_week(int(found[1]), int(found[2]), fiscal_start_month)
    if found := _PATTERNS["month"].match(value):
        month_number = int(found[2])
        if 1 <= month_number <= 12:
            return month(int(found[1]), month_number, fiscal_start_month)
    elif found := _PATTERNS["quarter"].match(value):
        return fiscal_quarter(int(found[1]), int(found[2]), fiscal_start_month)
    elif found := _PATTERNS["year"].match(value):
        return fiscal_year(int(found[1]), fiscal_start_month)
    raise ValidationFailed(
        _(
            "Unknown period '{text}': write a week (2026-W48), a month (2026-03), "
            "a quarter (2026Q1) or a fiscal year (FY2026)."
        ).format(text=text)
    )


def period_choices(today: date, fiscal_start_month: int = 1) -> list[tuple[str, str]]:
    """(label, description) of the periods people look at most, the current quarter first:
    this quarter, this month, this fiscal year, then the neighbours and the year's quarters."""
    quarter = quarter_of(today, fiscal_start_month)
    this_month = month(today.year, today.month, fiscal_start_month)
    this_week = week_of(today, fiscal_start_month)
    last_week = week_of(today - timedelta(days=7), fiscal_start_month)
    year = fiscal_year(quarter.fiscal_year, fiscal_start_month)
    previous_quarter = quarter_of(add_months(quarter.start, -3), fiscal_start_month)
    next_quarter = quarter_of(add_months(quarter.start, 3), fiscal_start_month)
    last_month_start = add_months(this_month.start, -1)
    last_month = month(last_month_start.year, last_month_start.month, fiscal_start_month)
    out = {
        quarter.label: _("this quarter"),
        this_month.label: _("this month"),
        year.label: _("this fiscal year"),
        previous_quarter.label: _("last quarter"),
        next_quarter.label: _("next quarter"),
        last_month.label: _("last month"),
        f"FY{year.fiscal_year - 1}": _("last fiscal year"),
        this_week.label: _("this week"),
        last_week.label: _("last week"),
    }
    for q in range(1, 5):
        out.setdefault(f"{year.fiscal_year}Q{q}", "")
    return list(out.items())
