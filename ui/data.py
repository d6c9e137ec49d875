"""The database for the Streamlit app: one engine per process, cached query results.

Query results are cached for a short time and keyed by the acting user; every write calls
`clear_caches()` so a saved change shows at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.orm import Session, sessionmaker

from db.config import DEFAULT_SQLITE_PATH, get_settings
from db.engine import make_engine, migrate, session_factory


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


@contextmanager
def write() -> Iterator[Session]:
    """A transaction: commits at the end of the block, rolls back on error, clears caches."""
    with writer().begin() as session:
        yield session
    clear_caches()


def clear_caches() -> None:
    st.cache_data.clear()
