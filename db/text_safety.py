"""NUL characters never reach the database.

PostgreSQL cannot store a NUL (0x00) in text and fails the whole statement; SQLite stores it
and every later export carries it. A NUL is never meaningful in a name, a note or a cell, so
it is dropped from every text parameter of every statement, on every engine. (Bulk COPY in
db/bulk.py bypasses this: imports drop NULs when reading the file.)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

NUL = "\x00"


def _clean(value: Any) -> Any:
    return value.replace(NUL, "") if isinstance(value, str) and NUL in value else value


def _has_nul(values) -> bool:
    return any(isinstance(v, str) and NUL in v for v in values)


def _clean_set(params: Any) -> Any:
    if isinstance(params, dict):
        if _has_nul(params.values()):
            return {key: _clean(value) for key, value in params.items()}
        return params
    if isinstance(params, (tuple, list)) and _has_nul(params):
        return type(params)(_clean(value) for value in params)
    return params


def drop_nul_characters(conn, cursor, statement, parameters, context, executemany):
    """before_cursor_execute hook: the same statement with NUL-free text parameters."""
    if not parameters:
        return statement, parameters
    if executemany and isinstance(parameters, (list, tuple)):
        first = parameters[0] if parameters else None
        if isinstance(first, (dict, list, tuple)):
            if not any(_has_nul(p.values() if isinstance(p, dict) else p) for p in parameters):
                return statement, parameters  # the usual case: nothing copied
            return statement, type(parameters)(_clean_set(p) for p in parameters)
    return statement, _clean_set(parameters)


if not event.contains(Engine, "before_cursor_execute", drop_nul_characters):
    event.listen(Engine, "before_cursor_execute", drop_nul_characters, retval=True)
