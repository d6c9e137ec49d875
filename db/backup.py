"""Backup and restore of the embedded SQLite database (online, consistent while the app runs).

PostgreSQL is backed up with its own tools; `postgres_commands` returns the documented
pg_dump / pg_restore command lines for the configured database.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from db.engine import DatabaseUnavailable


def _sqlite_path(engine: Engine) -> Path:
    url = make_url(str(engine.url))
    if not url.drivername.startswith("sqlite") or not url.database:
        raise DatabaseUnavailable("Online backup and restore are for the embedded SQLite database.")
    return Path(url.database)


def backup_sqlite(engine: Engine, target: Path) -> int:
    """Copy the live database into `target` page by page; returns the bytes written."""
    source = _sqlite_path(engine)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.unlink()
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target.stat().st_size


def restore_sqlite(engine: Engine, backup: Path) -> None:
    """Replace the live database's content with the backup's, in one step."""
    if not backup.exists():
        raise DatabaseUnavailable(f"No backup file at {backup}.")
    try:
        with sqlite3.connect(backup) as check:
            tables = {row[0] for row in check.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError:  # not a database file at all (or a folder)
        tables = set()
    if "alembic_version" not in tables:
        raise DatabaseUnavailable(f"{backup} is not a backup of this application's database.")
    engine.dispose()
    with sqlite3.connect(backup) as src, sqlite3.connect(_sqlite_path(engine)) as dst:
        src.backup(dst)


def postgres_commands(url: str, target: str) -> tuple[str, str]:
    """The pg_dump and pg_restore commands for a PostgreSQL database URL."""
    parsed = make_url(url)
    conn = (
        f"-h {parsed.host or 'localhost'} -p {parsed.port or 5432} "
        f"-U {parsed.username or 'postgres'} -d {parsed.database}"
    )
    return (
        f"pg_dump --format=custom --no-owner {conn} --file {target}",
        f"pg_restore --clean --if-exists --no-owner {conn} {target}",
    )
