"""Guard the query plans of the hot paths: each test captures the SQL a core function really
sends (on the small demo) and asserts which index the database answers it from.

SQLite (no STAT4 statistics here, and no ANALYZE: it plans by its rules alone, so the plan on the
demo is the plan at a million deals): `EXPLAIN QUERY PLAN` must name the covering index and never
"SCAN deal". PostgreSQL plans by statistics, and on a small demo a sequential scan is often the
cheapest plan; there the tests run `SET LOCAL enable_seqscan = off` inside the test's transaction,
which checks the index is *usable* for the query (a plan without a sequential scan on deal
exists), not that the planner picks it at this size."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from core.models import Actor, Measure
from core.org.access import load_actor
from core.performance import alerts, funnel, scorecard
from core.performance import plan_vs_actual as review
from core.periods import quarter_of
from core.pipeline import exchange_rates, views
from core.progress import attainment as evaluation
from core.progress import counts, scopes
from db.schema import Activity, Person, Product
from tests.conftest import SEED_TODAY

Statement = tuple[str, Any]


@contextmanager
def captured_statements(session: Session) -> Iterator[list[Statement]]:
    """Every statement sent on the session's connection inside the block, with parameters."""
    connection = session.connection()
    statements: list[Statement] = []

    def capture(_conn, _cursor, statement, parameters, _context, _executemany):
        statements.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", capture)


def _reads(statement: str, table: str) -> bool:
    return statement.lstrip().upper().startswith(("SELECT", "WITH")) and bool(
        re.search(rf"\b(FROM|JOIN)\s+{table}\b", statement)
    )


def plans(session: Session, statements: list[Statement], table: str = "deal") -> list[Statement]:
    """(statement, its plan as one line) of each captured SELECT that reads `table`."""
    connection = session.connection()
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    out = []
    for statement, parameters in statements:
        if not _reads(statement, table):
            continue
        explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
        rows = connection.exec_driver_sql(explain + statement, parameters)
        out.append((statement, " | ".join(str(row[-1]).strip() for row in rows)))
    if postgres:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = on")
    return out


def sends(session: Session, call: Callable[[], object], table: str = "deal") -> list[Statement]:
    """The plans of the statements reading `table` that `call` sends."""
    with captured_statements(session) as statements:
        call()
    found = plans(session, statements, table)
    assert found, f"the call reads {table}"
    return found


PARTIAL = ("ix_deal_not_priced",)
"""Partial indexes whose every entry the query wants (the deals not priced): reading one
whole is no scan of the table."""


def never_scans(found: list[Statement], table: str, backend: str) -> None:
    partial = "|".join(PARTIAL)
    for statement, plan in found:
        if backend == "sqlite":
            scans = re.sub(rf"SCAN {table} USING (COVERING )?INDEX ({partial})\b", "", plan)
            assert not re.search(rf"\bSCAN {table}\b", scans), (statement, plan)
        else:
            assert f"Seq Scan on {table} " not in plan + " ", (statement, plan)


def uses(found: list[Statement], index: str, *, covering: bool = True, backend: str) -> None:
    """On SQLite, some statement reads through `index` (from the index alone, if covering).
    PostgreSQL picks among the usable indexes by its statistics (on the demo, often another
    one than at a million deals), so there only `never_scans` holds."""
    if backend != "sqlite":
        return
    joined = " || ".join(plan for _, plan in found)
    wanted = f"USING COVERING INDEX {index}" if covering else f"INDEX {index}"
    assert wanted in joined, joined


def _actor(session: Session, username: str) -> Actor:
    person_id = session.scalar(select(Person.id).where(Person.username == username))
    assert person_id is not None, username
    return load_actor(session, person_id)


# --- attainment (Home: won vs target by rep for a manager, by region for a director) -----------


def test_attainment_by_rep_reads_targets_on_the_region_index(session, backend):
    """a1: a manager's reps' targets are the plan's rows of the manager's regions: one range of
    ix_target_plan_region_month per region, not every rep-month row of the plan through the
    partial uq_target_rep_month; the won part from the covering ix_deal_won_closed."""
    actor = _actor(session, "manager")
    scope = scopes.default_scope(session, actor)
    period = quarter_of(SEED_TODAY)

    def call():
        return evaluation.breakdown(session, scope, period, today=SEED_TODAY)

    deals = sends(session, call)
    never_scans(deals, "deal", backend)
    uses(deals, "ix_deal_won_closed", backend=backend)
    targets = sends(session, call, "target")
    assert len(targets) == 1, targets
    never_scans(targets, "target", backend)
    uses(targets, "ix_target_plan_region_month", covering=False, backend=backend)
    if backend == "sqlite":
        assert "uq_target_rep_month" not in targets[0][1], targets


