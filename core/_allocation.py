"""Splitting a total in proportion to weights, in whole rounding units.

Largest remainder (Hamilton's method): floor every exact share in whole units, then give the
units still missing one each to the largest fractional remainders, ties to the earlier key.
Results add up exactly to the total and each is within one unit of its exact share.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from decimal import Context, Decimal
from fractions import Fraction
from typing import TypeVar

import numpy as np

from core.errors import DomainError
from core.i18n import _

K = TypeVar("K", bound=Hashable)
Number = Decimal | int | float

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
        raise PlanningError(
            _("{what} must be a number (got {value!r}).").format(what=what, value=value)
        )
    if not result.is_finite():
        raise PlanningError(
            _("{what} must be a finite number (got {value}).").format(what=what, value=value)
        )
    return result


def _check_unit(unit: object) -> Decimal:
    result = _to_decimal(unit, _("The rounding unit"))
    if result <= 0:
        raise PlanningError(
            _("The rounding unit must be positive (got {result}).").format(result=_fmt(result))
        )
    return result


def _whole_units(amount: Decimal, unit: Decimal, what: str) -> int:
    """`amount` as a whole number of units; raises if it is not a multiple of `unit`."""
    ratio = Fraction(amount) / Fraction(unit)
    if ratio.denominator != 1:
        raise PlanningError(
            _("{what} ({amount}) is not a multiple of the rounding unit ({unit}).").format(
                what=what, amount=_fmt(amount), unit=_fmt(unit)
            )
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
                _(
                    "Every key with a positive weight is at its cap; the remaining {left} "
                    "unit(s) cannot go to keys with zero weight."
                ).format(left=_fmt(int(left)))
            )
        raise PlanningError(
            _(
                "All unlocked keys have zero weight, so the remaining {left} unit(s) "
                "cannot be shared out in proportion to weight."
            ).format(left=_fmt(int(left)))
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
    total = _to_decimal(total, _("The total to allocate"))
    if total < 0:
        raise PlanningError(
            _("The total to allocate cannot be negative (got {total}).").format(total=_fmt(total))
        )
    total_units = _whole_units(total, unit, _("The total to allocate"))
    floor = floor or {}
    cap = cap or {}
    locked = locked or {}
    for label, bounds in (("Locked", locked), ("Floor", floor), ("Cap", cap)):
        for key in bounds:
            if key not in weights:
                raise PlanningError(
                    _("{label} key {key!r} is not among the keys being allocated.").format(
                        label=label, key=key
                    )
                )
    weight_of: dict[K, Fraction] = {}
    for key, raw in weights.items():
        value = _to_decimal(raw, _("Weight for {key!r}").format(key=key))
        if value < 0:
            raise PlanningError(
                _("Weight for {key!r} is negative ({value}); weights must be zero or more.").format(
                    key=key, value=_fmt(value)
                )
            )
        weight_of[key] = Fraction(value)
    if not weight_of:
        if total_units != 0:
            raise PlanningError(
                _("There are no keys to allocate the total ({total}) to.").format(total=_fmt(total))
            )
        return {}

    locked_units: dict[K, int] = {}
    for key, raw in locked.items():
        value = _to_decimal(raw, _("Locked amount for {key!r}").format(key=key))
        if value < 0:
            raise PlanningError(
                _("Locked amount for {key!r} cannot be negative ({value}).").format(
                    key=key, value=_fmt(value)
                )
            )
        locked_units[key] = _whole_units(
            value, unit, _("Locked amount for {key!r}").format(key=key)
        )
    floor_units: dict[K, int] = {}
    for key, raw in floor.items():
        value = _to_decimal(raw, _("Floor for {key!r}").format(key=key))
        if value < 0:
            raise PlanningError(
                _("Floor for {key!r} cannot be negative ({value}).").format(
                    key=key, value=_fmt(value)
                )
            )
        floor_units[key] = math.ceil(Fraction(value) / Fraction(unit))
    cap_units: dict[K, int] = {}
    for key, raw in cap.items():
        value = _to_decimal(raw, _("Cap for {key!r}").format(key=key))
        if value < 0:
            raise PlanningError(
                _("Cap for {key!r} cannot be negative ({value}).").format(
                    key=key, value=_fmt(value)
                )
            )
        cap_units[key] = math.floor(Fraction(value) / Fraction(unit))
    for key in weight_of:
        if key in floor and key in cap:
            low, high = _to_decimal(floor[key], ""), _to_decimal(cap[key], "")
            if low > high:
                raise PlanningError(
                    _("Floor for {key!r} ({low}) is above its cap ({high}).").format(
                        key=key, low=_fmt(low), high=_fmt(high)
                    )
                )
            if floor_units[key] > cap_units[key]:
                raise PlanningError(
                    _(
                        "Floor ({low}) and cap ({high}) for {key!r} leave no multiple of the "
                        "rounding unit ({unit}) in between."
                    ).format(low=_fmt(low), high=_fmt(high), key=key, unit=_fmt(unit))
                )
        if key in locked_units:
            amount = _amount(locked_units[key], unit)
            if key in floor_units and locked_units[key] < floor_units[key]:
                raise PlanningError(
                    _(
                        "Locked amount for {key!r} ({amount}) is below its floor ({to_decimal})."
                    ).format(
                        key=key, amount=_fmt(amount), to_decimal=_fmt(_to_decimal(floor[key], ""))
                    )
                )
            if key in cap_units and locked_units[key] > cap_units[key]:
                raise PlanningError(
                    _(
                        "Locked amount for {key!r} ({amount}) is above its cap ({to_decimal})."
                    ).format(
                        key=key, amount=_fmt(amount), to_decimal=_fmt(_to_decimal(cap[key], ""))
                    )
                )

    locked_sum = sum(locked_units.values())
    locked_text = _fmt(_amount(locked_sum, unit))
    if locked_sum > total_units:
        raise PlanningError(
            _("Locked amounts ({locked_text}) exceed the total to allocate ({total}).").format(
                locked_text=locked_text, total=_fmt(total)
            )
        )
    remaining = total_units - locked_sum
    free = {key: weight for key, weight in weight_of.items() if key not in locked_units}
    if not free and remaining != 0:
        raise PlanningError(
            _(
                "Every key is locked, but the locked amounts ({locked_text}) fall "
                "short of the total to allocate ({total})."
            ).format(locked_text=locked_text, total=_fmt(total))
        )
    floor_sum = sum(floor_units.get(key, 0) for key in free)
    if floor_sum > remaining:
        floors_text = _("Floors ({amount})").format(amount=_fmt(_amount(floor_sum, unit)))
        if locked_sum:
            floors_text += _(" plus locked amounts ({locked_text})").format(locked_text=locked_text)
        raise PlanningError(
            _("{floors_text} exceed the total to allocate ({total}).").format(
                floors_text=floors_text, total=_fmt(total)
            )
        )
    if free and all(key in cap_units for key in free):
        cap_sum = sum(cap_units[key] for key in free)
        if cap_sum < remaining:
            caps_text = _("Caps ({amount})").format(amount=_fmt(_amount(cap_sum, unit)))
            if locked_sum:
                caps_text += _(" plus locked amounts ({locked_text})").format(
                    locked_text=locked_text
                )
            raise PlanningError(
                _(
                    "{caps_text} fall short of the total to allocate ({total}) and every "
                    "unlocked key is capped."
                ).format(caps_text=caps_text, total=_fmt(total))
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
        raise PlanningError(_("Row totals must be a flat list of whole units."))
    if totals.size and not np.issubdtype(totals.dtype, np.integer):
        raise PlanningError(_("Row totals must be whole numbers of units."))
    totals = totals.astype(np.int64, copy=False)
    matrix = np.asarray(weights)
    if matrix.dtype == object or matrix.dtype == bool:
        matrix = matrix.astype(np.float64)
    if matrix.ndim == 1:
        matrix = np.broadcast_to(matrix, (totals.shape[0], matrix.shape[0]))
    if matrix.ndim != 2 or matrix.shape[0] != totals.shape[0]:
        raise PlanningError(
            _("Weights must have one row per total ({shape} rows); got shape {shape2}.").format(
                shape=totals.shape[0], shape2=matrix.shape
            )
        )
    rows, cols = matrix.shape
    is_int = np.issubdtype(matrix.dtype, np.integer)
    if not is_int:
        matrix = matrix.astype(np.float64, copy=False)
        if not np.isfinite(matrix).all():
            raise PlanningError(_("Every weight must be a finite number."))
    if rows and (totals < 0).any():
        row = int(np.argmax(totals < 0))
        raise PlanningError(
            _("Row {row} has a negative total ({totals} units).").format(
                row=row, totals=_fmt(int(totals[row]))
            )
        )
    if matrix.size and (matrix < 0).any():
        row, col = (int(i) for i in np.argwhere(matrix < 0)[0])
        raise PlanningError(
            _("Weight in row {row}, column {col} is negative ({matrix}).").format(
                row=row, col=col, matrix=matrix[row, col]
            )
        )
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
            _("Row {row} has a total of {totals} units but every weight is zero.").format(
                row=row, totals=_fmt(int(totals[row]))
            )
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
            raise PlanningError(_("A row total is too large to split with non-integer weights."))
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
            value = _to_decimal(raw, _("The total for {describe}").format(describe=describe(index)))
        if value < 0:
            raise PlanningError(
                _("The total for {describe} cannot be negative ({value}).").format(
                    describe=describe(index), value=_fmt(value)
                )
            )
        quotient, rest = divmod(value, unit)
        if rest:
            raise PlanningError(
                _(
                    "The total for {describe} ({value}) is not a multiple of the rounding "
                    "unit ({unit})."
                ).format(describe=describe(index), value=_fmt(value), unit=_fmt(unit))
            )
        counts.append(int(quotient))
    if counts and max(counts) > _INT64_MAX:
        raise PlanningError(_("A total is too large to allocate in whole units."))
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
