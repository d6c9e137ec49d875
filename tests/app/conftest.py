"""AppTest setup: the real app.py over a seeded SQLite file, signing in through the form."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.demo.org import DEMO_PASSWORD
from db.config import get_settings
from tests.conftest import ROOT, demo_sqlite
from ui.forecast_snapshots import wait_for_snapshots


@pytest.fixture(scope="session")
def app_database(tmp_path_factory, seed_templates) -> str:
    """The small demo data (seed 11) for this worker's AppTests, copied from a template."""
    return demo_sqlite(seed_templates, tmp_path_factory.mktemp("app") / "app.db", seed=11)


@pytest.fixture(autouse=True)
def app_env(app_database, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", app_database)
    get_settings.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    wait_for_snapshots(60)  # a run a page view started ends before its database goes
    get_settings.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()


def new_app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


def signed_in(username: str, password: str = DEMO_PASSWORD) -> AppTest:
    """The app after signing in through the login form."""
    at = new_app().run()
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at
