"""Helpers for tests that need a database server or a browser."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.engine import make_engine


def skip_or_fail(reason: str) -> None:
    """Skip with a visible reason on a laptop; fail in CI where everything must run."""
    if os.environ.get("REQUIRE_ALL_TESTS") == "1":
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def fresh_postgres(url: str, suffix: str = ""):
    """An engine on an empty PostgreSQL database: the given one, or a sibling named with
    `suffix` (created as needed), so tests that rebuild the schema do not disturb others."""
    if suffix:
        admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
        name = f"{make_url(url).database}_{suffix}"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = make_url(url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    return engine
