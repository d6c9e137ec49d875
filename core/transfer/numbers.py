"""Amounts and percentages as other systems and spreadsheets write them.

Rules:
- A currency symbol or code may stand before or after the amount: `$60,000.00`, `USD 60,000`,
  `¥1,234`, `1 234,50 €`, `CHF 1'234.50`. The symbol is not read as the currency (a deal's
  `currency` column says that); a column that names several currencies is refused.
- Thousands are separated by commas, dots, spaces (also non-breaking ones) or apostrophes.
  Money has at most two decimals, so `60,000` is sixty thousand and `1.234` with a decimal
  point has too many decimals.
- A column is read with a decimal comma when its values show it (`1.234,50`, `12,5`,
  `1.234.567`) or the option says so (`--decimal-comma`, the import page's choice); a column
  that shows both a decimal comma and a decimal point (`12,5` and `12.5`) is refused.
- Negative amounts are refused, in any spelling (`-5`, `−5`, `5-`, `(5)`).
- A probability may carry a percent sign: `75%`, `12,5 %`.

Detection needs the whole column but keeps no values: `NumberColumn.add` takes one value at a
time, so a file read in chunks is surveyed in a first pass and parsed in a second.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from core.i18n import N_, _

_SYMBOLS = r"[A-Z]{0,3}[$€£¥￥₩₹₽][A-Z]{0,3}|元|円|Fr\.|kr|zł|Kč|RMB|[A-Z]{3}"
_CURRENCY = re.compile(rf"^\s*({_SYMBOLS})?\s*(.*?)\s*({_SYMBOLS})?\s*$")
_SPACES = re.compile(r"(?<=\d)[\s\u00a0\u202f\u2009']+(?=\d)|(?<=\d)’(?=\d)")
_NEGATIVE = re.compile(r"^\s*[-−‐–(]|[-−)]\s*$")
_PLAIN = re.compile(r"^[\d.,]+$")

NOT_AN_AMOUNT = N_("not an amount (write it like 1234.50 or $1,234.50)")
NEGATIVE = N_("must not be negative")
PERCENT_IN_AMOUNT = N_("a percentage is not an amount")


class UnclearNumbers(ValueError):
    """A column whose numbers cannot be read one way only; the message says what decides it."""


def _strip(value: str) -> tuple[str, str | None]:
    """The number's digits and marks, and the currency written with it (if any)."""
    found = _CURRENCY.match(value)
    if not found:
        return value.strip(), None
    before, body, after = found[1], found[2], found[3]
    if before and after and before != after:
        return value.strip(), None  # "USD 5 EUR": not an amount
    return _SPACES.sub("", body), before or after


def _evidence(body: str) -> str | None:
    """'comma' or 'point' when this number shows its decimal mark, else None."""
    if not _PLAIN.match(body):
        return None
    comma, point = body.rfind(","), body.rfind(".")
    if comma >= 0 and point >= 0:
        return "comma" if comma > point else "point"
    if body.count(",") > 1:
        return "point"  # a decimal mark appears once: commas separate thousands
    if body.count(".") > 1:
        return "comma"
    if comma >= 0 and re.search(r",\d{1,2}$", body):
        return "comma"
    if point >= 0 and re.search(r"\.\d{1,2}$", body):
        return "point"
    return None


