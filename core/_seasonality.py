"""Seasonality: spreading annual targets over the months of a profile of month weights.

Profiles are weights, not shares; each rep's months add up exactly to the annual target.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Context, Decimal

import numpy as np

from core._allocation import (
    _INT64_MAX,
    _WIDE,
    K,
    Number,
    PlanningError,
    _check_unit,
    _fmt,
    _to_decimal,
    _units_array,
    allocate_units,
)
from core.i18n import _

MONTHS_PER_YEAR = 12


def _profile_weights(profile: Sequence[Number]) -> np.ndarray:
    """Profile as numpy weights: exact int64 when a small power of ten makes them whole."""
    values = [
        _to_decimal(v, _("Profile weight for month {i}").format(i=i))
        for i, v in enumerate(profile, 1)
    ]
    for month, value in enumerate(values, 1):
        if value < 0:
            raise PlanningError(
                _("Profile weight for month {month} is negative ({value}).").format(
                    month=month, value=_fmt(value)
                )
            )
    exponents = [int(value.as_tuple().exponent) for value in values]
    scale = max(0, -min(exponents, default=0))
    if scale <= 12:
        scaled = [int(_WIDE.scaleb(value, scale)) for value in values]
        if sum(scaled) <= _INT64_MAX:
            return np.array(scaled, dtype=np.int64)
    return np.array([float(value) for value in values], dtype=np.float64)


def spread_over_months(
    annual_by_rep: Mapping[K, Number],
    profile: Sequence[Number],
    unit: Decimal = Decimal(1),
) -> dict[K, list[Decimal]]:
    """Split each rep's annual target over the months of a seasonality profile.

    Each rep's months are multiples of `unit` and add up exactly to the annual target;
    leftover units go to the months with the largest remainders, earlier months first on ties.
    """
    unit = _check_unit(unit)
    if not profile:
        raise PlanningError(_("The seasonality profile has no months."))
    keys = list(annual_by_rep)
    counts = _units_array(annual_by_rep.values(), unit, describe=lambda i: repr(keys[i]))
    weights = _profile_weights(profile)
    if not weights.any() and counts.any():
        raise PlanningError(
            _(
                "The seasonality profile has no month with a positive weight, so there is "
                "nowhere to put the targets."
            )
        )
    units = allocate_units(counts, weights).tolist()
    if unit == 1:
        return {key: list(map(Decimal, row)) for key, row in zip(keys, units, strict=True)}
    return {key: [Decimal(n) * unit for n in row] for key, row in zip(keys, units, strict=True)}


def flat_profile() -> list[Decimal]:
    """Twelve equal month weights (1 each).

    Profiles are weights, not shares: twelve equal shares cannot add up to exactly 1 in
    decimals, so `allocate` / `spread_over_months` turn weights into exact amounts.
    """
    return [Decimal(1)] * MONTHS_PER_YEAR


def history_profile(won_by_month: Mapping[int, Number]) -> list[Decimal]:
    """Each fiscal month's share of won revenue (months 1..12; missing months count as 0).

    Falls back to `flat_profile()` when there is no won revenue at all. Shares are rounded
    to 28 significant digits, so they add up to 1 within 1e-27; use them as weights.
    """
    won = [Decimal(0)] * MONTHS_PER_YEAR
    for month, raw in won_by_month.items():
        if not isinstance(month, int) or not 1 <= month <= MONTHS_PER_YEAR:
            raise PlanningError(
                _("Fiscal month {month!r} is not between 1 and 12.").format(month=month)
            )
        value = _to_decimal(raw, _("Won revenue for fiscal month {month}").format(month=month))
        if value < 0:
            raise PlanningError(
                _("Won revenue for fiscal month {month} is negative ({value}).").format(
                    month=month, value=_fmt(value)
                )
            )
        won[month - 1] = value
    total = sum(won, Decimal(0))
    if total == 0:
        return flat_profile()
    context = Context(prec=28)
    return [context.divide(value, total) for value in won]


def manual_profile(percentages: Sequence[Number]) -> list[Decimal]:
    """Twelve monthly percentages entered by hand, each >= 0, adding up to 100 (+/- 0.01)."""
    if len(percentages) != MONTHS_PER_YEAR:
        raise PlanningError(
            _("A manual profile needs exactly 12 monthly percentages (got {count}).").format(
                count=len(percentages)
            )
        )
    values = [
        _to_decimal(v, _("Percentage for month {i}").format(i=i))
        for i, v in enumerate(percentages, 1)
    ]
    for month, value in enumerate(values, 1):
        if value < 0:
            raise PlanningError(
                _("Percentage for month {month} is negative ({value}).").format(
                    month=month, value=_fmt(value)
                )
            )
    total = sum(values, Decimal(0))
    if abs(total - 100) > Decimal("0.01"):
        raise PlanningError(
            _("Monthly percentages add up to {total}, not 100 (tolerance 0.01).").format(
                total=_fmt(total)
            )
        )
    return values


def calendar_profile(percentages: Sequence[Number], fiscal_start_month: int = 1) -> list[Decimal]:
    """A named profile's twelve calendar-month percentages (January first) in fiscal-month
    order. Each has at most two decimals and is >= 0, and together they make exactly 100."""
    if len(percentages) != MONTHS_PER_YEAR:
        raise PlanningError(
            _("A seasonality profile needs 12 monthly percentages (got {count}).").format(
                count=len(percentages)
            )
        )
    values = [
        _to_decimal(v, _("Percentage for month {i}").format(i=i))
        for i, v in enumerate(percentages, 1)
    ]
    for month, value in enumerate(values, 1):
        if value < 0 or value != value.quantize(Decimal("0.01")):
            raise PlanningError(
                _(
                    "Percentage for month {month} must be 0 or more with at most two "
                    "decimals (got {value})."
                ).format(month=month, value=_fmt(value))
            )
    total = sum(values, Decimal(0))
    if total != 100:
        raise PlanningError(
            _("Monthly percentages add up to {total}, not exactly 100.").format(total=_fmt(total))
        )
    if not 1 <= fiscal_start_month <= MONTHS_PER_YEAR:
        raise PlanningError(
            _("Fiscal start month {fiscal_start_month} is not between 1 and 12.").format(
                fiscal_start_month=fiscal_start_month
            )
        )
    shift = fiscal_start_month - 1
    return values[shift:] + values[:shift]
