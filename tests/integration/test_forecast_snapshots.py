"""Forecast snapshots: taken at a period's start and weekly, never changed afterwards; forecast
accuracy and the "as of" forecast read them; who may read which snapshot."""

import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, select

from core.errors import PermissionDenied
from core.models import Role
from core.org.access import SYSTEM_ACTOR
from core.performance import scorecard
from core.periods import parse_period
from core.progress import snapshot_views, snapshots
from core.progress.attainment import attainment_report
from db.schema import Deal, ForecastSnapshot, ForecastSnapshotDeal, Stage
from tests import factories
from tests import performance_factories as pf
from tests.conftest import ROOT

Q2_2030 = parse_period("2030Q2")
START = date(2030, 4, 1)  # a Monday and the first day of April, 2030Q2 and (Jan start) no year


@pytest.fixture
def team(session):
    region = factories.region(session)
    other_region = factories.region(session)
    rep = factories.person(session, "rep", region)
    peer = factories.person(session, "rep", region)
    outsider = factories.person(session, "manager", other_region, manages=[other_region])
    manager = factories.person(session, "manager", region, manages=[region])
    plan = pf.approved_plan(session, 2030)
    for month in (4, 5, 6):
        pf.rep_target(session, plan, rep, date(2030, month, 1), 1000)
    customer = factories.customer(session, rep, region)
    negotiation = pf.deal(
        session,
        rep,
        customer,
        amount=2000,
        stage="Negotiation",
        created_on=date(2030, 2, 1),
        expected_close=date(2030, 5, 20),
    )
    pf.history(session, negotiation, ("Lead", date(2030, 2, 1)), ("Negotiation", date(2030, 3, 15)))
    evaluation = pf.deal(
        session,
        rep,
        customer,
        amount=1500,
        stage="Evaluation",
        created_on=date(2030, 3, 1),
        expected_close=date(2030, 6, 10),
    )
    pf.history(session, evaluation, ("Lead", date(2030, 3, 1)), ("Evaluation", date(2030, 3, 20)))
    early = pf.deal(
        session,
        rep,
        customer,
        amount=999,
        stage="Qualified",
        created_on=date(2030, 2, 1),
        expected_close=date(2030, 6, 1),
    )
    pf.history(session, early, ("Lead", date(2030, 2, 1)), ("Qualified", date(2030, 3, 1)))
    return {
        "region": region,
        "rep": rep,
        "peer": peer,
        "manager": manager,
        "outsider": outsider,
        "negotiation": negotiation,
        "evaluation": evaluation,
    }


def _take(session, today):
    commit = scorecard.benchmarks(session).commit_probability
    return snapshots.take_snapshots(session, today, commit_probability=commit)


def _accuracy(session, actor, rep_id):
    card = scorecard.rep_scorecard(session, actor, rep_id, Q2_2030)
    return next(p for p in card.parts if p.metric == "forecast_accuracy")


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _change_everything_after_the_start(session, team):
    """A stage probability lowered below the commit level, a deal's amount raised and its stage
    moved back, all after the period started."""
    session.get(Stage, pf.stage_id(session, "Evaluation")).probability = Decimal("0.30")
    deal = session.get(Deal, team["negotiation"].id)
    deal.amount = Decimal(5000)
    deal.stage_id = pf.stage_id(session, "Qualified")
    pf.history(session, deal, ("Qualified", date(2030, 4, 10)))
    session.flush()


def test_the_start_of_period_snapshot_keeps_forecast_accuracy_when_stages_and_deals_change(
    session, team
):
    run = _take(session, START)
    assert run.periods == ["2030-04", "2030Q2", "FY2030"]
    manager = factories.actor(session, team["manager"])
    before = _accuracy(session, manager, team["rep"].id)
    # Committed at the start: Negotiation (0.80) 2,000 and Evaluation (0.60) 1,500; Qualified
    # (0.15) is below the 0.60 commit level. Nothing of it is won yet.
    assert before.raw_text.startswith("committed 3,500 at the start, won 0 of it")

    _change_everything_after_the_start(session, team)
    after = _accuracy(session, manager, team["rep"].id)
    assert after == before
    # Without the snapshot the rebuild would now judge with today's settings: the Evaluation
    # deal no longer counts as committed.
    rebuilt = snapshots.committed_from_history([Q2_2030.start], 0.60)
    amounts = session.execute(
        select(func.sum(rebuilt.c.amount)).where(rebuilt.c.owner_id == team["rep"].id)
    ).scalar()
    assert amounts == Decimal(2000)

    # What is delivered still counts: the committed Evaluation deal is won at a new amount.
    won = session.get(Deal, team["evaluation"].id)
    won.status, won.closed_on, won.amount = "won", date(2030, 5, 15), Decimal(1800)
    won.stage_id = pf.stage_id(session, "Won")
    session.flush()
    delivered = _accuracy(session, manager, team["rep"].id)
    assert delivered.raw_text.startswith("committed 3,500 at the start, won 1,800 of it")
    assert delivered.normalised == Decimal("51.4")  # 1 - |1,800 - 3,500| / 3,500 = 0.514


