"""Weeks: a month's target spread over the ISO weeks it touches by working days.

A week that straddles two months takes its working days' part of each; the parts of one month
are cut by the largest remainder, so a month's weeks add up exactly to the month.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from core._allocation import allocate, allocate_units
from core.periods import month_end, working_days


def weeks_of_month(month_start: date) -> dict[date, int]:
    """Monday of each ISO week touching the month -> its working days inside the month."""
    last = month_end(month_start)
    monday = month_start - timedelta(days=month_start.weekday())
    out: dict[date, int] = {}
    while monday <= last:
        inside = working_days(max(monday, month_start), min(monday + timedelta(days=6), last))
        out[monday] = inside
        monday += timedelta(days=7)
    return out


def spread_over_weeks(
    month_start: date, amount: Decimal, unit: Decimal = Decimal(1)
) -> dict[date, Decimal]:
    """The month's `amount` cut into each touching ISO week (Monday -> part), in multiples of
    `unit`, in proportion to the week's working days in the month; the parts add up to
    `amount` exactly. A week with no working day in the month gets 0."""
    weights = weeks_of_month(month_start)
    return allocate(Decimal(amount), {day: Decimal(n) for day, n in weights.items()}, unit=unit)


def week_parts(
    month_start: date, amounts: list[Decimal], monday: date, unit: Decimal = Decimal(1)
) -> list[Decimal]:
    """Each amount's part in the ISO week starting `monday`, exactly as `spread_over_weeks`
    cuts it (one vectorised split for many rows of the same month); amounts are multiples
    of `unit`."""
    weights = weeks_of_month(month_start)
    if monday not in weights:
        return [Decimal(0)] * len(amounts)
    column = list(weights).index(monday)
    units = np.array([int(Decimal(a) / unit) for a in amounts], dtype=np.int64)
    split = allocate_units(units, np.array(list(weights.values()), dtype=np.int64))
    return [Decimal(int(n)) * unit for n in split[:, column]]
