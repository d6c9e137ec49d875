"""How a file writes its dates and amounts, column by column: surveyed first, then applied.

Reading a file is two passes over its rows (each may be streamed in chunks):
1. `FormatSurvey.add(record)` for every mapped row (our field -> cell text); it keeps only
   what decides each column's format, never the values. `FormatSurvey.result()` then gives
   the `ColumnFormats` and the columns that cannot be read one way (a file-level problem).
2. Each row is validated with `Model.model_validate(record, context=formats)`: the row models
   (core/transfer/formats.py) read every date and amount field in its column's format.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from core.i18n import _
from core.transfer.dates import DateColumn, DateFormat, UnclearDates
from core.transfer.numbers import NumberColumn, UnclearNumbers

DISTINCT_KEPT = 20_000
"""Distinct values remembered per column, so repeated ones are looked at once (memory stays
bounded: beyond this, values are simply looked at again)."""


def _types(annotation) -> set:
    """The plain types an annotation allows (`Money | None` -> {Decimal, NoneType})."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _types(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return set().union(*(_types(a) for a in typing.get_args(annotation)))
    return {annotation}


def date_fields(model: type[BaseModel]) -> list[str]:
    """The fields of a row model that hold a date."""
    return [n for n, f in model.model_fields.items() if date in _types(f.annotation)]


def amount_fields(model: type[BaseModel]) -> list[str]:
    """The fields of a row model that hold an amount of money."""
    return [n for n, f in model.model_fields.items() if Decimal in _types(f.annotation)]


@dataclass(frozen=True)
class ColumnFormats:
    """The format of each date and amount field of one file, passed as validation context."""

    dates: dict[str, DateFormat] = field(default_factory=dict)
    """Field -> how its dates are written."""
    decimal_comma: dict[str, bool] = field(default_factory=dict)
    """Amount field -> whether it is written with a decimal comma."""

    def described(self) -> dict[str, str]:
        """Field -> the format found, in words (shown by the import preview)."""
        out = {name: fmt.example for name, fmt in self.dates.items()}
        for name, comma in self.decimal_comma.items():
            out[name] = _("decimal comma (1.234,50)") if comma else _("decimal point (1,234.50)")
        return out


class FormatSurvey:
    """The first pass over a file: how each mapped date and amount column is written.

    `sources` names the file's column behind each field, for the messages; `date_format` and
    `decimal_comma` are the user's choices (None / False: found from the values)."""

    def __init__(
        self,
        model: type[BaseModel],
        sources: dict[str, str] | None = None,
        *,
        date_format: DateFormat | None = None,
        decimal_comma: bool = False,
    ):
        sources = sources or {}
        self.date_format, self.chosen_comma = date_format, decimal_comma
        self.dates = {f: DateColumn(column=sources.get(f, f)) for f in date_fields(model)}
        self.amounts = {f: NumberColumn(column=sources.get(f, f)) for f in amount_fields(model)}
        self.seen: set[str] = set()
        self._distinct: dict[str, set[str]] = {}

    @property
    def fields(self) -> list[str]:
        """The fields the survey looks at: only their cells need to be passed to `add`."""
        return [*self.dates, *self.amounts]

    def _new(self, name: str, value: str) -> bool:
        """Whether this value is new in its column (each distinct value is looked at once)."""
        distinct = self._distinct.setdefault(name, set())
        if value in distinct:
            return False
        if len(distinct) < DISTINCT_KEPT:
            distinct.add(value)
        return True

    def add(self, record: dict[str, str]) -> None:
        """One mapped row (field -> text, after value maps and defaults); fields other than
        `fields` are not looked at."""
        for name, survey in self.dates.items():
            if (value := record.get(name)) and self._new(name, value):
                survey.add(value)
                self.seen.add(name)
        for name, numbers in self.amounts.items():
            if (value := record.get(name)) and self._new(name, value):
                numbers.add(value)
                self.seen.add(name)

    def merge(self, other: FormatSurvey) -> None:
        """Combine with the survey of another part of the same file."""
        for name, survey in other.dates.items():
            self.dates[name].merge(survey)
        for name, numbers in other.amounts.items():
            self.amounts[name].merge(numbers)
        self.seen |= other.seen

    def result(self) -> tuple[ColumnFormats, list[tuple[str, str]]]:
        """The formats, and (file column, reason) for each column that cannot be read one
        way; rows of such a column are not read (they would only repeat the problem)."""
        problems: list[tuple[str, str]] = []
        dates: dict[str, DateFormat] = {}
        commas: dict[str, bool] = {}
        for name, survey in self.dates.items():
            try:
                dates[name] = survey.format(self.date_format)
            except UnclearDates as exc:
                problems.append((survey.column, str(exc)))
        for name, numbers in self.amounts.items():
            try:
                commas[name] = numbers.decimal_comma(self.chosen_comma)
            except UnclearNumbers as exc:
                problems.append((numbers.column, str(exc)))
        return ColumnFormats(dates=dates, decimal_comma=commas), problems

    def found(self) -> dict[str, str]:
        """Field -> the format found, for the fields the file fills (the preview's line)."""
        formats, __ = self.result()
        return {k: v for k, v in formats.described().items() if k in self.seen}
