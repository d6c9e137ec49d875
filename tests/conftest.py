"""Shared test setup: real SQLite files, and a real PostgreSQL when TEST_DATABASE_URL is set.

In CI (`REQUIRE_ALL_TESTS=1`, set by .ci/run) a missing PostgreSQL or Chromium fails the run
instead of skipping, so a green CI always means every test ran.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from db.engine import make_engine, migrate
from tests.support import fresh_postgres, skip_or_fail

ROOT = Path(__file__).resolve().parent.parent
SEED_TODAY = date.today()

# The app shows users a friendly message for unexpected errors; tests must see them instead.
os.environ["SALES_RAISE_ERRORS"] = "1"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def engine(backend, tmp_path_factory):
    """A migrated database with the small demo data, one per backend for the whole run."""
    from core.demo import seed as demo

    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.db"
        engine = make_engine(f"sqlite:///{path}")
    else:
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            skip_or_fail("TEST_DATABASE_URL is not set: no PostgreSQL to test against")
        engine = fresh_postgres(url)
    migrate(engine)
    demo.seed(engine, scale="small", seed=7, today=SEED_TODAY)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    """A session whose work is rolled back after the test (services may commit savepoints)."""
    with engine.connect() as connection:
        # A real transaction from the start (on SQLite an explicit BEGIN), so every savepoint
        # the services take nests inside it and the final rollback undoes everything.
        connection = connection.execution_options(sqlite_deferred_begin=True)
        transaction = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
            yield session
        transaction.rollback()
