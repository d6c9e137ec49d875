"""Weeks: a month's target spread over the ISO weeks it touches by working days.

A week that straddles two months takes its working days' part of each; the parts of one month
are cut by the largest remainder, so a month's weeks add up exactly to the month.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from core._allocation import allocate
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
