"""Forecast snapshots, taken in the background after a boundary (a Monday or a period's first
day): every page view makes a cheap check; the first one that finds them due starts one
thread of this process that takes them, and no page waits for it.

Several instances (or a page view racing the command line) may start a run at the same time:
core.progress.snapshots keeps one and the others add nothing. A run that fails is logged; the
next page view starts another.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from core import clock
from core.performance.scorecard import benchmarks
from core.progress.snapshots import run_snapshots, snapshots_due
from ui.data import database, read, writer

logger = logging.getLogger("sales")

_LOCK = threading.Lock()
_RUN: threading.Thread | None = None
"""This process's run in progress (or the last one)."""
_FAILED: list[BaseException] = []
"""The failure of the last run, for wait_for_snapshots."""


def take_due_snapshots(today: date | None = None) -> bool:
    """Start taking this week's snapshots in the background when none exist yet and no run of
    this process is under way; True when a run was started. A failure of the check is logged,
    never shown: the page the user asked for comes first."""
    global _RUN
    today = today or clock.today()
    try:
        with read() as session:
            if not snapshots_due(session, today):
                return False
        factories = (database(), writer())  # resolved here: the thread runs outside a script run
    except Exception:
        if os.environ.get("SALES_RAISE_ERRORS") == "1":  # tests must see real failures
            raise
        logger.exception("Checking whether forecast snapshots are due failed")
        return False
    with _LOCK:
        if _RUN is not None and _RUN.is_alive():
            return False
        _RUN = threading.Thread(
            target=_take, args=(*factories, today), name="forecast-snapshots", daemon=True
        )
        _RUN.start()
    return True


def _take(read: sessionmaker[Session], write: sessionmaker[Session], today: date) -> None:
    _FAILED.clear()
    try:
        with read() as session:
            commit = benchmarks(session).commit_probability
        run = run_snapshots(read, write, today, commit_probability=commit)
        logger.info(
            "Forecast snapshots of %s: %s rows, %s committed deals",
            run.taken_on,
            run.rows,
            run.committed_deals,
        )
    except Exception as exc:
        logger.exception("Taking the forecast snapshots failed")
        _FAILED.append(exc)


def wait_for_snapshots(timeout: float | None = None) -> None:
    """Wait until this process's run in progress (if any) has finished; raise its failure
    (the page views only log it)."""
    with _LOCK:
        run = _RUN
    if run is not None:
        run.join(timeout)
        if _FAILED and not run.is_alive():
            raise _FAILED.pop()
