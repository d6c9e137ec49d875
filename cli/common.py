"""What every command needs: a migrated database and the administrator it acts as."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import date

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.errors import DomainError
from core.org.access import SYSTEM_ACTOR
from core.org.changes import apply_due_changes
from core.periods import FIRST_YEAR, LAST_YEAR
from db.engine import make_engine, migrate, session_factory

ACTOR = SYSTEM_ACTOR
"""The command line acts as an administrator; the audit log records it as manage.py."""


def engine() -> Engine:
    """The database from DATABASE_URL, migrated to the newest schema, with the scheduled
    organisation changes whose date has come carried out."""
    db_engine = make_engine()
    migrate(db_engine)
    with session_factory(db_engine, write=True).begin() as session:
        apply_due_changes(session, date.today())
    return db_engine


def sessions(*, write: bool = True) -> sessionmaker[Session]:
    """Sessions for a command: writing ones (one transaction per command) by default, reading
    ones for reports."""
    return session_factory(engine(), write=write)


def read_password(given: str | None) -> str:
    """The --password value, else one line of stdin, else a prompt asked twice."""
    if given:
        return given
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise DomainError("The two passwords differ.")
    return first


def fiscal_year_arg(text: str) -> int:
    """A --year option: a whole year a plan or a period may name."""
    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a year, e.g. 2027") from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(
            f"the year must be between {FIRST_YEAR} and {LAST_YEAR}, got {year}"
        )
    return year


def version_arg(text: str) -> int:
    """A --version option: a plan version, 1 or more."""
    try:
        version = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a version number, e.g. 2") from None
    if not 1 <= version <= 1_000_000:
        raise argparse.ArgumentTypeError(f"a version is 1 or more, got {version}")
    return version
