"""Engine and sessions for SQLite (WAL, foreign keys on) or PostgreSQL (psycopg 3), plus migration.

Every failure to reach or understand the database becomes one `DatabaseUnavailable` with a
message a person can act on; no caller has to show a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from db import versions
from db.config import PROJECT_DIR, get_settings

MIGRATIONS_DIR = PROJECT_DIR / "db" / "migrations"


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be opened, reached or migrated."""


def safe_url(url: str) -> str:
    """The database URL with its password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparseable URL)"


SQLITE_CACHE_KIB = 64 * 1024
"""Each connection's page cache, at most (SQLite fills it only as pages are read): 64 MiB, so a
process with its pool of connections stays within a few hundred MB on a small machine."""
SQLITE_MMAP_BYTES = 0x7FFF0000
"""Reads through a memory map of the file (SQLite's largest, about 2 GiB: a 1 M-deal database
fits): the pages live in the operating system's file cache, shared by every connection and
process and given back under memory pressure, not copied into each connection's cache."""


POSTGRESQL_OPTIONS = "-c jit=off"
"""Every PostgreSQL connection starts without JIT compilation. The server compiles any
statement whose estimated cost passes `jit_above_cost`, and our report queries over many
deals do: compiling took 170 ms of a 500 ms alert count that runs in 140 ms without it
(measured at 1 M deals). Behind PgBouncer, see docs/deploy.md."""


POSTGRESQL_PREPARE_THRESHOLD = None
"""psycopg never turns our statements into server-side prepared ones (by default it does from
a statement's fifth run on a connection). The pace rules run one statement per measure and
product line with the same text, and a prepared one cost 23 ms where a fresh plan takes
2.5 ms (a manager's target sums at 1 M deals: two of them took 46 ms of a 320 ms alert count);
report queries over many deals gain nothing from a plan kept for any parameters."""


def postgresql_options(url) -> str:
    """`POSTGRESQL_OPTIONS`, then the options the URL (or else PGOPTIONS) gives: theirs are
    kept, and come last so that they win (`-c jit=on` turns the compiler back on)."""
    theirs = url.query.get("options") or os.environ.get("PGOPTIONS", "")
    if isinstance(theirs, tuple):
        theirs = " ".join(theirs)
    return f"{POSTGRESQL_OPTIONS} {theirs}".strip()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Every connection: foreign keys, WAL, the cache and memory map above, temporary sorts in
    memory. Never ANALYZE or PRAGMA optimize: with this SQLite (no STAT4) the statistics make
    the planner pick worse indexes (the pipeline board 20x slower, measured)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def _sqlite_begin(conn) -> None:
    """Write transactions take SQLite's write lock at BEGIN (IMMEDIATE), so two writers queue
    on the busy timeout instead of one failing with "database is locked" when it upgrades a
    read lock. Other sessions keep the driver's own handling: reads hold no snapshot, and a
    write begins a transaction of its own (`sqlite_deferred_begin` asks for a plain BEGIN, for
    tests that roll back everything a unit of work did)."""
    options = conn.get_execution_options()
    if options.get("write", False):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif options.get("sqlite_deferred_begin", False):
        conn.exec_driver_sql("BEGIN")


def make_engine(url: str | None = None) -> Engine:
    """An engine for `url` (default: settings); raises DatabaseUnavailable on a bad URL."""
    url = url or get_settings().database_url
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(
            f"DATABASE_URL is not a valid database URL ({exc}). Expected e.g. "
            "sqlite:///data/sales.db or postgresql+psycopg://user:password@host/dbname."
        ) from None
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        versions.watch(engine)
        return engine
    if parsed.drivername in ("postgresql", "postgres"):
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    try:
        engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=10,
            connect_args={
                "options": postgresql_options(make_url(url)),
                "prepare_threshold": POSTGRESQL_PREPARE_THRESHOLD,
            },
        )
    except (NoSuchModuleError, ImportError) as exc:
        raise DatabaseUnavailable(
            f"No database driver for {safe_url(url)} ({exc}). Use sqlite:/// or "
            "postgresql+psycopg://."
        ) from None
    versions.watch(engine)
    return engine


def check_connection(engine: Engine) -> None:
    """Open one connection, or raise DatabaseUnavailable naming the database and the cause."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(
            f"Cannot connect to the database at {safe_url(str(engine.url))}: {reason}"
        ) from None


def alembic_config(engine: Engine):
    from alembic.config import Config

    # the stream of now: alembic's default is the sys.stdout of its first import, which a test
    # runner may have closed since ("I/O operation on closed file" in `alembic check`)
    config = Config(stdout=sys.stdout)
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (creates every table on an empty database)."""
    from alembic import command

    check_connection(engine)
    try:
        command.upgrade(alembic_config(engine), "head")
    except DBAPIError as exc:
        raise DatabaseUnavailable(
            f"Migrating the database at {safe_url(str(engine.url))} failed: {exc.orig}"
        ) from None


def is_migrated(engine: Engine) -> bool:
    return inspect(engine).has_table("alembic_version")


def session_factory(engine: Engine, *, write: bool = False) -> sessionmaker[Session]:
    """Sessions on `engine`; `write=True` for units of work that change data (on SQLite they
    take the write lock when they begin)."""
    bind = engine.execution_options(write=True) if write else engine
    return sessionmaker(bind, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commits when the block ends, rolls back on any error."""
    with factory.begin() as session:
        yield session
