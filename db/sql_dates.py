"""Day arithmetic in SQL that works the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, cast, func
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def days_between(
    session: Session, later, earlier, *, timestamps: bool = False
) -> ColumnElement[Any]:
    """Days from `earlier` to `later` (dates, or timestamps with fractions of a day)."""
    if is_sqlite(session):
        return func.julianday(later) - func.julianday(earlier)
    if timestamps:
        return func.extract("epoch", later - earlier) / 86400.0
    return cast(later - earlier, Float)
