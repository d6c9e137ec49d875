"""The database for the Streamlit app: one engine per process, cached query results, and the
one way a page writes.

Query results are cached for a short time, keyed by their arguments (the acting user among
them), and tagged by what they read (`cached("deals", "targets")`). A write names what it
changes (`save(..., affects={"targets"})`) and clears only the readers of those tags, so a saved
change shows at once while unrelated figures stay cached.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import streamlit as st
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import DomainError
from core.i18n import LANGUAGES, current_language
from db.config import DEFAULT_SQLITE_PATH, get_settings
from db.engine import make_engine, migrate, session_factory
from ui import flash

T = TypeVar("T")

TAGS = frozenset(
    {
        "activities",  # visits, calls and other activities
        "alerts",  # alert states (acknowledged, snoozed)
        "customers",  # the customer archive and contacts
        "deals",  # deals, their stages, teams and history
        "org",  # regions, people, managers, scheduled moves
        "reviews",  # pipeline reviews and their action items
        "settings",  # company settings: fiscal year, ramp, stages, scorecard weights, presets
        "targets",  # plans, targets and bottom-up figures
    }
)
"""What a cached reader can depend on, and what a write can change."""

_READERS: dict[str, dict[tuple[str, str], Callable]] = {}
"""The cached readers under each tag, keyed by where they are defined."""


@st.cache_resource(show_spinner="Opening the database…")
def database() -> sessionmaker[Session]:
    """Migrate on first start; fill the embedded database with demo data when it is empty.
    Returns the factory of read sessions; `write()` uses the writing one."""
    engine = make_engine()
    migrate(engine)
    from core.demo import seed as demo

    embedded = get_settings().database_url == f"sqlite:///{DEFAULT_SQLITE_PATH}"
    if embedded and demo.is_empty(engine):
        demo.seed(engine, scale="demo")
    return session_factory(engine)


@st.cache_resource
def writer() -> sessionmaker[Session]:
    """The factory of write sessions (SQLite: BEGIN IMMEDIATE)."""
    return session_factory(database().kw["bind"], write=True)


@contextmanager
def read() -> Iterator[Session]:
    """A read-only unit of work."""
    with database()() as session:
        yield session


def cached(*tags: str, ttl: int = 60, show_spinner: bool | str = False):
    """`st.cache_data` for a reader of `tags`: a write that affects one of them clears it.

    Each language has its own cache (a result may hold translated words: alert messages,
    score explanations), so a Chinese reader never sees an English result cached for another."""
    unknown = set(tags) - TAGS
    if not tags or unknown:
        raise ValueError(f"Tag a cached reader with some of {sorted(TAGS)}, not {sorted(unknown)}.")

    def decorate(function: Callable[..., T]) -> Callable[..., T]:
        reader = _by_language(function, ttl, show_spinner)
        where = (function.__code__.co_filename, function.__qualname__)
        for tag in tags:
            _READERS.setdefault(tag, {})[where] = reader
        return reader

    return decorate


class _by_language:  # noqa: N801 - used as a function
    """One st.cache_data reader per language, each a copy of the function under its own name
    (so Streamlit keeps separate caches), called with the language of this run."""

    def __init__(self, function: Callable, ttl: int, show_spinner: bool | str) -> None:
        self._readers = {}
        for language in LANGUAGES:
            copy = types.FunctionType(
                function.__code__,
                function.__globals__,
                function.__name__,
                function.__defaults__,
                function.__closure__,
            )
            copy.__kwdefaults__ = function.__kwdefaults__
            copy.__module__ = function.__module__
            copy.__qualname__ = f"{function.__qualname__}[{language}]"
            copy.__doc__ = function.__doc__
            self._readers[language] = st.cache_data(ttl=ttl, show_spinner=show_spinner)(copy)
        functools.update_wrapper(self, function)

    def __call__(self, *args, **kwargs):
        return self._readers[current_language()](*args, **kwargs)

    def clear(self, *args, **kwargs) -> None:
        for reader in self._readers.values():
            reader.clear(*args, **kwargs)


def clear_caches(affects: Collection[str] | None = None) -> None:
    """Clear the cached readers of the tags in `affects`; every cache when it is None."""
    if affects is None:
        st.cache_data.clear()
        return
    for tag in affects:
        if tag not in TAGS:
            raise ValueError(f"Unknown cache tag '{tag}'.")
        for reader in _READERS.get(tag, {}).values():
            reader.clear()


@contextmanager
def write(affects: Collection[str] | None = None) -> Iterator[Session]:
    """A transaction: commits at the end of the block, rolls back on error, then clears the
    readers of `affects` (every cache when it is None)."""
    with writer().begin() as session:
        yield session
    clear_caches(affects)


def save(
    action: Callable[[Session], T],
    done: str | Callable[[T], str],
    *,
    affects: Collection[str] | None,
    labels: dict[str, str] | None = None,
    forget: Sequence[str] = (),
    after: Callable[[T], object] | None = None,
    in_callback: bool = False,
    keep_raising: tuple[type[Exception], ...] = (),
) -> T | None:
    """Write, then report: run `action` in one unit of work and tell the user how it went.

    On success the readers of `affects` are cleared (None: every cache, while a view that
    shows the change still has untagged readers), the session-state keys in `forget` are
    dropped, `after(result)` runs (e.g. to open the new record), the confirmation `done` (or
    `done(result)`) is shown after the rerun, and the page reruns.

    A refusal (DomainError, or a pydantic ValidationError naming the fields, with `labels` for
    their names on the form) is shown where the write was asked for; nothing is saved and None
    is returned. In a widget callback the refusal shows on the next run and Streamlit reruns
    by itself. Exceptions in `keep_raising` reach the caller (after the rollback).
    """
    flash.clear()
    try:
        with write(affects) as session:
            result = action(session)
    except keep_raising:
        raise
    except (DomainError, ValidationError) as exc:
        message = flash.error_message(exc, labels)
        if in_callback:
            flash.flash_error(message)
        else:
            st.error(message)
        return None
    for key in forget:
        st.session_state.pop(key, None)
    if after is not None:
        after(result)
    flash.flash(done(result) if callable(done) else done)
    if not in_callback:
        st.rerun()
    return result
