"""How figures look on screen, in the current language.

A table cell without a value reads "–" (MISSING), never "None" or "nan": a table grid draws a
missing value as the word "None", so a column that may lack values is turned into text first
with `as_text`. English keeps its usual forms (1,234,567 · 81.4% · 2026-03-28); Chinese reads
numbers and percentages as Babel's zh_CN writes them and dates as 2026年3月28日.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from babel.dates import format_date
from babel.numbers import format_percent, get_currency_precision

from core.i18n import _, babel_locale, is_chinese, number
from core.i18n import day as locale_day

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
    if is_chinese():
        return number(_exact(value), 0)
    return f"{_exact(value):,.0f}"


def money_in(value: Decimal | float | None, code: str) -> str:
    """An amount in a currency with that currency's decimals: "41,000.00 EUR", "5,000,000 JPY";
    a dash when there is no amount."""
    if value is None or is_missing(value):
        return MISSING
    return f"{amount_in(value, code)} {code}"


def amount_in(value: Decimal | float | None, code: str) -> str:
    """The number of `money_in` without the code, for a column whose header names the
    currency: "44,280.00"."""
    if value is None or is_missing(value):
        return MISSING
    if is_chinese():
        return number(_exact(value), _decimals(code))
    return f"{_exact(value):,.{_decimals(code)}f}"


def _decimals(code: str) -> int:
    try:
        return int(get_currency_precision(code))
    except (KeyError, ValueError):  # not an ISO code: cents, as most currencies have
        return 2


def not_priced(code: str, first_rate: date | None) -> str:
    """Why a deal has no amount in the company currency: its currency had no rate in effect
    on its day (an open deal: no rate at all; a closed one: it closed before the first)."""
    if first_rate is None or is_missing(first_rate):
        return _("not priced: no {code} rate").format(code=code)
    return _("not priced: no {code} rate before {day}").format(code=code, day=day(first_rate))


def company_money(
    company_amount: Decimal | float | None,
    company_code: str,
    *,
    currency: str,
    first_rate: date | None = None,
) -> str:
    """A deal's amount in the company currency, "44,280.00 USD", or why it is not priced."""
    if company_amount is None or is_missing(company_amount):
        return not_priced(currency, first_rate)
    return money_in(company_amount, company_code)


def deal_money(
    amount: Decimal | float | None,
    currency: str,
    company_amount: Decimal | float | None,
    company_code: str,
    first_rate: date | None = None,
) -> str:
    """A deal's amount in its currency and, for another currency than the company's, in the
    company currency too: "41,000.00 EUR (44,280.00 USD)"; a deal in the company currency shows
    its one amount, "100.00 USD"."""
    own = money_in(amount, currency)
    if currency == company_code:
        return own
    other = company_money(company_amount, company_code, currency=currency, first_rate=first_rate)
    return _("{amount} ({company_amount})").format(amount=own, company_amount=other)


def _exact(value: Decimal | float) -> Decimal:
    """A float as the decimal it prints as, so 0.8135 rounds like Decimal("0.8135")."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def percent(value: Decimal | float | None) -> str:
    """A fraction as a percentage to one place (0.8135 -> 81.4%, half to even)."""
    if value is None or is_missing(value):
        return MISSING
    if is_chinese():
        return format_percent(
            _exact(value), format="#,##0.0%", locale=babel_locale(), decimal_quantization=True
        )
    return f"{_exact(value) * 100:.1f}%"


def day(value: date | datetime | None) -> str:
    """A date as 2026-03-28, in Chinese 2026年3月28日 (a time of day is left out); a dash when
    there is none."""
    if is_missing(value):
        return MISSING
    if is_chinese() and isinstance(value, date):
        return locale_day(value.date() if isinstance(value, datetime) else value)
    if isinstance(value, datetime | pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return value.isoformat() if isinstance(value, date) else str(value)


def day_in_words(value: date) -> str:
    """A date written out: 01 December 2026, in Chinese 2026年12月1日."""
    return locale_day(value) if is_chinese() else value.strftime("%d %B %Y")


def month_name(month: int) -> str:
    """A month's name: January, in Chinese 一月."""
    if is_chinese():
        return format_date(date(2000, month, 1), "LLLL", locale=babel_locale())
    return date(2000, month, 1).strftime("%B")


def month_year(value: date) -> str:
    """A month of a year: December 2026, in Chinese 2026年12月."""
    if is_chinese():
        return format_date(value, "y年M月", locale=babel_locale())
    return value.strftime("%B %Y")


def times(value: Decimal | float | None) -> str:
    """A multiple such as coverage: 2.83×."""
    if value is None or is_missing(value):
        return MISSING
    if is_chinese():
        return number(_exact(value), 2) + "×"
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


def deal_money_columns(frame: pd.DataFrame, company_code: str) -> pd.DataFrame:
    """A copy of a deal list for reading (the core lists' `amount`, `currency`,
    `company_amount` and `first_rate`): the company amount as text in that currency's
    decimals, or why the deal is not priced; `first_rate` dropped. Downloads keep the numbers."""
    out = frame.copy()
    out["company_amount"] = [
        not_priced(code, first) if is_missing(value) else amount_in(value, company_code)
        for value, code, first in zip(out["company_amount"], out["currency"], out["first_rate"])
    ]
    return out.drop(columns=["first_rate"])


def one_currency(frame: pd.DataFrame, company_code: str) -> bool:
    """Every deal of the list is in the company currency: it needs no second amount."""
    return bool((frame["currency"] == company_code).all())


def sentence_day(value: date) -> str:
    """A day as a sentence shows it: "01 Dec 2026" in English, "2026年12月1日" in Chinese."""
    return locale_day(value) if is_chinese() else f"{value:%d %b %Y}"
