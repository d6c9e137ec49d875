"""What every command needs: a migrated database and the administrator it acts as."""

from __future__ import annotations

import getpass
import sys
from datetime import date

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.errors import DomainError
from core.org.access import SYSTEM_ACTOR
from core.org.changes import apply_due_changes
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
