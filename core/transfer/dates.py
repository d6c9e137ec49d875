"""Dates as other systems and spreadsheets write them, read by the format of the whole column.

Rules:
- A date that starts with its four-digit year is year, month, day in every format: ISO
  (`2014-08-15`, also with a time and a zone: `2013-12-20T04:13:07.000+0000`), `2014/8/15`,
  `2014.8.15`, `2014年8月15日`, `2014년 8월 15일`. The day is the one written; a time and a
  zone after it are dropped.
- A date that ends with its four-digit year (`8/15/2014`, `15/08/2014`, `15.08.2014`,
  `15-08-2014`) is month first (MDY) or day first (DMY). The column decides: one value whose
  first part is over 12 makes the column day first, one whose second part is over 12 makes it
  month first. A column where every first and second part is 12 or less can be read both ways
  and is refused unless the date format is chosen (`--date-format`, or the import page's
  choice). A column showing both orders is refused.
- Two-digit years are refused: `8/15/14` could be 1914 or 2014.

Detection needs the whole column, but keeps no values: `DateColumn.add` takes one value at a
time and remembers only what decides the format, so a file read in chunks is surveyed in a
first pass and parsed in a second.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

from core.i18n import N_, _


class DateFormat(StrEnum):
    """How the dates of a column are written; the choice given to `--date-format`."""

    ISO = "ISO"
    """Year first with dashes: 2014-08-15 (a time and a zone may follow)."""
    YMD = "YMD"
    """Year first with other separators: 2014/8/15, 2014.8.15, 2014年8月15日."""
    MDY = "MDY"
    """Month first, year last: 8/15/2014 (the United States)."""
    DMY = "DMY"
    """Day first, year last: 15/08/2014, 15.08.2014, 15-08-2014 (most of the world)."""

    @property
    def example(self) -> str:
        return _(EXAMPLES[self])


EXAMPLES = {
    DateFormat.ISO: N_("year-month-day (2014-08-15)"),
    DateFormat.YMD: N_("year/month/day (2014/8/15, 2014年8月15日)"),
    DateFormat.MDY: N_("month/day/year (8/15/2014)"),
    DateFormat.DMY: N_("day/month/year (15/08/2014, 15.08.2014)"),
}

_TIME = (
    r"(?:,?[T\s]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[AaPp]\.?[Mm]\.?)?"
    r"\s*(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)?)?"
)
_YEAR_FIRST = re.compile(
    r"^(\d{4})\s*([-/.]|年|년)\s*(\d{1,2})\s*(?:[-/.]|月|월)\s*(\d{1,2})\s*(?:日|일|\.)?"
    + _TIME
    + r"\s*$"
)
_YEAR_LAST = re.compile(r"^(\d{1,2})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{4})" + _TIME + r"\s*$")
_SHORT_YEAR = re.compile(r"^\d{1,2}\s*([-/.])\s*\d{1,2}\s*\1\s*\d{2}" + _TIME + r"\s*$")

TWO_DIGIT_YEAR = N_("a two-digit year: write the year in full (2014, not 14)")
NOT_A_DATE = N_("not a date (write it like 2014-08-15, or as the column's other dates)")


class UnclearDates(ValueError):
    """A column whose dates cannot be read one way only; the message says what decides it."""


@dataclass
class DateColumn:
    """What the dates of one column look like, gathered one value at a time (no values kept).

    Feed every non-empty cell of the column to `add` (in any order, in any number of chunks;
    two surveys of parts of a column combine with `merge`), then ask `format()`."""

    column: str = ""
    year_first: int = 0
    iso: int = 0
    year_last: int = 0
    day_first_example: str | None = None
    """A value whose first part is over 12 (so the day comes first)."""
    month_first_example: str | None = None
    """A value whose second part is over 12 (so the month comes first)."""
    ambiguous_example: str | None = None

    def add(self, value: str) -> None:
        text = value.strip()
        if not text:
            return
        if found := _YEAR_FIRST.match(text):
            self.year_first += 1
            if found[2] == "-":
                self.iso += 1
            return
        if found := _YEAR_LAST.match(text):
            self.year_last += 1
            first, second = int(found[1]), int(found[3])
            if first > 12 and self.day_first_example is None:
                self.day_first_example = text
            elif second > 12 and self.month_first_example is None:
                self.month_first_example = text
            elif first <= 12 and second <= 12 and self.ambiguous_example is None:
                self.ambiguous_example = text

    def merge(self, other: DateColumn) -> None:
        self.year_first += other.year_first
        self.iso += other.iso
        self.year_last += other.year_last
        self.day_first_example = self.day_first_example or other.day_first_example
        self.month_first_example = self.month_first_example or other.month_first_example
        self.ambiguous_example = self.ambiguous_example or other.ambiguous_example

    def format(self, chosen: DateFormat | None = None) -> DateFormat:
        """The column's format: the chosen one, else the one its values show.

        Raises UnclearDates when the values can be read two ways (and nothing is chosen) or
        show both orders."""
        if chosen is not None:
            return DateFormat(chosen)
        name = f"'{self.column}'" if self.column else _("this column")
        if self.day_first_example and self.month_first_example:
            raise UnclearDates(
                _(
                    "The dates of column {name} are written both day first "
                    "('{day_first_example}') and month first ('{month_first_example}'): "
                    "write them all one way."
                ).format(
                    name=name,
                    day_first_example=self.day_first_example,
                    month_first_example=self.month_first_example,
                )
            )
        if self.day_first_example:
            return DateFormat.DMY
        if self.month_first_example:
            return DateFormat.MDY
        if self.year_last:
            raise UnclearDates(
                _(
                    "The dates of column {name} can be read as month/day/year or as "
                    "day/month/year (every day is 12 or less, like '{ambiguous_example}'): "
                    "choose the date format (--date-format MDY or DMY on the command line, "
                    "'Date format' on the import page)."
                ).format(name=name, ambiguous_example=self.ambiguous_example)
            )
        if self.year_first and self.iso < self.year_first:
            return DateFormat.YMD
        return DateFormat.ISO


def detect_date_format(
    values: Iterable[str], chosen: DateFormat | None = None, column: str = ""
) -> DateFormat:
    """The format of a whole column of dates (see the module's rules); raises UnclearDates."""
    survey = DateColumn(column=column)
    for value in values:
        survey.add(value)
    return survey.format(chosen)


@lru_cache(maxsize=65_536)
def parse_date(value: str, fmt: DateFormat) -> date:
    """One cell read in its column's format; raises ValueError with the reason shown to users.

    Year-first dates are read in every format; year-last dates only under MDY or DMY."""
    text = value.strip()
    found = _YEAR_FIRST.match(text)
    if found:
        year, month, day = int(found[1]), int(found[3]), int(found[4])
    elif found := _YEAR_LAST.match(text):
        if fmt not in (DateFormat.MDY, DateFormat.DMY):
            raise ValueError(
                _("not a date written {example}, the column's date format").format(
                    example=fmt.example
                )
            )
        first, second, year = int(found[1]), int(found[3]), int(found[4])
        month, day = (first, second) if fmt == DateFormat.MDY else (second, first)
    elif _SHORT_YEAR.match(text):
        raise ValueError(_(TWO_DIGIT_YEAR))
    else:
        raise ValueError(_(NOT_A_DATE))
    try:
        return date(year, month, day)
    except ValueError:
        if found is not None and found.re is _YEAR_LAST:
            raise ValueError(
                _("not a date written {example}, the column's date format").format(
                    example=fmt.example
                )
            ) from None
        raise ValueError(_(NOT_A_DATE)) from None
