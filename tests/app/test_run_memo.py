"""The reads of one page run share what the services remember (core.memo through ui.data.read):
the second read of a figure in the same run asks the database nothing, a write in the run makes
the next read work it out again, and the next run starts afresh."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _page() -> None:
    """A page that reads the stage calibration three times, writing between the 2nd and 3rd."""
    import streamlit as st

    from core.progress.calibration import stage_calibration
    from tests.support import statements_sent
    from ui.data import database, read, write

    engine = database().kw["bind"]
    asked: list[int] = []
    figures: list = []

    def calibration() -> None:
        with read() as session:
            figures.append(stage_calibration(session))

    for step in range(3):
        if step == 2:
            with write():  # a write of nothing: what matters is that the run wrote
                pass
        asked.append(statements_sent(engine, calibration))
    st.session_state.setdefault("runs", []).append(asked)
    st.session_state["same"] = figures[0] == figures[1] == figures[2]


def test_the_reads_of_one_run_share_what_they_remember_until_the_run_writes():
    at = AppTest.from_function(_page, default_timeout=60).run()
    assert not at.exception, at.exception
    at.run()  # a second run of the same session
    first, second = at.session_state["runs"]
    assert first[0] > 0 and first[1] == 0 and first[2] > 0, first
    assert second[0] > 0 and second[1] == 0, second  # a new run works it out again
    assert at.session_state["same"]
