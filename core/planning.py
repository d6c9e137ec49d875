"""Quota planning arithmetic: splitting targets, seasonality, new-hire ramp and capacity.

Pure functions over plain data (no database, no UI). Money is `Decimal` in every result.

Rounding rule used throughout (largest remainder, also called Hamilton's method):
every exact share is expressed in whole `unit`s, floored, and the units still missing
from the total go one each to the shares with the largest fractional remainders. Ties
go to the key that comes first (mapping order for `allocate`, column order for the
vectorised functions). Results therefore always add up exactly to the total, and each
amount is within one unit of its exact proportional share.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Generic, Literal, TypeVar

import numpy as np

from core.errors import DomainError

K = TypeVar("K", bound=Hashable)
Number = Decimal | int | float

MONTHS_PER_YEAR = 12
DEFAULT_RAMP: tuple[Decimal, ...] = (
    Decimal(0),
    Decimal("0.25"),
    Decimal("0.5"),
    Decimal("0.75"),
)
"""Share of a full quota by month of tenure: 1 -> 0%, 2 -> 25%, 3 -> 50%, 4 -> 75%, then 100%."""

_INT64_MAX = 2**63 - 1
_FLOAT_EXACT_INT = 2**53
_WIDE = Context(prec=60)  # enough digits that unit arithmetic on amounts never rounds


class PlanningError(DomainError, ValueError):
    """A planning request that cannot be met; the message names the cause."""


# --------------------------------------------------------------------------- helpers


def _fmt(value: Decimal | int) -> str:
    """Thousands-separated figure for messages: 1200 -> '1,200'."""
    return f"{value:,}"


def _to_decimal(value: object, what: str) -> Decimal:
    """`value` as an exact Decimal (floats via their shortest repr: 0.1 -> Decimal('0.1'))."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, numbers.Integral):
        result = Decimal(int(value))
    elif isinstance(value, numbers.Real):
        result = Decimal(repr(float(value)))
    else:
        raise PlanningError(f"{what} must be a number (got {value!r}).")
    if not result.is_finite():
        raise PlanningError(f"{what} must be a finite number (got {value}).")
    return result


def _check_unit(unit: object) -> Decimal:
    result = _to_decimal(unit, "The rounding unit")
    if result <= 0:
        raise PlanningError(f"The rounding unit must be positive (got {_fmt(result)}).")
    return result


def _whole_units(amount: Decimal, unit: Decimal, what: str) -> int:
    """`amount` as a whole number of units; raises if it is not a multiple of `unit`."""
    ratio = Fraction(amount) / Fraction(unit)
    if ratio.denominator != 1:
        raise PlanningError(
            f"{what} ({_fmt(amount)}) is not a multiple of the rounding unit ({_fmt(unit)})."
        )
    return ratio.numerator


def _amount(units: int, unit: Decimal) -> Decimal:
    return _WIDE.multiply(Decimal(units), unit)


def _largest_remainder(amount: int, shares: Sequence[Fraction]) -> list[int]:
    """Whole units summing to `amount`: floor every share, then +1 to the largest remainders.

    Ties go to the earlier position. `shares` must add up to `amount` exactly.
    """
    base = [math.floor(share) for share in shares]
    leftover = amount - sum(base)
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - base[i]), i))
    for i in order[:leftover]:
        base[i] += 1
    return base


