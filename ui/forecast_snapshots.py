"""Forecast snapshots on the first page view after a boundary (a Monday or a period's first
day): a cheap check on every run, the snapshots themselves once a week."""

from __future__ import annotations

import logging
import os
from datetime import date

from core import clock
from core.performance.scorecard import benchmarks
from core.progress.snapshots import snapshots_due, take_snapshots
from ui.data import read, write

logger = logging.getLogger("sales")


def take_due_snapshots(today: date | None = None) -> None:
    """Take this week's snapshots when none exist yet; a failure is logged, never shown: the
    page the user asked for comes first, and the next page view tries again."""
    today = today or clock.today()
    try:
        with read() as session:
            if not snapshots_due(session, today):
                return
        with write() as session:
            commit = benchmarks(session).commit_probability
            take_snapshots(session, today, commit_probability=commit)
    except Exception:
        if os.environ.get("SALES_RAISE_ERRORS") == "1":  # tests must see real failures
            raise
        logger.exception("Taking the forecast snapshots failed")
