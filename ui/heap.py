"""The app process's heap and Python's cycle collector.

A full collection walks every object the process holds: Streamlit, pandas, SQLAlchemy and our
modules, hundreds of thousands of them. One came in the middle of a manager's alert count at
1 M deals and took 60 ms of it. Frozen once, after the first run has imported the app and
opened the database, those objects are never walked again; what the runs create is collected
as before."""

from __future__ import annotations

import gc

_frozen = False


def freeze_startup_objects() -> None:
    """Once per process: collect what is garbage now, then move every object still alive out
    of the collector's generations (gc.freeze)."""
    global _frozen
    if _frozen:
        return
    gc.collect()
    gc.freeze()
    _frozen = True