def _water_fill(
    amount: int,
    weights: dict[K, Fraction],
    floors: Mapping[K, int],
    caps: Mapping[K, int],
) -> dict[K, Fraction]:
    """Exact shares of `amount` proportional to `weights`, kept within floors and caps.

    Each pass shares what is left among the unclamped keys by weight. If floors need
    more than caps give back, the floor violators are clamped (sharing the rest can only
    push them lower); if caps give back more, the cap violators are clamped; if both
    match, both are. Repeat until no key violates a bound.
    """
    shares: dict[K, Fraction] = {}
    free = list(weights)
    left = Fraction(amount)
    had_positive_weight = any(weights[key] > 0 for key in free)
    while free:
        total_weight = sum((weights[key] for key in free), Fraction(0))
        if total_weight > 0:
            trial = {key: left * weights[key] / total_weight for key in free}
        else:
            trial = {key: Fraction(0) for key in free}
        below = {key: floors[key] for key in free if key in floors and trial[key] < floors[key]}
        above = {key: caps[key] for key in free if key in caps and trial[key] > caps[key]}
        if not below and not above:
            if total_weight == 0 and left != 0:
                break
            shares.update(trial)
            left = Fraction(0)
            free = []
            break
        need = sum((bound - trial[key] for key, bound in below.items()), Fraction(0))
        give = sum((trial[key] - bound for key, bound in above.items()), Fraction(0))
        clamped = dict(below) if need > give else dict(above) if give > need else below | above
        for key, bound in clamped.items():
            shares[key] = Fraction(bound)
            left -= bound
        free = [key for key in free if key not in clamped]
    if left != 0:
        if had_positive_weight:
            raise PlanningError(
                "Every key with a positive weight is at its cap; the remaining "
                f"{_fmt(int(left))} unit(s) cannot go to keys with zero weight."
            )
        raise PlanningError(
            f"All unlocked keys have zero weight, so the remaining {_fmt(int(left))} unit(s) "
            "cannot be shared out in proportion to weight."
        )
    return {key: shares[key] for key in weights}


# --------------------------------------------------------------------------- allocate


def allocate(
    total: Decimal,
    weights: Mapping[K, Number],
    *,
    floor: Mapping[K, Decimal] | None = None,
    cap: Mapping[K, Decimal] | None = None,
    locked: Mapping[K, Decimal] | None = None,
    unit: Decimal = Decimal(1),
) -> dict[K, Decimal]:
    """Split `total` across the keys of `weights` in proportion to their weights.

    Business rules:
    - Locked keys get exactly their locked amount; the rest is shared among the others.
    - Every other key stays within its floor and cap (water-filling: clamp a key that would
      break a bound to that bound and re-share what is left among the rest by weight).
    - Results are multiples of `unit` and add up exactly to `total` (largest remainder,
      ties to the key that comes first in `weights`).
    - Floors are rounded up and caps rounded down to a multiple of `unit`, so the rounded
      results still honour them; raises if no multiple of `unit` lies between the two.
    - Locked amounts must be multiples of `unit` and within that key's floor and cap.
    - A key with weight 0 gets its floor (or 0) and nothing more.

    Returns a dict with the keys of `weights` in the same order. Raises `PlanningError`
    naming the cause when the request cannot be met.
    """
    unit = _check_unit(unit)
    total = _to_decimal(total, "The total to allocate")
    if total < 0:
        raise PlanningError(f"The total to allocate cannot be negative (got {_fmt(total)}).")
    total_units = _whole_units(total, unit, "The total to allocate")
    floor = floor or {}
    cap = cap or {}
    locked = locked or {}
    for label, bounds in (("Locked", locked), ("Floor", floor), ("Cap", cap)):
        for key in bounds:
            if key not in weights:
                raise PlanningError(f"{label} key {key!r} is not among the keys being allocated.")
    weight_of: dict[K, Fraction] = {}
    for key, raw in weights.items():
        value = _to_decimal(raw, f"Weight for {key!r}")
        if value < 0:
            raise PlanningError(
                f"Weight for {key!r} is negative ({_fmt(value)}); weights must be zero or more."
            )
        weight_of[key] = Fraction(value)
    if not weight_of:
        if total_units != 0:
            raise PlanningError(f"There are no keys to allocate the total ({_fmt(total)}) to.")
        return {}

    locked_units: dict[K, int] = {}
    for key, raw in locked.items():
        value = _to_decimal(raw, f"Locked amount for {key!r}")
        if value < 0:
            raise PlanningError(f"Locked amount for {key!r} cannot be negative ({_fmt(value)}).")
        locked_units[key] = _whole_units(value, unit, f"Locked amount for {key!r}")
    floor_units: dict[K, int] = {}
    for key, raw in floor.items():
        value = _to_decimal(raw, f"Floor for {key!r}")
        if value < 0:
            raise PlanningError(f"Floor for {key!r} cannot be negative ({_fmt(value)}).")
        floor_units[key] = math.ceil(Fraction(value) / Fraction(unit))
    cap_units: dict[K, int] = {}
    for key, raw in cap.items():
        value = _to_decimal(raw, f"Cap for {key!r}")
        if value < 0:
            raise PlanningError(f"Cap for {key!r} cannot be negative ({_fmt(value)}).")
        cap_units[key] = math.floor(Fraction(value) / Fraction(unit))
    for key in weight_of:
        if key in floor and key in cap:
            low, high = _to_decimal(floor[key], ""), _to_decimal(cap[key], "")
            if low > high:
                raise PlanningError(
                    f"Floor for {key!r} ({_fmt(low)}) is above its cap ({_fmt(high)})."
                )
            if floor_units[key] > cap_units[key]:
                raise PlanningError(
                    f"Floor ({_fmt(low)}) and cap ({_fmt(high)}) for {key!r} leave no multiple "
                    f"of the rounding unit ({_fmt(unit)}) in between."
                )
        if key in locked_units:
            amount = _amount(locked_units[key], unit)
            if key in floor_units and locked_units[key] < floor_units[key]:
                raise PlanningError(
                    f"Locked amount for {key!r} ({_fmt(amount)}) is below its floor "
                    f"({_fmt(_to_decimal(floor[key], ''))})."
                )
            if key in cap_units and locked_units[key] > cap_units[key]:
                raise PlanningError(
                    f"Locked amount for {key!r} ({_fmt(amount)}) is above its cap "
                    f"({_fmt(_to_decimal(cap[key], ''))})."
                )

    locked_sum = sum(locked_units.values())
    locked_text = _fmt(_amount(locked_sum, unit))
    if locked_sum > total_units:
        raise PlanningError(
            f"Locked amounts ({locked_text}) exceed the total to allocate ({_fmt(total)})."
        )
    remaining = total_units - locked_sum
    free = {key: weight for key, weight in weight_of.items() if key not in locked_units}
    if not free and remaining != 0:
        raise PlanningError(
            f"Every key is locked, but the locked amounts ({locked_text}) fall short of the "
            f"total to allocate ({_fmt(total)})."
        )
    floor_sum = sum(floor_units.get(key, 0) for key in free)
    if floor_sum > remaining:
        floors_text = f"Floors ({_fmt(_amount(floor_sum, unit))})"
        if locked_sum:
            floors_text += f" plus locked amounts ({locked_text})"
        raise PlanningError(f"{floors_text} exceed the total to allocate ({_fmt(total)}).")
    if free and all(key in cap_units for key in free):
        cap_sum = sum(cap_units[key] for key in free)
        if cap_sum < remaining:
            caps_text = f"Caps ({_fmt(_amount(cap_sum, unit))})"
            if locked_sum:
                caps_text += f" plus locked amounts ({locked_text})"
            raise PlanningError(
                f"{caps_text} fall short of the total to allocate ({_fmt(total)}) and every "
                "unlocked key is capped."
            )

    shares = _water_fill(remaining, free, floor_units, cap_units)
    free_units = dict(zip(free, _largest_remainder(remaining, list(shares.values())), strict=True))
    result: dict[K, Decimal] = {}
    for key in weight_of:
        units = locked_units[key] if key in locked_units else free_units[key]
        result[key] = _amount(units, unit)
    return result


