"""Money in several currencies, and revenue credit shared between people: the pure rules.

Conversion. Every figure is in the company currency. A rate is the number of company-currency
units for one unit of a currency, in effect from its date until that currency's next rate.
- A won or lost deal converts at the rate in effect on its close date; an open deal at the
  rate in effect today.
- A deal in the company currency needs no rate.
- A deal whose currency has no rate in effect on that day is *not priced*. It is never summed
  as if 1:1: it is counted and listed beside the figures it would have joined.
- A plan may fix budget rates for its fiscal year; attainment against that plan converts at
  them instead (a currency the plan gives no rate for keeps the dated rule).
- The conversion rounds to cents once, at the deal (half up).

Credit. A deal's credit goes 100 % to its owner unless it is split. A split gives each person a
percentage with at most two decimals, together exactly 100. Each share of the deal's company
amount is rounded to cents so the shares add up to the deal exactly (largest remainder, ties to
the person listed first).
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TypeVar

from babel.numbers import list_currencies

from core.errors import ValidationFailed
from core.i18n import _
from core.planning import allocate

K = TypeVar("K")

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
MAX_RATE = Decimal("1000000")

CURRENCIES: frozenset[str] = frozenset(list_currencies())
"""ISO 4217 codes."""


def currency_code(value: object) -> str:
    """An ISO 4217 code, upper-cased; a clear refusal for anything else."""
    code = str(value or "").strip().upper()
    if code not in CURRENCIES:
        raise ValidationFailed(
            _("'{strip}' is not an ISO 4217 currency code (for example USD, EUR, CNY).").format(
                strip=str(value or "").strip()
            )
        )
    return code


def rate_value(value: object) -> Decimal:
    """An exchange rate: a positive number with at most eight decimals."""
    try:
        rate = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(
            _("'{value}' is not a number: a rate is a number such as 1.0842.").format(value=value)
        ) from None
    if not rate.is_finite() or rate <= 0 or rate >= MAX_RATE:
        raise ValidationFailed(
            _("A rate must be above 0 and below {MAX_RATE:,}; {value} is not.").format(
                MAX_RATE=MAX_RATE, value=value
            )
        )
    if rate != rate.quantize(Decimal("0.00000001")):
        raise ValidationFailed(
            _("A rate has at most eight decimals; {value} has more.").format(value=value)
        )
    return rate


def pricing_date(status: str, closed_on: date | None, today: date) -> date:
    """The day whose rate converts a deal: its close date once won or lost, else today."""
    return closed_on if status != "open" and closed_on is not None else today


def rate_in_effect(rates: Sequence[tuple[date, Decimal]], on: date) -> Decimal | None:
    """The rate in effect on a day, from one currency's rates sorted by date (None when the
    first rate is later)."""
    index = bisect.bisect_right([valid_from for valid_from, __ in rates], on)
    return rates[index - 1][1] if index else None


def convert(amount: Decimal, rate: Decimal) -> Decimal:
    """An amount at a rate, rounded half up to cents."""
    return (Decimal(amount) * Decimal(rate)).quantize(CENT, rounding=ROUND_HALF_UP)


def company_amount(
    amount: Decimal,
    currency: str,
    on: date,
    *,
    company: str,
    rates: Mapping[str, Sequence[tuple[date, Decimal]]],
    budget: Mapping[str, Decimal] | None = None,
) -> Decimal | None:
    """A deal's amount in the company currency (None: not priced). `budget` holds a plan's
    budget rates, which win over the dated rates of their currencies."""
    if currency == company:
        return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    if budget and currency in budget:
        return convert(amount, budget[currency])
    rate = rate_in_effect(rates.get(currency, ()), on)
    return None if rate is None else convert(amount, rate)


def split_percents(percents: Mapping[K, object]) -> dict[K, Decimal]:
    """Checked split percentages: each above 0, at most two decimals, together exactly 100."""
    if not percents:
        raise ValidationFailed(_("A split needs at least one person."))
    out: dict[K, Decimal] = {}
    for key, raw in percents.items():
        try:
            value = Decimal(str(raw).strip().rstrip("%"))
        except (InvalidOperation, ValueError):
            raise ValidationFailed(_("'{raw}' is not a percentage.").format(raw=raw)) from None
        if not value.is_finite() or value <= 0 or value > HUNDRED:
            raise ValidationFailed(
                _("Each share must be above 0 % and at most 100 %; {raw} is not.").format(raw=raw)
            )
        if value != value.quantize(CENT):
            raise ValidationFailed(
                _("A share has at most two decimals; {raw} has more.").format(raw=raw)
            )
        out[key] = value
    total = sum(out.values(), Decimal(0))
    if total != HUNDRED:
        raise ValidationFailed(
            _("The shares add up to {total} %; they must add up to 100 %.").format(total=total)
        )
    return out


def shares(amount: Decimal, percents: Mapping[K, Decimal]) -> dict[K, Decimal]:
    """Each person's share of an amount, in cents, adding up to the amount exactly."""
    return allocate(Decimal(amount).quantize(CENT), dict(percents), unit=CENT)
