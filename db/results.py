"""What a statement did to the database, read from its result."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result


def affected_rows(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched. `Session.execute` is typed to return a plain Result,
    but for these statements it is always a CursorResult, which carries the count."""
    return cast(CursorResult[Any], result).rowcount
