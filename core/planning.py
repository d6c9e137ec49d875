"""Quota planning arithmetic: splitting targets, seasonality, new-hire ramp and capacity.

Pure functions over plain data (no database, no UI). Money is `Decimal` in every result.

Rounding rule used throughout (largest remainder, also called Hamilton's method):
every exact share is expressed in whole `unit`s, floored, and the units still missing
from the total go one each to the shares with the largest fractional remainders. Ties
go to the key that comes first (mapping order for `allocate`, column order for the
vectorised functions). Results therefore always add up exactly to the total, and each
amount is within one unit of its exact proportional share.

This module is the public face; the arithmetic lives in the private modules it imports.
"""

from __future__ import annotations

from core._allocation import K, Number, PlanningError, allocate, allocate_rows, allocate_units
from core._capacity import padded, padded_units, reps_needed
from core._cascade import N, R, cascade, rebalance_month_cells
from core._ramp import DEFAULT_RAMP, RampResult, apply_ramp, ramp_factors
from core._seasonality import (
    MONTHS_PER_YEAR,
    calendar_profile,
    flat_profile,
    history_profile,
    manual_profile,
    spread_over_months,
)
from core._weeks import spread_over_weeks, week_parts, weeks_of_month
from core._weighting import Method, weights_for

__all__ = [
    "DEFAULT_RAMP",
    "MONTHS_PER_YEAR",
    "K",
    "Method",
    "N",
    "Number",
    "PlanningError",
    "R",
    "RampResult",
    "allocate",
    "allocate_rows",
    "allocate_units",
    "apply_ramp",
    "cascade",
    "calendar_profile",
    "flat_profile",
    "history_profile",
    "manual_profile",
    "padded",
    "padded_units",
    "ramp_factors",
    "rebalance_month_cells",
    "reps_needed",
    "spread_over_months",
    "spread_over_weeks",
    "week_parts",
    "weeks_of_month",
    "weights_for",
]
