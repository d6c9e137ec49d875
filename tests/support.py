"""Helpers for tests that need a database server or a browser, and seeded databases built once
per run and copied (a SQLite file copy, a PostgreSQL `CREATE DATABASE ... TEMPLATE`)."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url

from db.engine import make_engine


def skip_or_fail(reason: str) -> None:
    """Skip with a visible reason on a laptop; fail in CI where everything must run."""
    if os.environ.get("REQUIRE_ALL_TESTS") == "1":
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def statements_sent(engine: Engine, work: Callable[[], object]) -> int:
    """How many SQL statements `work()` sends through `engine`."""
    count = 0

    def counted(*_args):
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", counted)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return count


def worker_id() -> str:
    """The pytest-xdist worker running this process ('gw0', 'gw1', ...), or '' when serial."""
    return os.environ.get("PYTEST_XDIST_WORKER", "")


def _database_name(url: str, suffix: str) -> str:
    """The database of `url` with this worker's id and `suffix` appended: parallel workers
    never share a database."""
    parts = [part for part in (worker_id(), suffix) if part]
    base = make_url(url).database
    return f"{base}_{'_'.join(parts)}" if parts else str(base)


def _admin(url: str):
    return make_engine(url).execution_options(isolation_level="AUTOCOMMIT")


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def fresh_postgres(url: str, suffix: str = ""):
    """An engine on an empty PostgreSQL database: the given one, or a sibling named with this
    worker's id and `suffix` (created as needed), so tests that rebuild the schema do not
    disturb others."""
    name = _database_name(url, suffix)
    if name != make_url(url).database:
        admin = _admin(url)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = _with_database(url, name)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    return engine


@contextmanager
def _locked(path: Path):
    """An exclusive lock on `path` shared by every worker of the run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def copied_sqlite(templates: Path, key: str, build: Callable[[str], None], target: Path) -> str:
    """A SQLite file at `target` equal to what `build(url)` makes of an empty database; the
    first caller of the run builds the template under `templates`, the others copy it."""
    template = templates / f"{key}.db"
    with _locked(templates / f"{key}.lock"):
        if not template.exists():
            partial = templates / f"{key}.building.db"
            partial.unlink(missing_ok=True)
            build(f"sqlite:///{partial}")
            partial.replace(template)
    return sqlite_copy(f"file:{template}?mode=ro", target)


def sqlite_copy(source: str, target: Path) -> str:
    """A copy at `target` of the SQLite database `source` (a path, a sqlite:/// URL or a file:
    URI), through SQLite's backup: consistent, with what is still in the WAL. Never shutil.copy
    a database this process has open: its close() drops every lock the process holds on the
    file (POSIX locks are per process), so another process's last close then deletes the WAL
    and the shared memory under the open connections, which fail with "disk I/O error"."""
    source = source.removeprefix("sqlite:///")
    target.parent.mkdir(parents=True, exist_ok=True)
    reader = sqlite3.connect(source, uri=source.startswith("file:"))
    copy = sqlite3.connect(target)
    try:
        reader.backup(copy)
    finally:
        copy.close()
        reader.close()
    return f"sqlite:///{target}"


def copied_postgres(templates: Path, url: str, key: str, build: Callable[[str], None]):
    """An engine on this worker's database named `key`, a copy (CREATE DATABASE ... TEMPLATE)
    of a template that the first caller of the run builds with `build(url)`."""
    template = f"{make_url(url).database}_template_{key}"
    with _locked(templates / f"pg-{key}.lock"):
        built = templates / f"pg-{key}.built"
        if not built.exists():  # this run's first: a template left by an older run is stale
            admin = _admin(url)
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{template}"'))
            admin.dispose()
            build(_with_database(url, template))
            built.touch()
        name = _database_name(url, key)
        admin = _admin(url)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        admin.dispose()
    return make_engine(_with_database(url, name))
