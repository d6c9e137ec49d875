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
from tests.support import copied_postgres, copied_sqlite, skip_or_fail, worker_id

ROOT = Path(__file__).resolve().parent.parent
SEED_TODAY = date.today()

# The app shows users a friendly message for unexpected errors; tests must see them instead.
os.environ["SALES_RAISE_ERRORS"] = "1"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def seed_templates(tmp_path_factory) -> Path:
    """A folder shared by every worker of this run, where seeded databases are built once."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if worker_id() else base) / "seed-templates"


def build_demo(url: str, seed: int, scale: str = "small", today: date = SEED_TODAY) -> None:
    """Migrate the empty database at `url` and seed the demo data into it."""
    from core.demo import seed as demo

    engine = make_engine(url)
    try:
        migrate(engine)
        demo.seed(engine, scale=scale, seed=seed, today=today)
    finally:
        engine.dispose()


def demo_sqlite(seed_templates: Path, target: Path, seed: int) -> str:
    """A SQLite file at `target` with the small demo data of `seed` ending at SEED_TODAY."""
    key = f"demo-small-{seed}-{SEED_TODAY.isoformat()}"
    return copied_sqlite(seed_templates, key, lambda url: build_demo(url, seed), target)


@pytest.fixture(scope="session")
def engine(backend, tmp_path_factory, seed_templates):
    """A migrated database with the small demo data, one per backend (and per parallel worker)
    for the whole run, copied from a template seeded once."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.db"
        engine = make_engine(demo_sqlite(seed_templates, path, seed=7))
    else:
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            skip_or_fail("TEST_DATABASE_URL is not set: no PostgreSQL to test against")
        engine = copied_postgres(seed_templates, url, "demo7", lambda url: build_demo(url, 7))
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
