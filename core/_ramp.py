"""New-hire ramp: a rep carries a growing share of a full quota in the first months.

What the ramp takes away is either absorbed by the company or spread over every key's months.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Generic, Literal

from core._allocation import (
    K,
    Number,
    PlanningError,
    _amount,
    _check_unit,
    _fmt,
    _to_decimal,
    _whole_units,
    allocate,
)
from core.i18n import _

DEFAULT_RAMP: tuple[Decimal, ...] = (
    Decimal(0),
    Decimal("0.25"),
    Decimal("0.5"),
    Decimal("0.75"),
)
"""Share of a full quota by month of tenure: 1 -> 0%, 2 -> 25%, 3 -> 50%, 4 -> 75%, then 100%."""


def ramp_factors(
    hire_date: date | None,
    months: Sequence[date],
    ramp: Sequence[Number] = DEFAULT_RAMP,
) -> list[Decimal]:
    """Share of a full quota a rep carries in each plan month, given the hire date.

    Month of tenure 1 is the calendar month of the hire date and gets `ramp[0]`, month 2
    gets `ramp[1]`, and so on; after the ramp the factor is 1. Months before the hire get 0.
    Only the year and month of each date count. `hire_date=None` means fully ramped.
    """
    steps = [_to_decimal(v, _("Ramp step {i}").format(i=i)) for i, v in enumerate(ramp, 1)]
    for step, value in enumerate(steps, 1):
        if not 0 <= value <= 1:
            raise PlanningError(
                _("Ramp step {step} ({value}) is not between 0 and 1.").format(
                    step=step, value=_fmt(value)
                )
            )
    if hire_date is None:
        return [Decimal(1)] * len(months)
    factors: list[Decimal] = []
    for month in months:
        tenure = (month.year - hire_date.year) * 12 + (month.month - hire_date.month) + 1
        if tenure < 1:
            factors.append(Decimal(0))
        elif tenure <= len(steps):
            factors.append(steps[tenure - 1])
        else:
            factors.append(Decimal(1))
    return factors


@dataclass(frozen=True)
class RampResult(Generic[K]):
    """Targets after the ramp, plus what the ramp took away (in total and per key)."""

    targets: dict[K, list[Decimal]]
    shortfall: Decimal
    shortfall_by_key: dict[K, Decimal]
    mode: Literal["absorb", "spread"]


def apply_ramp(
    monthly: Mapping[K, Sequence[Number]],
    factors: Mapping[K, Sequence[Number]],
    *,
    mode: Literal["absorb", "spread"],
    unit: Decimal = Decimal(1),
) -> RampResult[K]:
    """Scale monthly targets by ramp factors (keys without factors are fully ramped).

    Each ramped month is `amount x factor` rounded to the nearest `unit`, halves up.
    `shortfall_by_key` is what that removed from each key, `shortfall` their sum.
    - "absorb": the company takes the shortfall; the grand total drops by `shortfall`.
    - "spread": the shortfall is re-allocated (with `allocate`) over every key's months in
      proportion to their ramped amounts, so the grand total is unchanged; months ramped
      to 0 stay 0, and fully ramped reps pick up most of it.
    """
    if mode not in ("absorb", "spread"):
        raise PlanningError(
            _("Unknown ramp mode {mode!r}; use 'absorb' or 'spread'.").format(mode=mode)
        )
    unit = _check_unit(unit)
    for key in factors:
        if key not in monthly:
            raise PlanningError(
                _("Ramp factors given for {key!r}, which has no monthly targets.").format(key=key)
            )
    original: dict[K, list[int]] = {}
    ramped: dict[K, list[int]] = {}
    for key, amounts in monthly.items():
        units: list[int] = []
        for month, raw in enumerate(amounts, 1):
            value = _to_decimal(
                raw, _("Target for {key!r} in month {month}").format(key=key, month=month)
            )
            if value < 0:
                raise PlanningError(
                    _("Target for {key!r} in month {month} is negative ({value}).").format(
                        key=key, month=month, value=_fmt(value)
                    )
                )
            units.append(
                _whole_units(
                    value,
                    unit,
                    _("Target for {key!r} in month {month}").format(key=key, month=month),
                )
            )
        original[key] = units
        if key not in factors:
            ramped[key] = list(units)
            continue
        key_factors = factors[key]
        if len(key_factors) != len(units):
            raise PlanningError(
                _("{key!r} has {count} monthly targets but {count2} ramp factors.").format(
                    key=key, count=len(units), count2=len(key_factors)
                )
            )
        row: list[int] = []
        for month, (count, raw) in enumerate(zip(units, key_factors, strict=True), 1):
            factor = _to_decimal(
                raw, _("Ramp factor for {key!r} in month {month}").format(key=key, month=month)
            )
            if not 0 <= factor <= 1:
                raise PlanningError(
                    _(
                        "Ramp factor for {key!r} in month {month} ({factor}) is not between 0 "
                        "and 1."
                    ).format(key=key, month=month, factor=_fmt(factor))
                )
            row.append(math.floor(count * Fraction(factor) + Fraction(1, 2)))
        ramped[key] = row
    short_units = {key: sum(original[key]) - sum(ramped[key]) for key in original}
    total_short = sum(short_units.values())
    if mode == "spread" and total_short > 0:
        cells = {
            (key, month): count for key, row in ramped.items() for month, count in enumerate(row)
        }
        if not any(cells.values()):
            shortfall_text = _fmt(_amount(total_short, unit))
            raise PlanningError(
                _(
                    "Every ramped target is zero, so the shortfall ({shortfall_text}) has "
                    "nowhere to go; use mode 'absorb'."
                ).format(shortfall_text=shortfall_text)
            )
        extra = allocate(Decimal(total_short), cells)
        for (key, month), added in extra.items():
            ramped[key][month] += int(added)
    return RampResult(
        targets={key: [_amount(n, unit) for n in row] for key, row in ramped.items()},
        shortfall=_amount(total_short, unit),
        shortfall_by_key={key: _amount(n, unit) for key, n in short_units.items()},
        mode=mode,
    )
