"""Column helpers for generating demo rows with numpy: days are counted from 1 January 1970."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

NULL = np.array(None, dtype=object)
"""None as a numpy value: `np.where(condition, values, NULL)` leaves NULL where not chosen."""


def iso_days(days: np.ndarray) -> np.ndarray:
    """Days since the epoch -> ISO date strings (object array)."""
    return np.datetime_as_string(days.astype("datetime64[D]")).astype(object)


def iso_days_or_none(days: np.ndarray, present: np.ndarray) -> np.ndarray:
    """ISO date strings where `present`, None elsewhere."""
    out = iso_days(np.where(present, days, 0))
    out[~present] = None
    return out


def day_number(value: date) -> int:
    """A date as days since the epoch."""
    return (value - date(1970, 1, 1)).days


def office_timestamps(days: np.ndarray, rng: np.random.Generator, step=None) -> np.ndarray:
    """Office-hours timestamps on the given days; with `step`, later steps come later."""
    if step is None:
        seconds = rng.integers(8 * 3600, 18 * 3600, size=len(days))
    else:
        seconds = 8 * 3600 + np.minimum(step, 50) * 600 + rng.integers(0, 600, size=len(days))
    stamps = days.astype("datetime64[D]").astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    return np.char.replace(np.datetime_as_string(stamps), "T", " ").astype(object)


def pick(rng: np.random.Generator, options, size: int, p=None) -> np.ndarray:
    """`size` random choices from `options` (with probabilities `p`), as an object array."""
    return np.array(options, dtype=object)[rng.choice(len(options), size=size, p=p)]


def date_of_day(day: int) -> date:
    """Days since the epoch as a date."""
    return date(1970, 1, 1) + timedelta(days=int(day))
