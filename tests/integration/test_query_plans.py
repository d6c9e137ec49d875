"""Guard the query plans of the hot paths on SQLite, which has no STAT4 statistics here: a
filter on deal status could otherwise walk every deal through the owner index. Each deal
query of the attainment figures must search an index, never scan the deal table."""

from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from core.org.access import load_actor
from core.periods import quarter_of
from core.pipeline import views
from core.progress import attainment as evaluation
from core.progress import scopes
from db.schema import Person
from tests.conftest import SEED_TODAY


@contextmanager
def captured_statements(connection):
    statements: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _executemany):
        statements.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", capture)


def _plans(session, statements):
    for statement, parameters in statements:
        if " deal" not in statement or not statement.lstrip().upper().startswith("SELECT"):
            continue
        rows = session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        yield statement, " | ".join(str(row[-1]) for row in rows)


def _actor(session, username):
    return load_actor(session, session.scalar(select(Person.id).where(Person.username == username)))


SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
"""EXPLAIN QUERY PLAN is SQLite's; PostgreSQL keeps statistics and plans by them."""


@SQLITE_ONLY
@pytest.mark.parametrize("username", ["director", "manager"])
def test_attainment_figures_search_covering_indexes_and_never_scan_deals(session, username):
    actor = _actor(session, username)
    period = quarter_of(SEED_TODAY)
    connection = session.connection()
    with captured_statements(connection) as statements:
        scope = scopes.default_scope(session, actor)
        evaluation.scope_figures(session, scope, period)
        evaluation.breakdown(session, scope, period)
    plans = list(_plans(session, statements))
    assert plans, "the figures read deals"
    for statement, plan in plans:
        assert "SCAN deal" not in plan, (statement, plan)
    joined = " ".join(plan for _, plan in plans)
    assert "ix_deal_won_closed" in joined and "ix_deal_open_close" in joined, joined


@SQLITE_ONLY
def test_the_pipeline_board_does_not_scan_deals(session):
    actor = _actor(session, "manager")
    connection = session.connection()
    with captured_statements(connection) as statements:
        views.pipeline_board(session, actor, views.PipelineFilter())
    for statement, plan in _plans(session, statements):
        assert "SCAN deal" not in plan, (statement, plan)