def test_the_as_of_forecast_is_frozen_while_todays_forecast_moves(session, team):
    rep_key = f"rep:{team['rep'].id}"
    (live,) = [
        r
        for r in attainment_report(session, SYSTEM_ACTOR, Q2_2030, "rep", today=START)
        if r.key == rep_key
    ]
    _take(session, START)
    manager = factories.actor(session, team["manager"])
    (frozen,) = snapshot_views.forecast_history(session, manager, rep_key, Q2_2030)
    assert frozen.taken_on == START and frozen.at_period_start
    assert (frozen.won, frozen.commit, frozen.best_case, frozen.pipeline) == (
        live.won,
        live.commit,
        live.best_case,
        live.pipeline,
    )
    assert (frozen.weighted, frozen.forecast, frozen.open_pipeline, frozen.target) == (
        live.weighted_pipeline,
        live.forecast,
        live.open_pipeline,
        live.target,
    )
    assert frozen.probability == live.probability.quantize(Decimal("0.0001"))
    # 2,000 x 0.80 + 1,500 x 0.60 + 999 x 0.15, to the cent
    assert frozen.weighted == Decimal("2649.85")
    assert frozen.target == Decimal(3000)

    _change_everything_after_the_start(session, team)
    (today,) = [
        r
        for r in attainment_report(session, SYSTEM_ACTOR, Q2_2030, "rep", today=START)
        if r.key == rep_key
    ]
    assert today.weighted_pipeline != frozen.weighted  # the live forecast did move
    assert snapshot_views.forecast_history(session, manager, rep_key, Q2_2030) == [frozen]


def test_a_second_run_in_the_same_week_adds_nothing_and_next_monday_adds_a_weekly_one(
    session, team
):
    _take(session, START)
    rows, deals = _count(session, ForecastSnapshot), _count(session, ForecastSnapshotDeal)
    assert not snapshots.snapshots_due(session, date(2030, 4, 3))
    again = _take(session, date(2030, 4, 3))
    assert again.periods == [] and again.rows == 0 and again.reconstructed == []
    assert (_count(session, ForecastSnapshot), _count(session, ForecastSnapshotDeal)) == (
        rows,
        deals,
    )

    assert snapshots.snapshots_due(session, date(2030, 4, 8))
    weekly = _take(session, date(2030, 4, 8))
    assert weekly.periods == ["2030-04", "2030Q2", "FY2030"]
    assert weekly.committed_deals == 0  # the committed deals are frozen once, at the start
    manager = factories.actor(session, team["manager"])
    history = snapshot_views.forecast_history(session, manager, f"rep:{team['rep'].id}", Q2_2030)
    assert [(s.taken_on, s.at_period_start) for s in history] == [
        (date(2030, 4, 8), False),
        (START, True),
    ]


def test_a_start_first_seen_late_is_rebuilt_from_the_stage_history_and_then_kept(session, team):
    run = _take(session, date(2030, 5, 20))
    assert "2030Q2" in run.reconstructed and "2030-05" in run.reconstructed
    start_row = session.scalars(
        select(ForecastSnapshot).where(
            ForecastSnapshot.period == "2030Q2", ForecastSnapshot.at_period_start.is_(True)
        )
    ).one()
    assert start_row.reconstructed and start_row.taken_on == Q2_2030.start
    assert start_row.won is None  # a rebuilt start has committed deals only, no figures
    manager = factories.actor(session, team["manager"])
    before = _accuracy(session, manager, team["rep"].id)
    assert before.raw_text.startswith("committed 3,500 at the start")
    _change_everything_after_the_start(session, team)
    assert _accuracy(session, manager, team["rep"].id) == before
    # the rebuilt start is not listed among the "as of" forecasts
    history = snapshot_views.forecast_history(session, manager, f"rep:{team['rep'].id}", Q2_2030)
    assert [s.taken_on for s in history] == [date(2030, 5, 20)]


def test_reps_read_only_their_own_snapshots_and_managers_their_subtree(session, team):
    _take(session, START)
    rep = factories.actor(session, team["rep"])
    own = snapshot_views.forecast_history(session, rep, f"rep:{team['rep'].id}", Q2_2030)
    assert [s.entity_id for s in own] == [team["rep"].id]
    assert snapshot_views.forecast_history(session, rep, "default", Q2_2030) == own
    for key in (f"rep:{team['peer'].id}", f"region:{team['region'].id}", "company"):
        with pytest.raises(PermissionDenied):
            snapshot_views.forecast_history(session, rep, key, Q2_2030)
    outsider = factories.actor(session, team["outsider"])
    with pytest.raises(PermissionDenied):
        snapshot_views.forecast_history(session, outsider, f"rep:{team['rep'].id}", Q2_2030)
    manager = factories.actor(session, team["manager"])
    (region_row,) = snapshot_views.forecast_history(
        session, manager, f"region:{team['region'].id}", Q2_2030
    )
    assert region_row.level == "region" and region_row.won == Decimal(0)
    director = SYSTEM_ACTOR.model_copy(update={"role": Role.DIRECTOR})
    (company,) = snapshot_views.forecast_history(session, director, "company", Q2_2030)
    assert company.level == "company"


def _manage(db_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_manage_snapshot_takes_this_weeks_snapshots_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'snap.db'}"
    seeded = _manage(url, "seed", "--scale", "small", "--seed", "2", "--today", "2026-11-20")
    assert seeded.returncode == 0, seeded.stderr
    first = _manage(url, "snapshot", "--today", "2026-11-23")
    assert first.returncode == 0, first.stderr
    assert "2026-11, 2026Q4, FY2026 on 2026-11-23" in first.stdout
    second = _manage(url, "snapshot", "--today", "2026-11-26")
    assert second.returncode == 0, second.stderr
    assert "Nothing to take on 2026-11-26" in second.stdout
    engine = create_engine(url)
    with engine.connect() as conn:
        days = conn.execute(
            select(ForecastSnapshot.taken_on, func.count())
            .where(ForecastSnapshot.reconstructed.is_(False))
            .group_by(ForecastSnapshot.taken_on)
        ).all()
    engine.dispose()
    assert [day for day, _ in days] == [date(2026, 11, 23)]
    bad = _manage(url, "snapshot", "--today", "23/11/2026")
    assert bad.returncode != 0
