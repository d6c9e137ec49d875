"""The database for the Streamlit app: one engine per process, cached query results, and the
one way a page writes.

Caches and data versions. A cached reader names the kinds of data it reads
(`cached("deals", "targets")`, the tags of db.versions) and is keyed by its arguments (the
acting user among them), the reader's language and the current versions of its tags. Every
write moves the versions of the tables it changed, in its own transaction, whoever writes (this
app, another instance, the command line, an import): db.versions does it for every engine. The
versions are read once per script run (one small SELECT, kept for the run and dropped when the
run writes), so every instance and every user sees a committed change at the next rerun, and a
write recomputes only the readers of what it changed: a rep's deal move moves "deals", so the
Targets page's readers ("targets", "org", "settings") stay cached for every region. When a
process first sees a tag's new version it drops the entries of that tag's readers (they can
never be read again). A result may stay an hour (the default `ttl`, for readers whose answer
also depends on the clock); a reader that depends only on the data may pass `ttl=None`.
"""

from __future__ import annotations

import functools
import threading
import types
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import streamlit as st
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core import memo
from core.errors import DomainError
from core.i18n import LANGUAGES, current_language
from db import versions
from db.config import DEFAULT_SQLITE_PATH, get_settings
from db.engine import make_engine, migrate, session_factory
from ui import flash

T = TypeVar("T")

TAGS = versions.TAGS
"""What a cached reader can depend on, and what a write can change."""

HOUR = 3600

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
    """A read-only unit of work. In a script run, the figures its services remember
    (core.memo) are shared with the run's other reads until the run writes."""
    with database()() as session:
        store = _run_memo()
        if store is not None:
            memo.share(session, store)
        yield session


def _run_memo() -> dict | None:
    """The store of remembered figures of this script run (None outside one)."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return None
    store = _kept_for_run(ctx, _RUN_MEMO)
    if store is None:
        store = _keep_for_run(ctx, _RUN_MEMO, {})
    return store


def _kept_for_run(ctx, slot: str):
    """What this script run keeps under `slot` (None in a new run: Streamlit gives each run,
    and each fragment run, a new `cursors` dict)."""
    kept = getattr(ctx, slot, None)
    return kept[1] if kept is not None and kept[0] is ctx.cursors else None


def _keep_for_run(ctx, slot: str, value: T) -> T:
    setattr(ctx, slot, (ctx.cursors, value))
    return value


def data_versions() -> dict[str, int]:
    """The versions of every kind of data, read once per script run (and again after the run
    writes); outside a script run, read at each call."""
    ctx = get_script_run_ctx()
    if ctx is not None and (kept := _kept_for_run(ctx, _RUN_VERSIONS)) is not None:
        return kept
    with read() as session:
        now = versions.current(session.connection())
    _forget_outdated(now)
    if ctx is not None:
        _keep_for_run(ctx, _RUN_VERSIONS, now)
    return now


_RUN_VERSIONS = "_sales_data_versions"
"""Where a script run keeps the versions it read (an attribute of its ScriptRunContext)."""
_RUN_MEMO = "_sales_remembered_figures"
"""Where a script run keeps the figures its reads remembered (core.memo)."""

_SEEN: dict[str, int] = {}
"""The newest version of each tag this process has seen."""
_SEEN_LOCK = threading.Lock()


def _forget_outdated(now: dict[str, int]) -> None:
    """Drop the entries of the readers of every tag whose version moved since this process
    last looked: they are keyed by the old version, so nothing will read them again."""
    with _SEEN_LOCK:
        moved = [tag for tag, v in now.items() if tag in _SEEN and _SEEN[tag] != v]
        _SEEN.update(now)
    for tag in moved:
        for reader in _READERS.get(tag, {}).values():
            reader.clear()


def _forget_run_versions() -> None:
    """After a write, the run reads the versions again (its own change included) and works
    its figures out afresh."""
    ctx = get_script_run_ctx()
    if ctx is not None:
        setattr(ctx, _RUN_VERSIONS, None)
        setattr(ctx, _RUN_MEMO, None)


def cached(*tags: str, ttl: int | None = HOUR, show_spinner: bool | str = False):
    """`st.cache_data` for a reader of `tags`, keyed by their data versions: a committed write
    to one of them (anywhere) is seen at the next run, other writes leave it cached.

    Each language has its own cache (a result may hold translated words: alert messages,
    score explanations), so a Chinese reader never sees an English result cached for another."""
    unknown = set(tags) - TAGS
    if not tags or unknown:
        raise ValueError(f"Tag a cached reader with some of {sorted(TAGS)}, not {sorted(unknown)}.")

    def decorate(function: Callable[..., T]) -> Callable[..., T]:
        reader = _by_language(function, frozenset(tags), ttl, show_spinner)
        where = (function.__code__.co_filename, function.__qualname__)
        for tag in tags:
            _READERS.setdefault(tag, {})[where] = reader
        return reader

    return decorate


class _by_language:  # noqa: N801 - used as a function
    """One st.cache_data reader per language, each a copy of the function under its own name
    (so Streamlit keeps separate caches), called with the language of this run and the
    versions of the reader's tags (a keyword argument the cache hashes with the others)."""

    def __init__(
        self, function: Callable, tags: frozenset[str], ttl: int | None, show_spinner: bool | str
    ) -> None:
        self._tags = tags
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
            self._readers[language] = st.cache_data(ttl=ttl, show_spinner=show_spinner)(
                _versioned(copy)
            )
        functools.update_wrapper(self, function)

    def __call__(self, *args, **kwargs):
        key = versions.key_of(data_versions(), self._tags)
        return self._readers[current_language()](*args, data_versions=key, **kwargs)

    def clear(self, *args, **kwargs) -> None:
        for reader in self._readers.values():
            reader.clear(*args, **kwargs)