def test_attainment_by_region_reads_won_from_the_covering_index(session, backend):
    """a2: a director's regions: won from ix_deal_won_closed, the regions' own target rows
    (the partial uq_target_region_month holds exactly those) one range per region, with the
    plan looked up inside the same statement."""
    actor = _actor(session, "director")
    scope = scopes.default_scope(session, actor)
    period = quarter_of(SEED_TODAY)

    def call():
        return evaluation.breakdown(session, scope, period, today=SEED_TODAY)

    deals = sends(session, call)
    never_scans(deals, "deal", backend)
    uses(deals, "ix_deal_won_closed", backend=backend)
    targets = sends(session, call, "target")
    assert len(targets) == 1 and "target_plan" in targets[0][0], targets
    never_scans(targets, "target", backend)
    if backend == "sqlite":
        region_range = (
            r"SEARCH target USING INDEX uq_target_region_month \(plan_id=\? AND region_id=\?"
        )
        assert re.search(region_range, targets[0][1]), targets


@pytest.mark.parametrize("username", ["director", "manager"])
def test_home_figures_never_scan_deals(session, backend, username):
    """The headline and the split of Home search indexes for every deal figure (won from
    ix_deal_won_closed, the open pipeline from ix_deal_open_close)."""
    actor = _actor(session, username)
    period = quarter_of(SEED_TODAY)

    def call():
        scope = scopes.default_scope(session, actor)
        evaluation.scope_figures(session, scope, period, today=SEED_TODAY)
        evaluation.breakdown(session, scope, period, today=SEED_TODAY)

    found = sends(session, call)
    never_scans(found, "deal", backend)
    uses(found, "ix_deal_won_closed", backend=backend)
    uses(found, "ix_deal_open_close", backend=backend)


# --- plan vs actual ---------------------------------------------------------------------------


@pytest.mark.parametrize("dimension", ["region", "rep"])
def test_plan_vs_actual_reads_outcomes_from_the_covering_index(session, backend, dimension):
    """f: won and lost deals of the quarter and of the year before are read from
    ix_deal_won_closed alone (status and close date lead it, region and owner are on the
    entry), never through ix_deal_closed_status and the deal rows."""
    actor = _actor(session, "director")
    period = review.last_closed_quarter(SEED_TODAY)

    def call():
        return review.plan_vs_actual(session, actor, period, dimension, today=SEED_TODAY)

    found = sends(session, call)
    never_scans(found, "deal", backend)
    if backend == "sqlite":
        for statement, plan in found:
            assert "ix_deal_won_closed" in plan, (statement, plan)
            assert "ix_deal_closed_status" not in plan, (statement, plan)
            if "credit_split" not in statement:
                assert "USING COVERING INDEX ix_deal_won_closed" in plan, (statement, plan)
    else:
        uses(found, "ix_deal_won_closed", backend=backend)


# --- pipeline by stage ------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["director", "manager"])
def test_the_pipeline_board_reads_open_deals_from_an_index(session, backend, username):
    """b: the board's totals are the open deals by stage: an index on the open deals, never a
    scan of every deal."""
    actor = _actor(session, username)
    found = sends(session, lambda: views.pipeline_board(session, actor, views.PipelineFilter()))
    never_scans(found, "deal", backend)


# --- leaderboard, funnel, alerts (their indexes: migration 0022 and the stage stays) ----------


@pytest.mark.parametrize("username", ["director", "manager"])
def test_the_leaderboard_reads_every_part_from_an_index(session, backend, username):
    """c: won and lost from ix_deal_won_closed, created from ix_deal_created_cover, activities
    from ix_activity_person_date_type (a seek per rep and date range, type on the entry) and
    the stage at the period start from ix_deal_stage_history_cover, never a scan."""
    actor = _actor(session, username)
    period = quarter_of(SEED_TODAY)

    def call():
        return scorecard.leaderboard(session, actor, period)

    deals = sends(session, call)
    never_scans(deals, "deal", backend)
    uses(deals, "ix_deal_won_closed", backend=backend)
    if username == "director":  # a manager's created deals are found by owner
        uses(deals, "ix_deal_created_cover", backend=backend)
    activity = sends(session, call, "activity")
    never_scans(activity, "activity", backend)
    uses(activity, "ix_activity_person_date_type", backend=backend)
    history = sends(session, call, "deal_stage_history")
    never_scans(history, "deal_stage_history", backend)
    uses(history, "ix_deal_stage_history_cover", backend=backend)


@pytest.mark.parametrize("of_a_line", [False, True])
def test_the_won_deals_of_the_leaderboard_are_read_from_the_index_alone(
    session, backend, of_a_line
):
    """Cycle time, units and a product line's wins come from ix_deal_won_closed without a look
    at the deal's row (migration 0028): on SQLite no statement reads it as a non-covering
    index; on PostgreSQL, no statement scans the deals."""
    actor = _actor(session, "director")
    line = session.scalar(select(Product.product_line).order_by(Product.id)) if of_a_line else ""
    assert line or not of_a_line

    def call():
        return scorecard.leaderboard(session, actor, quarter_of(SEED_TODAY), product_line=line)

    deals = sends(session, call)
    never_scans(deals, "deal", backend)
    won = [(s, p) for s, p in deals if "ix_deal_won_closed" in p]
    if backend == "sqlite":
        assert len(won) >= 3, deals  # won (with cycle days), lost, units
        for statement, plan in won:
            assert "USING INDEX ix_deal_won_closed" not in plan, (statement, plan)


