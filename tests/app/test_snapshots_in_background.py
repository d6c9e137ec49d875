"""The weekly forecast snapshots are taken in the background: the page view that finds them
due starts one run of its process and goes on without waiting for it."""

import sqlite3

import streamlit as st

from db.config import get_settings
from tests.conftest import demo_sqlite
from ui.data import database
from ui.forecast_snapshots import take_due_snapshots, wait_for_snapshots


def _snapshot_rows(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM forecast_snapshot").fetchone()[0]


def test_a_page_view_starts_the_snapshots_and_does_not_wait_for_them(
    seed_templates, tmp_path, monkeypatch
):
    path = tmp_path / "background.db"
    monkeypatch.setenv("DATABASE_URL", demo_sqlite(seed_templates, path, seed=11))
    get_settings.cache_clear()
    st.cache_resource.clear()
    database()  # opened (and migrated) before another writer takes the lock
    assert _snapshot_rows(path) == 0

    other_writer = sqlite3.connect(path, isolation_level=None)
    other_writer.execute("BEGIN IMMEDIATE")  # holds SQLite's write lock: the run must wait
    try:
        assert take_due_snapshots() is True  # returned at once, the run waits in its thread
        assert take_due_snapshots() is False  # one run per process at a time
        assert _snapshot_rows(path) == 0
    finally:
        other_writer.rollback()
        other_writer.close()

    wait_for_snapshots(60)
    taken = _snapshot_rows(path)
    assert taken > 0
    assert take_due_snapshots() is False  # this week's are taken: nothing more to do
    assert _snapshot_rows(path) == taken