def _versioned(function: Callable[..., T]) -> Callable[..., T]:
    """`function` with a `data_versions` keyword it ignores (the cache key's versions part).
    Streamlit names the positional arguments and finds the source through __wrapped__."""

    def reader(*args, data_versions, **kwargs):
        return function(*args, **kwargs)

    functools.update_wrapper(reader, function)
    return reader


def clear_caches(affects: Collection[str] | None = None) -> None:
    """Clear this process's cached readers of the tags in `affects`; every cache when it is
    None. (Writes need not call it: the data versions key every reader.)"""
    if affects is None:
        st.cache_data.clear()
        return
    for tag in affects:
        if tag not in TAGS:
            raise ValueError(f"Unknown cache tag '{tag}'.")
        for reader in _READERS.get(tag, {}).values():
            reader.clear()


_SEEN_VERSION = "_seen_version_"


def version_seen(key: str, current: int) -> int:
    """The version of a record as the person last saw it (the previous run of this session),
    for a write that must not overwrite a change made since; `current` the first time, and
    after this session's own write. The record itself is read afresh at every run (the data
    versions), so the version a form was filled against is the one shown before the click."""
    slot = _SEEN_VERSION + key
    seen = st.session_state.get(slot, current)
    st.session_state[slot] = current
    return seen


_OWN_VERSION = "_own_version_"


def checked_version(key: str, shown: int) -> int:
    """The version a write from a widget callback is checked against: the one shown, or the
    later one this session saved itself (a second tick that comes before the page showed the
    first one's save conflicts with nobody; anyone else's save since is still refused)."""
    return max(shown, st.session_state.get(_OWN_VERSION + key, shown))


def saved_version(key: str, version: int) -> None:
    """Remember the version this session's own write left the record at."""
    st.session_state[_OWN_VERSION + key] = version


def _forget_versions_seen() -> None:
    for slot in [k for k in st.session_state if str(k).startswith(_SEEN_VERSION)]:
        del st.session_state[slot]


@contextmanager
def write(affects: Collection[str] | None = None) -> Iterator[Session]:
    """A transaction: commits at the end of the block, rolls back on error. The commit moves
    the data versions of the tables written (db.versions), which is what the cached readers
    are keyed by; `affects` names the tags the write means to change (checked, not needed)."""
    unknown = set(affects or ()) - TAGS
    if unknown:
        raise ValueError(f"Unknown cache tags {sorted(unknown)}.")
    try:
        with writer().begin() as session:
            yield session
    finally:
        _forget_run_versions()
    if get_script_run_ctx() is not None:
        _forget_versions_seen()


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

    On success the data versions of what was written have moved (so the readers of
    `affects` read afresh at the rerun, in every instance), the session-state keys in `forget`
    are dropped, `after(result)` runs (e.g. to open the new record), the confirmation `done` (or
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