def test_the_funnel_reads_the_cohort_from_indexes(session, backend):
    """d: the cohort's stage stays from ix_deal_stage_stay_cohort, its deals' outcomes from a
    covering index on the creation date, never a scan of deal or of the stays."""
    actor = _actor(session, "director")
    period = quarter_of(SEED_TODAY)

    def call():
        return funnel.funnel(session, actor, period)

    deals = sends(session, call)
    never_scans(deals, "deal", backend)
    uses(deals, "ix_deal_created_outcome", backend=backend)
    stays = sends(session, call, "deal_stage_stay")
    never_scans(stays, "deal_stage_stay", backend)
    uses(stays, "ix_deal_stage_stay_cohort", backend=backend)


@pytest.mark.parametrize("username", ["director", "manager"])
@pytest.mark.parametrize("count", [False, True], ids=["list", "count"])
def test_alert_rules_never_scan_deals_or_customers(session, backend, username, count):
    """e: every rule of the alert list and of the navigation's open-alert count searches an
    index: a deal's last activity is its stored day (no lookup of its activities), neglected
    customers on
    ix_customer_status_last_activity, deals not priced on the partial ix_deal_not_priced, the
    slipping deals on ix_deal_status_close_changes (never every open deal's row), and (for the
    director) the stalled deals walk ix_deal_open_amount largest first."""
    actor = _actor(session, username)

    def call():
        if count:
            return alerts.open_alert_count(session, actor, today=SEED_TODAY)
        return alerts.current_alerts(session, actor, today=SEED_TODAY)

    deals = sends(session, call)
    never_scans(deals, "deal", backend)
    if username == "director":
        uses(deals, "ix_deal_not_priced", covering=False, backend=backend)
        if not count:
            uses(deals, "ix_deal_open_amount", covering=False, backend=backend)
    if not count:
        uses(deals, "ix_deal_status_close_changes", covering=False, backend=backend)
    assert not any("ix_activity_deal_date" in plan for _, plan in deals)
    customers = sends(session, call, "customer")
    never_scans(customers, "customer", backend)
    uses(customers, "ix_customer_status_last_activity", covering=False, backend=backend)


def test_the_visits_of_an_area_come_from_the_visits_index(session, backend):
    """g: the visits measure of a whole area (the director's alerts and leaderboard) is one
    range of the partial ix_activity_visits, never every activity; one person's visits still
    seek that person's part of ix_activity_person_date_type."""
    period = quarter_of(SEED_TODAY)

    def everyone():
        return counts.achieved(session, period, Measure.VISITS, by="owner")

    area = sends(session, everyone, "activity")
    never_scans(area, "activity", backend)
    uses(area, "ix_activity_visits", covering=False, backend=backend)
    rep = _actor(session, "rep")

    def own():
        mine = [Activity.person_id.in_([rep.id])]
        return counts.achieved(session, period, Measure.VISITS, by="owner", where=mine)

    uses(sends(session, own, "activity"), "ix_activity_person_date_type", backend=backend)


def test_the_currencies_in_use_come_from_the_currency_index(session, backend):
    """f: the Targets page's list of currencies is one seek per currency (never a read of every
    deal); the Exchange rates page's counts read ix_deal_currency_priced alone (every deal is
    counted, so the whole index, but never the table)."""
    actor = _actor(session, "director")
    listed = sends(session, lambda: exchange_rates.currencies_used(session, actor))
    never_scans(listed, "deal", backend)
    uses(listed, "ix_deal_currency_priced", backend=backend)
    counted = sends(session, lambda: exchange_rates.currencies_in_use(session, actor))
    if backend == "sqlite":
        assert all(
            "SCAN deal USING COVERING INDEX ix_deal_currency_priced" in plan for _, plan in counted
        ), counted
    else:
        never_scans(counted, "deal", backend)


# --- forecast snapshots (the first run rebuilds every period start) ---------------------------


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # EXPLAIN QUERY PLAN is SQLite's
def test_the_committed_deals_are_computed_once_for_all_the_snapshots(session, backend):
    """Computed inline, the rebuild from the stage history ran once per snapshot it fed (139 s
    instead of 29 s for the first run at 1 M deals)."""
    from core.progress.snapshots import take_snapshots

    with captured_statements(session) as statements:
        run = take_snapshots(session, SEED_TODAY, commit_probability=0.6)
    assert run.reconstructed, "the demo has period starts to rebuild"
    freezes = [
        (statement, parameters)
        for statement, parameters in statements
        if "INSERT INTO forecast_snapshot_deal" in statement
    ]
    assert len(freezes) == 2  # this week's period start, then the rebuilt ones
    for statement, parameters in freezes:
        rows = session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        plan = " | ".join(str(row[-1]) for row in rows)
        assert "MATERIALIZE committed_deals" in plan, plan
