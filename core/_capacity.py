"""Capacity: over-assignment (padding, always rounded up) and the reps a target needs."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import numpy as np

from core._allocation import Number, PlanningError, _amount, _check_unit, _fmt, _to_decimal
from core.i18n import _


def padded(total: Number, padding_pct: Number, *, unit: Decimal = Decimal(1)) -> Decimal:
    """Over-assignment: `total x (1 + padding_pct / 100)`, rounded up to a multiple of `unit`.

    Rounding up means the padded total never falls below the requested padding.
    """
    unit = _check_unit(unit)
    amount = _to_decimal(total, _("The total to pad"))
    pct = _to_decimal(padding_pct, _("The padding percentage"))
    if amount < 0:
        raise PlanningError(
            _("The total to pad cannot be negative (got {amount}).").format(amount=_fmt(amount))
        )
    if pct < 0:
        raise PlanningError(
            _("The padding percentage cannot be negative (got {pct}).").format(pct=_fmt(pct))
        )
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
    goal = _to_decimal(target, _("The target"))
    productivity = _to_decimal(avg_productivity_per_rep, _("The productivity per rep"))
    attainment = _to_decimal(expected_attainment, _("The expected attainment"))
    ramp_lost = _to_decimal(ramp_months_lost, _("The share of a year lost to ramp"))
    churn = _to_decimal(attrition, _("The attrition rate"))
    if goal < 0:
        raise PlanningError(
            _("The target cannot be negative (got {goal}).").format(goal=_fmt(goal))
        )
    if productivity <= 0:
        raise PlanningError(
            _("The productivity per rep must be positive (got {productivity}).").format(
                productivity=_fmt(productivity)
            )
        )
    if attainment <= 0:
        raise PlanningError(
            _("The expected attainment must be positive (got {attainment}).").format(
                attainment=_fmt(attainment)
            )
        )
    if not 0 <= ramp_lost <= 1:
        raise PlanningError(
            _("The share of a year lost to ramp must be between 0 and 1 (got {ramp_lost}).").format(
                ramp_lost=_fmt(ramp_lost)
            )
        )
    if not 0 <= churn <= 1:
        raise PlanningError(
            _("The attrition rate must be between 0 and 1 (got {churn}).").format(churn=_fmt(churn))
        )
    capacity = (
        Fraction(productivity) * Fraction(attainment) * (1 - Fraction(churn) * Fraction(ramp_lost))
    )
    if capacity <= 0:
        raise PlanningError(
            _("With full attrition and a full year lost to ramp, no rep adds any capacity.")
        )
    return math.ceil(Fraction(goal) / capacity)


def padded_units(units: np.ndarray, padding_pct: Number) -> np.ndarray:
    """Whole units x (1 + padding_pct / 100), rounded up (vectorised `padded` for unit 1)."""
    pct = _to_decimal(padding_pct, _("The padding percentage"))
    if pct < 0:
        raise PlanningError(
            _("The padding percentage cannot be negative (got {pct}).").format(pct=_fmt(pct))
        )
    factor = 1 + Fraction(pct) / 100
    values = np.asarray(units, dtype=np.int64)
    return -((-values * factor.numerator) // factor.denominator)