@dataclass
class NumberColumn:
    """How the numbers of one column are written, gathered one value at a time.

    Feed every non-empty cell to `add` (chunks combine with `merge`), then ask
    `decimal_comma()`; `currencies` holds the currencies the column names."""

    column: str = ""
    comma_example: str | None = None
    point_example: str | None = None
    currencies: dict[str, str] = field(default_factory=dict)
    """Currency symbol or code -> a value written with it."""

    def add(self, value: str) -> None:
        text = value.strip().rstrip("%").strip()
        if not text:
            return
        body, currency = _strip(text)
        if currency and currency not in self.currencies and len(self.currencies) < 10:
            self.currencies[currency] = value.strip()
        shown = _evidence(body)
        if shown == "comma" and self.comma_example is None:
            self.comma_example = value.strip()
        elif shown == "point" and self.point_example is None:
            self.point_example = value.strip()

    def merge(self, other: NumberColumn) -> None:
        self.comma_example = self.comma_example or other.comma_example
        self.point_example = self.point_example or other.point_example
        for currency, example in other.currencies.items():
            self.currencies.setdefault(currency, example)

    def decimal_comma(self, chosen: bool = False) -> bool:
        """Whether the column is read with a decimal comma; raises UnclearNumbers when its
        values show both marks (unless a decimal comma is chosen) or several currencies."""
        name = f"'{self.column}'" if self.column else _("this column")
        if len(self.currencies) > 1:
            shown = ", ".join(f"'{v}'" for v in list(self.currencies.values())[:3])
            raise UnclearNumbers(
                _(
                    "The amounts of column {name} are in several currencies ({shown}): "
                    "import each currency's rows apart, or convert them to the company "
                    "currency first."
                ).format(name=name, shown=shown)
            )
        if chosen:
            return True
        if self.comma_example and self.point_example:
            raise UnclearNumbers(
                _(
                    "The numbers of column {name} are written with a decimal comma "
                    "('{comma_example}') and with a decimal point ('{point_example}'): "
                    "write them all one way, or read them with a decimal comma "
                    "(--decimal-comma on the command line, 'Decimal comma' on the import "
                    "page)."
                ).format(
                    name=name, comma_example=self.comma_example, point_example=self.point_example
                )
            )
        return self.comma_example is not None


def detect_decimal_comma(values: Iterable[str], chosen: bool = False, column: str = "") -> bool:
    """Whether a whole column is written with a decimal comma; raises UnclearNumbers."""
    survey = NumberColumn(column=column)
    for value in values:
        survey.add(value)
    return survey.decimal_comma(chosen)


def _number(body: str, decimal_comma: bool) -> Decimal:
    mark, group = (",", ".") if decimal_comma else (".", ",")
    if not _PLAIN.match(body) or body.count(mark) > 1:
        raise ValueError(_(NOT_AN_AMOUNT))
    whole, __, fraction = body.partition(mark)
    if group in whole:
        groups = whole.split(group)
        # the first group has 1-3 digits, the last 3, any between 2 or 3 (Indian lakhs)
        if (
            not 1 <= len(groups[0]) <= 3
            or len(groups[-1]) != 3
            or any(len(g) not in (2, 3) for g in groups[1:-1])
        ):
            raise ValueError(_(NOT_AN_AMOUNT))
        whole = "".join(groups)
    if group in fraction or not (whole or fraction) or (mark in body and not fraction):
        raise ValueError(_(NOT_AN_AMOUNT))
    try:
        return Decimal(f"{whole or '0'}.{fraction}" if fraction else whole)
    except InvalidOperation:
        raise ValueError(_(NOT_AN_AMOUNT)) from None


@lru_cache(maxsize=65_536)
def parse_amount(value: str, decimal_comma: bool = False) -> Decimal:
    """An amount as written in a file; raises ValueError with the reason shown to users.

    The result keeps the decimals written (the format checks that there are at most two)."""
    text = value.strip()
    if "%" in text:
        raise ValueError(_(PERCENT_IN_AMOUNT))
    body, _currency = _strip(text)
    if _NEGATIVE.search(body) or _NEGATIVE.search(text):
        raise ValueError(_(NEGATIVE))
    return _number(body, decimal_comma)


def parse_percent(value: str, decimal_comma: bool = False) -> Decimal:
    """A percentage (`75%`, `75`, `12,5 %`) as the number of percent; refuses negatives and
    values over 100."""
    text = value.strip().rstrip("%").strip()
    if _NEGATIVE.search(text):
        raise ValueError(_(NEGATIVE))
    number = _number(_SPACES.sub("", text), decimal_comma)
    if number > 100:
        raise ValueError(_("a probability over 100%"))
    return number


def probabilities(values: Iterable[str], decimal_comma: bool = False) -> list[Decimal | None]:
    """A probability column as percentages: written as 0 to 100 (with or without %), or as
    fractions 0 to 1 when every value is 1 or less and none has a percent sign. Unreadable
    values are None."""
    texts = list(values)
    read: list[Decimal | None] = []
    for text in texts:
        try:
            read.append(parse_percent(text, decimal_comma) if text.strip() else None)
        except ValueError:
            read.append(None)
    known = [v for v in read if v is not None]
    fractions = (
        bool(known)
        and all(v <= 1 for v in known)
        and not any("%" in t for t in texts)
        and any(v != v.to_integral_value() for v in known)
    )
    return [v * 100 if v is not None and fractions else v for v in read]
