"""Caches keyed by data versions, under AppTest: a change committed outside the app process
(the command line, a plain session on another engine) shows at the next rerun without clearing
a cache, and a deal move leaves the Targets page's cached readers alone."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, update

from core.periods import fiscal_year_of
from core.pipeline.deals import DealMove, move_deal
from core.plans.allocation import create_plan
from db.engine import make_engine, session_factory
from db.schema import Commitment, Deal, Person, Region, Stage, TargetPlan
from tests.app.conftest import signed_in
from tests.conftest import ROOT
from tests.plan_factories import actor_named
from ui import plan_series

YEAR = fiscal_year_of(date.today()) + 3
"""A year no other test plans for."""


@pytest.fixture
def db(app_database):
    engine = make_engine(app_database)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def draft(db):
    """A FY YEAR draft plan of 6,000,000, removed afterwards."""
    with db.begin() as session:
        director = actor_named(session, "director")
        info = create_plan(
            session, director, fiscal_year=YEAR, company_target=Decimal(6_000_000), method="equal"
        )
    yield info
    with db.begin() as session:
        session.execute(delete(Commitment).where(Commitment.fiscal_year == YEAR))
        session.execute(delete(TargetPlan).where(TargetPlan.fiscal_year == YEAR))


def _targets(at, year: int = YEAR):
    at.switch_page("pages/targets.py").run()
    if at.selectbox(key="targets_year").value != year:
        at.selectbox(key="targets_year").select(year).run()
    assert not at.exception, at.exception
    return at


def _header(at) -> str:
    return next(m.value for m in at.metric if m.label == f"FY{YEAR} v1")


@contextmanager
def calls_of(function) -> Iterator[list[int]]:
    """Count how often the body of a cached reader runs (in any thread started meanwhile,
    such as AppTest's script runs): a cache hit never enters it."""
    code = function.__wrapped__.__code__
    count = [0]

    def profile(frame, event, _arg):
        if event == "call" and frame.f_code is code:
            count[0] += 1

    threading.setprofile(profile)
    try:
        yield count
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]


def test_a_plan_approved_on_the_command_line_shows_at_the_next_rerun(draft, app_database):
    at = _targets(signed_in("director"))
    assert "draft" in _header(at)
    done = subprocess.run(
        [sys.executable, "manage.py", "plan", "approve", "--year", str(YEAR)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"DATABASE_URL": app_database, "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    at.run()
    assert not at.exception, at.exception
    assert "approved" in _header(at)


def _subtree(session, root_id: int) -> set[int]:
    parents = dict(session.execute(select(Region.id, Region.parent_id)).all())
    inside = {root_id}
    grew = True
    while grew:
        more = {r for r, p in parents.items() if p in inside} - inside
        inside |= more
        grew = bool(more)
    return inside


def _move_a_deal_outside(db, manager_region: int) -> None:
    """An open deal of another region moves one stage on, through the service, on an engine
    of its own (not the app's)."""
    with db.begin() as session:
        mine = _subtree(session, manager_region)
        deal_id, version, position = session.execute(
            select(Deal.id, Deal.version, Stage.position)
            .join(Stage, Stage.id == Deal.stage_id)
            .where(Deal.status == "open", Deal.region_id.not_in(mine))
            .where(Stage.is_won.is_(False), Stage.is_lost.is_(False))
            .order_by(Deal.id)
            .limit(1)
        ).one()
        to_stage = session.scalar(
            select(Stage.id)
            .where(Stage.position > position, Stage.is_won.is_(False), Stage.is_lost.is_(False))
            .order_by(Stage.position)
            .limit(1)
        )
        move = DealMove(to_stage_id=to_stage, seen_version=version, override=True, reason="t")
        move_deal(session, actor_named(session, "director"), deal_id, move)


def test_a_deal_move_does_not_recompute_the_targets_readers(db, draft):
    with db() as session:
        manager = select(Person.region_id).where(Person.username == "manager")
        manager_region = session.scalar(manager)
    at = _targets(signed_in("manager"), fiscal_year_of(date.today()))
    with calls_of(plan_series.series_of_year) as calls:
        at.run()
        assert calls[0] == 0  # cached from the first render
        _move_a_deal_outside(db, manager_region)
        at.run()
        assert not at.exception, at.exception
        assert calls[0] == 0  # the deal move left the "targets" reader cached
        with db.begin() as session:  # a plan edit does not
            session.execute(
                update(TargetPlan)
                .where(TargetPlan.id == draft.id)
                .values(company_target=Decimal(6_100_000))
            )
        at.run()
        assert not at.exception, at.exception
        assert calls[0] == 1