# --------------------------------------------------------------------------- many rows


def allocate_units(total_units: Sequence[int] | np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Vectorised largest-remainder split of whole units, one row per total.

    `weights` is `(rows, cols)`, or `(cols,)` to share one profile across all rows. Returns
    int64 `(rows, cols)`; every row adds up exactly to its total, ties go to the earlier
    column. Integer weights are split exactly (same result as `allocate`) while
    `max total x row weight sum` fits in int64; otherwise shares are computed in float64,
    so an amount can differ from `allocate` only where two remainders are within float
    rounding of each other. A zero weight always gets 0.
    """
    totals = np.asarray(total_units)
    if totals.ndim != 1:
        raise PlanningError("Row totals must be a flat list of whole units.")
    if totals.size and not np.issubdtype(totals.dtype, np.integer):
        raise PlanningError("Row totals must be whole numbers of units.")
    totals = totals.astype(np.int64, copy=False)
    matrix = np.asarray(weights)
    if matrix.dtype == object or matrix.dtype == bool:
        matrix = matrix.astype(np.float64)
    if matrix.ndim == 1:
        matrix = np.broadcast_to(matrix, (totals.shape[0], matrix.shape[0]))
    if matrix.ndim != 2 or matrix.shape[0] != totals.shape[0]:
        raise PlanningError(
            f"Weights must have one row per total ({totals.shape[0]} rows); "
            f"got shape {matrix.shape}."
        )
    rows, cols = matrix.shape
    is_int = np.issubdtype(matrix.dtype, np.integer)
    if not is_int:
        matrix = matrix.astype(np.float64, copy=False)
        if not np.isfinite(matrix).all():
            raise PlanningError("Every weight must be a finite number.")
    if rows and (totals < 0).any():
        row = int(np.argmax(totals < 0))
        raise PlanningError(f"Row {row} has a negative total ({_fmt(int(totals[row]))} units).")
    if matrix.size and (matrix < 0).any():
        row, col = (int(i) for i in np.argwhere(matrix < 0)[0])
        raise PlanningError(f"Weight in row {row}, column {col} is negative ({matrix[row, col]}).")
    if rows == 0:
        return np.zeros((0, cols), dtype=np.int64)
    if is_int:
        fits = int(matrix.max(initial=0)) * cols <= _INT64_MAX
        matrix = matrix.astype(np.int64 if fits else np.float64)
        is_int = fits
    weight_sum = matrix.sum(axis=1)
    empty = (weight_sum == 0) & (totals > 0)
    if empty.any():
        row = int(np.argmax(empty))
        raise PlanningError(
            f"Row {row} has a total of {_fmt(int(totals[row]))} units but every weight is zero."
        )
    if cols == 0:
        return np.zeros((rows, 0), dtype=np.int64)
    divisor = np.where(weight_sum == 0, 1, weight_sum)[:, None]
    if is_int and int(totals.max()) * int(weight_sum.max()) > _INT64_MAX:
        is_int = False
        matrix = matrix.astype(np.float64)
        divisor = divisor.astype(np.float64)
    if is_int:
        numerators = totals[:, None] * matrix
        base = numerators // divisor
        remainder = numerators - base * divisor
    else:
        if int(totals.max()) >= _FLOAT_EXACT_INT:
            raise PlanningError("A row total is too large to split with non-integer weights.")
        shares = totals[:, None] * matrix / divisor
        base = np.floor(shares).astype(np.int64)
        remainder = shares - base
    leftover = totals - base.sum(axis=1)
    order = np.argsort(-remainder, axis=1, kind="stable")
    gets_one = (np.arange(cols)[None, :] < leftover[:, None]).astype(np.int64)
    extra = np.zeros_like(base)
    np.put_along_axis(extra, order, gets_one, axis=1)
    result = base + extra
    if not is_int:
        # Float shares can, in rare near-integer cases, misplace a unit: redo those rows exactly.
        suspect = (leftover < 0) | (leftover > cols) | ((extra > 0) & (remainder <= 0)).any(axis=1)
        for redo in np.flatnonzero(suspect):
            row_weights = [Fraction(float(w)) for w in matrix[redo]]
            row_sum = sum(row_weights, Fraction(0))
            exact = [int(totals[redo]) * w / row_sum for w in row_weights]
            result[redo] = _largest_remainder(int(totals[redo]), exact)
    return result


def _units_array(
    totals: Iterable[Number], unit: Decimal, describe: Callable[[int], str]
) -> np.ndarray:
    """Whole-unit counts of `totals` as int64; raises naming the invalid one via `describe`."""
    counts: list[int] = []
    for index, raw in enumerate(totals):
        value = raw if isinstance(raw, Decimal) and raw.is_finite() else None
        if value is None:
            value = _to_decimal(raw, f"The total for {describe(index)}")
        if value < 0:
            raise PlanningError(
                f"The total for {describe(index)} cannot be negative ({_fmt(value)})."
            )
        quotient, rest = divmod(value, unit)
        if rest:
            raise PlanningError(
                f"The total for {describe(index)} ({_fmt(value)}) is not a multiple of the "
                f"rounding unit ({_fmt(unit)})."
            )
        counts.append(int(quotient))
    if counts and max(counts) > _INT64_MAX:
        raise PlanningError("A total is too large to allocate in whole units.")
    return np.array(counts, dtype=np.int64)


def allocate_rows(
    totals: Sequence[Number], weights: np.ndarray, unit: Decimal = Decimal(1)
) -> np.ndarray:
    """Split each total over its row of `weights`; returns int64 whole units `(rows, cols)`.

    Multiply by `unit` to get money. Same rounding rule as `allocate` (see `allocate_units`).
    Totals must be non-negative multiples of `unit`.
    """
    unit = _check_unit(unit)
    counts = _units_array(totals, unit, describe=lambda i: f"row {i}")
    return allocate_units(counts, weights)


def _profile_weights(profile: Sequence[Number]) -> np.ndarray:
    """Profile as numpy weights: exact int64 when a small power of ten makes them whole."""
    values = [_to_decimal(v, f"Profile weight for month {i}") for i, v in enumerate(profile, 1)]
    for month, value in enumerate(values, 1):
        if value < 0:
            raise PlanningError(f"Profile weight for month {month} is negative ({_fmt(value)}).")
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
        raise PlanningError("The seasonality profile has no months.")
    keys = list(annual_by_rep)
    counts = _units_array(annual_by_rep.values(), unit, describe=lambda i: repr(keys[i]))
    weights = _profile_weights(profile)
    if not weights.any() and counts.any():
        raise PlanningError(
            "The seasonality profile has no month with a positive weight, so there is "
            "nowhere to put the targets."
        )
    units = allocate_units(counts, weights).tolist()
    if unit == 1:
        return {key: list(map(Decimal, row)) for key, row in zip(keys, units, strict=True)}
    return {key: [Decimal(n) * unit for n in row] for key, row in zip(keys, units, strict=True)}


# --------------------------------------------------------------------------- seasonality


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
            raise PlanningError(f"Fiscal month {month!r} is not between 1 and 12.")
        value = _to_decimal(raw, f"Won revenue for fiscal month {month}")
        if value < 0:
            raise PlanningError(
                f"Won revenue for fiscal month {month} is negative ({_fmt(value)})."
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
            f"A manual profile needs exactly 12 monthly percentages (got {len(percentages)})."
        )
    values = [_to_decimal(v, f"Percentage for month {i}") for i, v in enumerate(percentages, 1)]
    for month, value in enumerate(values, 1):
        if value < 0:
            raise PlanningError(f"Percentage for month {month} is negative ({_fmt(value)}).")
    total = sum(values, Decimal(0))
    if abs(total - 100) > Decimal("0.01"):
        raise PlanningError(
            f"Monthly percentages add up to {_fmt(total)}, not 100 (tolerance 0.01)."
        )
    return values


# --------------------------------------------------------------------------- new-hire ramp


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
    steps = [_to_decimal(v, f"Ramp step {i}") for i, v in enumerate(ramp, 1)]
    for step, value in enumerate(steps, 1):
        if not 0 <= value <= 1:
            raise PlanningError(f"Ramp step {step} ({_fmt(value)}) is not between 0 and 1.")
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
        raise PlanningError(f"Unknown ramp mode {mode!r}; use 'absorb' or 'spread'.")
    unit = _check_unit(unit)
    for key in factors:
        if key not in monthly:
            raise PlanningError(f"Ramp factors given for {key!r}, which has no monthly targets.")
    original: dict[K, list[int]] = {}
    ramped: dict[K, list[int]] = {}
    for key, amounts in monthly.items():
        units: list[int] = []
        for month, raw in enumerate(amounts, 1):
            value = _to_decimal(raw, f"Target for {key!r} in month {month}")
            if value < 0:
                raise PlanningError(
                    f"Target for {key!r} in month {month} is negative ({_fmt(value)})."
                )
            units.append(_whole_units(value, unit, f"Target for {key!r} in month {month}"))
        original[key] = units
        if key not in factors:
            ramped[key] = list(units)
            continue
        key_factors = factors[key]
        if len(key_factors) != len(units):
            raise PlanningError(
                f"{key!r} has {len(units)} monthly targets but {len(key_factors)} ramp factors."
            )
        row: list[int] = []
        for month, (count, raw) in enumerate(zip(units, key_factors, strict=True), 1):
            factor = _to_decimal(raw, f"Ramp factor for {key!r} in month {month}")
            if not 0 <= factor <= 1:
                raise PlanningError(
                    f"Ramp factor for {key!r} in month {month} ({_fmt(factor)}) is not "
                    "between 0 and 1."
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
                f"Every ramped target is zero, so the shortfall ({shortfall_text}) has nowhere "
                "to go; use mode 'absorb'."
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


# --------------------------------------------------------------------------- weighting methods


class Method(StrEnum):
    """How the team target is weighted across reps."""

    EQUAL = "equal"
    HISTORY = "history"
    POTENTIAL = "potential"
    PIPELINE = "pipeline"
    MANUAL = "manual"


_ALL_ZERO_MESSAGES = {
    Method.HISTORY: "No won revenue in the history window for any of {keys}; "
    "choose another method.",
    Method.POTENTIAL: "No account potential recorded for any of {keys}; choose another method.",
    Method.PIPELINE: "No open pipeline for any of {keys}; choose another method.",
    Method.MANUAL: "Every manual weight is zero for {keys}; enter at least one positive weight.",
}


def _names(keys: Sequence[object], limit: int = 5) -> str:
    shown = ", ".join(str(key) for key in keys[:limit])
    return shown if len(keys) <= limit else f"{shown} and {len(keys) - limit} more"


def weights_for(
    method: Method | str,
    keys: Sequence[K],
    *,
    history: Mapping[K, Number] | None = None,
    potential: Mapping[K, Number] | None = None,
    pipeline: Mapping[K, Number] | None = None,
    manual: Mapping[K, Number] | None = None,
) -> dict[K, Decimal]:
    """Weights for `keys` under a method: equal -> 1 each; otherwise the method's own data.

    Keys missing from the data weigh 0 and data for other keys is ignored. Raises when the
    data is missing, negative, or zero for every key (there is nothing to weight by).
    """
    try:
        chosen = Method(method)
    except ValueError:
        options = ", ".join(m.value for m in Method)
        raise PlanningError(
            f"Unknown weighting method {method!r}; choose one of {options}."
        ) from None
    if chosen is Method.EQUAL:
        return {key: Decimal(1) for key in keys}
    data = {
        Method.HISTORY: history,
        Method.POTENTIAL: potential,
        Method.PIPELINE: pipeline,
        Method.MANUAL: manual,
    }[chosen]
    if data is None:
        raise PlanningError(f"The {chosen.value} method needs {chosen.value} data.")
    result: dict[K, Decimal] = {}
    for key in keys:
        value = _to_decimal(data.get(key, 0), f"The {chosen.value} weight for {key}")
        if value < 0:
            raise PlanningError(f"The {chosen.value} weight for {key} is negative ({_fmt(value)}).")
        result[key] = value
    if keys and not any(result.values()):
        raise PlanningError(_ALL_ZERO_MESSAGES[chosen].format(keys=_names(list(keys))))
    return result


# --------------------------------------------------------------------------- capacity


def padded(total: Number, padding_pct: Number, *, unit: Decimal = Decimal(1)) -> Decimal:
    """Over-assignment: `total x (1 + padding_pct / 100)`, rounded up to a multiple of `unit`.

    Rounding up means the padded total never falls below the requested padding.
    """
    unit = _check_unit(unit)
    amount = _to_decimal(total, "The total to pad")
    pct = _to_decimal(padding_pct, "The padding percentage")
    if amount < 0:
        raise PlanningError(f"The total to pad cannot be negative (got {_fmt(amount)}).")
    if pct < 0:
        raise PlanningError(f"The padding percentage cannot be negative (got {_fmt(pct)}).")
    exact = Fraction(amount) * (1 + Fraction(pct) / 100) / Fraction(unit)
    return _amount(math.ceil(exact), unit)


def reps_needed(
    target: Number,
    *,
    avg_productivity_per_rep: Number,
    expected_attainment: Number,
    ramp_months_lost: Number,
    attrition: Number,
) -> int:
    """Quota-carrying reps needed to deliver `target` in a year (capacity planning).

    effective capacity per rep = productivity x attainment x (1 - attrition x ramp lost)
    reps needed = ceil(target / effective capacity)

    - productivity: annual bookings of a fully ramped rep;
    - attainment: expected fraction of that actually delivered (0.8 = 80%);
    - attrition: fraction of seats that turn over in a year; each leaver is replaced by a
      new hire who loses `ramp_months_lost` of a year to ramp (a fraction of a year:
      3 months = 0.25). So each seat loses attrition x ramp lost of a year's output.
    """
    goal = _to_decimal(target, "The target")
    productivity = _to_decimal(avg_productivity_per_rep, "The productivity per rep")
    attainment = _to_decimal(expected_attainment, "The expected attainment")
    ramp_lost = _to_decimal(ramp_months_lost, "The share of a year lost to ramp")
    churn = _to_decimal(attrition, "The attrition rate")
    if goal < 0:
        raise PlanningError(f"The target cannot be negative (got {_fmt(goal)}).")
    if productivity <= 0:
        raise PlanningError(
            f"The productivity per rep must be positive (got {_fmt(productivity)})."
        )
    if attainment <= 0:
        raise PlanningError(f"The expected attainment must be positive (got {_fmt(attainment)}).")
    if not 0 <= ramp_lost <= 1:
        raise PlanningError(
            f"The share of a year lost to ramp must be between 0 and 1 (got {_fmt(ramp_lost)})."
        )
    if not 0 <= churn <= 1:
        raise PlanningError(f"The attrition rate must be between 0 and 1 (got {_fmt(churn)}).")
    capacity = (
        Fraction(productivity) * Fraction(attainment) * (1 - Fraction(churn) * Fraction(ramp_lost))
    )
    if capacity <= 0:
        raise PlanningError(
            "With full attrition and a full year lost to ramp, no rep adds any capacity."
        )
    return math.ceil(Fraction(goal) / capacity)


# --------------------------------------------------------------------------- cascades

N = TypeVar("N", bound=Hashable)  # a region
R = TypeVar("R", bound=Hashable)  # a rep


def padded_units(units: np.ndarray, padding_pct: Number) -> np.ndarray:
    """Whole units x (1 + padding_pct / 100), rounded up (vectorised `padded` for unit 1)."""
    pct = _to_decimal(padding_pct, "The padding percentage")
    if pct < 0:
        raise PlanningError(f"The padding percentage cannot be negative (got {_fmt(pct)}).")
    factor = 1 + Fraction(pct) / 100
    values = np.asarray(units, dtype=np.int64)
    return -((-values * factor.numerator) // factor.denominator)


def cascade(
    root: N,
    root_units: Sequence[int] | np.ndarray,
    children: Mapping[N, Sequence[N]],
    reps_in: Mapping[N, Sequence[R]],
    rep_weights: Mapping[R, Sequence[Number] | np.ndarray],
    *,
    padding_pct: Number = 0,
    label: Callable[[N], str] = str,
) -> tuple[dict[N, np.ndarray], dict[R, np.ndarray]]:
    """Break a root's monthly targets down the region tree to every region and rep.

    Business rules:
    - Each region's month is shared among its child regions and its own reps, in proportion
      to their weights in that month (a region weighs the sum of its reps' weights), so a rep
      ramping up takes less and the others more.
    - Every region month equals its child regions' months plus its own reps' share; the reps
      of a region together carry that share x (1 + padding), rounded up (over-assignment).
    - Largest-remainder rounding in whole units at every level, so every level sums exactly.

    `rep_weights` holds one weight per month for every rep. Returns (region months, rep
    months), both int64 arrays of whole units. Raises naming the region and the month when a
    region has a target in a month where none of its reps carries any weight.
    """
    months = len(root_units)
    rep_keys = list(rep_weights)
    row_of = {rep: row for row, rep in enumerate(rep_keys)}
    matrix_all = (
        np.array([np.asarray(rep_weights[rep], dtype=np.float64) for rep in rep_keys])
        if rep_keys
        else np.zeros((0, months))
    )
    if matrix_all.shape != (len(rep_keys), months):
        raise PlanningError(f"Every rep needs {months} monthly weights.")
    bad = ~np.isfinite(matrix_all) | (matrix_all < 0)
    if bad.any():
        rep = rep_keys[int(np.argwhere(bad)[0][0])]
        raise PlanningError(f"Rep {rep!r} has a negative or non-finite weight.")
    rows_in = {node: [row_of[rep] for rep in reps] for node, reps in reps_in.items()}

    node_weight: dict[N, np.ndarray] = {}
    own_weight: dict[N, np.ndarray] = {}

    def weigh(node: N) -> np.ndarray:
        rows = rows_in.get(node, [])
        own = matrix_all[rows].sum(axis=0) if rows else np.zeros(months)
        own_weight[node] = own
        total = own.copy()
        for child in children.get(node, ()):
            total = total + weigh(child)
        node_weight[node] = total
        return total

    weigh(root)
    region_units: dict[N, np.ndarray] = {}
    rep_units: dict[R, np.ndarray] = {}
    stack: list[tuple[N, np.ndarray]] = [(root, np.asarray(root_units, dtype=np.int64))]
    while stack:
        node, units = stack.pop()
        region_units[node] = units
        kids = list(children.get(node, ()))
        reps = list(reps_in.get(node, ()))
        if not kids and not reps:
            continue
        columns = [node_weight[kid] for kid in kids] + [own_weight[node]]
        matrix = np.stack(columns, axis=1)  # months x parts
        starved = (units > 0) & (matrix.sum(axis=1) == 0)
        if starved.any():
            month = int(np.argmax(starved)) + 1
            raise PlanningError(
                f"{label(node)} has a target in month {month} of the plan but nobody in it "
                "carries any weight then (no reps, no history, or everyone still ramping); "
                "choose another method or set that region's figure by hand."
            )
        split = allocate_units(units, matrix)
        for index, kid in enumerate(kids):
            stack.append((kid, split[:, index]))
        if reps:
            block = padded_units(split[:, -1], padding_pct)
            rep_split = allocate_units(block, matrix_all[rows_in[node]].T)
            rep_units.update(zip(reps, rep_split.T))
    return region_units, rep_units


def rebalance_month_cells(
    totals: Sequence[int] | np.ndarray,
    current: Mapping[K, Sequence[int] | np.ndarray],
    fixed: Mapping[K, Sequence[bool] | np.ndarray],
    *,
    label: Callable[[K], str] = str,
    month_label: Callable[[int], str] = lambda m: f"month {m + 1}",
    what: str = "the region",
) -> dict[K, np.ndarray]:
    """New monthly amounts of the parts of a region so each month adds up to `totals`.

    Fixed cells (edited or locked) keep their value; the other parts of the same month share
    what is left in proportion to their current amounts (equally when those are all zero).
    Raises naming the month when fixed cells exceed the month's total, or when every part is
    fixed and they do not add up to it.
    """
    totals = np.asarray(totals, dtype=np.int64)
    months = totals.shape[0]
    keys = list(current)
    if not keys:
        if totals.any():
            month = int(np.argmax(totals > 0))
            raise PlanningError(
                f"{what} has {_fmt(int(totals[month]))} in {month_label(month)} but no parts "
                "to share it among."
            )
        return {}
    values = np.stack([np.asarray(current[k], dtype=np.int64) for k in keys], axis=1)
    mask = np.stack(
        [np.asarray(fixed.get(k, np.zeros(months, bool)), dtype=bool) for k in keys], axis=1
    )
    if (values < 0).any():
        row, col = (int(i) for i in np.argwhere(values < 0)[0])
        raise PlanningError(
            f"The amount for {label(keys[col])} in {month_label(row)} cannot be negative."
        )
    fixed_sum = np.where(mask, values, 0).sum(axis=1)
    rest = totals - fixed_sum
    if (rest < 0).any():
        month = int(np.argmax(rest < 0))
        raise PlanningError(
            f"In {month_label(month)} the fixed amounts add up to {_fmt(int(fixed_sum[month]))}, "
            f"more than the {_fmt(int(totals[month]))} of {what}."
        )
    free = ~mask
    no_free = (free.sum(axis=1) == 0) & (rest != 0)
    if no_free.any():
        month = int(np.argmax(no_free))
        raise PlanningError(
            f"In {month_label(month)} every amount is fixed and they add up to "
            f"{_fmt(int(fixed_sum[month]))}, not the {_fmt(int(totals[month]))} of {what}; "
            "change another cell or unlock one."
        )
    weights = np.where(free, values, 0)
    equal = (weights.sum(axis=1) == 0)[:, None] & free
    weights = np.where(equal, 1, weights)
    split = allocate_units(rest, weights)
    result = np.where(mask, values, split)
    return {key: result[:, index] for index, key in enumerate(keys)}
