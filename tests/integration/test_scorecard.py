"""Scorecards against hand-built figures and against the demo data recomputed with pandas;
who may see which scorecard; weights set by admins."""

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import func, select

from core import evaluation
from core.errors import PermissionDenied, ValidationFailed
from core.org.regions import load_region_tree
from core.performance import scorecard
from core.periods import fiscal_quarter, parse_period
from db.schema import Activity, AuditLog, Deal, Person, ScorecardWeight
from tests import factories
from tests import performance_factories as pf
from tests.attainment_books import credited, priced
from tests.conftest import SEED_TODAY

Q2_2030 = parse_period("2030Q2")


@pytest.fixture
def team(session):
    region = factories.region(session)
    manager = factories.person(session, "manager", region, manages=[region])
    rep = factories.person(session, "rep", region)
    peer = factories.person(session, "rep", region)
    plan = pf.approved_plan(session, 2030)
    for month in (4, 5, 6):
        pf.rep_target(session, plan, rep, date(2030, month, 1), 1000)
    return {
        "region": region,
        "manager": manager,
        "rep": rep,
        "peer": peer,
        "customer": factories.customer(session, rep, region),
    }


def _build_quarter(session, team):
    rep, customer = team["rep"], team["customer"]
    won_a = pf.deal(
        session,
        rep,
        customer,
        amount=1500,
        status="won",
        created_on=date(2030, 3, 1),
        closed_on=date(2030, 4, 30),
    )
    pf.history(
        session,
        won_a,
        ("Lead", date(2030, 3, 1)),
        ("Evaluation", date(2030, 3, 20)),
        ("Won", date(2030, 4, 30)),
    )
    pf.deal(
        session,
        rep,
        customer,
        amount=600,
        status="won",
        created_on=date(2030, 5, 1),
        closed_on=date(2030, 6, 30),
    )
    pf.deal(
        session,
        rep,
        customer,
        amount=500,
        status="lost",
        created_on=date(2030, 4, 1),
        closed_on=date(2030, 5, 15),
    )
    pf.deal(session, rep, customer, amount=4000, created_on=date(2030, 4, 10))
    committed_open = pf.deal(
        session, rep, customer, amount=2000, stage="Negotiation", created_on=date(2030, 2, 1)
    )
    pf.history(
        session, committed_open, ("Lead", date(2030, 2, 1)), ("Negotiation", date(2030, 3, 15))
    )
    early = pf.deal(
        session, rep, customer, amount=999, stage="Qualified", created_on=date(2030, 2, 1)
    )
    pf.history(session, early, ("Lead", date(2030, 2, 1)), ("Qualified", date(2030, 3, 1)))
    for kind, times in (("visit", 2), ("call", 3), ("email", 1), ("meeting", 1)):
        for _ in range(times):
            pf.activity(session, rep, customer, date(2030, 5, 5), kind)
    pf.activity(session, rep, customer, date(2030, 7, 1), "visit")  # after the quarter


def test_a_reps_raw_figures_are_measured_from_deals_activities_history_and_plan(session, team):
    _build_quarter(session, team)
    bench = scorecard.benchmarks(session)
    figures = scorecard.rep_figures(session, Q2_2030, [team["rep"].id], bench)[team["rep"].id]
    assert figures.target == Decimal(3000)
    assert figures.won_amount == Decimal(2100)
    assert (figures.won_deals, figures.lost_deals) == (2, 1)
    assert figures.cycle_days_total == pytest.approx(60 + 60)
    assert figures.pipeline_created == Decimal(4000 + 600 + 500)
    assert (figures.visits, figures.calls, figures.emails, figures.meetings) == (2, 3, 1, 1)
    assert figures.committed_at_start == Decimal(1500 + 2000)  # Evaluation and Negotiation
    assert figures.committed_won == Decimal(1500)


def test_a_reps_scorecard_is_explained_and_adds_up(session, team):
    _build_quarter(session, team)
    manager = factories.actor(session, team["manager"])
    card = scorecard.rep_scorecard(session, manager, team["rep"].id, Q2_2030)
    normalised = {p.metric: p.normalised for p in card.parts}
    assert normalised == {
        "attainment": Decimal("70.0"),  # 2,100 / 3,000
        "activities": Decimal("9.6"),  # 11.5 points of 3 x 40
        "win_rate": Decimal("100.0"),  # 2 of 3 closed, above 30 %
        "pipeline_generated": Decimal("34.0"),  # 1.7 x target of 5 x
        "cycle_time": Decimal("100.0"),  # 60 days
        "forecast_accuracy": Decimal("42.9"),  # 1 - 2,000 / 3,500
    }
    # 0.4 x 70 + 0.15 x 9.6 + 0.15 x 100 + 0.1 x 34 + 0.1 x 100 + 0.1 x 42.9
    assert card.score == Decimal("62.13")
    assert sum(p.contribution for p in card.parts) == card.score
    assert card.attainment == Decimal("0.7000")


def _demo_deals(session) -> pd.DataFrame:
    """One row per credited person of each priced deal, in the company currency (converted
    and split by tests/attainment_books)."""
    result = session.execute(
        select(
            Deal.id,
            Deal.owner_id,
            Deal.region_id,
            Deal.status,
            Deal.amount,
            Deal.currency,
            Deal.created_on,
            Deal.closed_on,
        )
    )
    frame = credited(session, priced(session, pd.DataFrame(result.all(), columns=result.keys())))
    frame = frame.rename(
        columns={
            "owner_id": "owner",
            "region_id": "region",
            "created_on": "created",
            "closed_on": "closed",
        }
    )
    frame["amount"] = frame["amount"].astype(float)
    return frame


def test_rep_figures_match_the_demo_deals_recomputed_with_pandas(session):
    period = fiscal_quarter(SEED_TODAY.year - 1, 2)
    deals = _demo_deals(session)
    closed_in = deals["closed"].between(period.start, period.end)
    created_in = deals["created"].between(period.start, period.end)
    won = (
        deals[closed_in & (deals["status"] == "won")]
        .groupby("owner")["amount"]
        .agg(["sum", "count"])
    )
    lost = deals[closed_in & (deals["status"] == "lost")].groupby("owner").size()
    created = deals[created_in].groupby("owner")["amount"].sum()
    acts = pd.DataFrame(
        session.execute(
            select(Activity.person_id, Activity.type).where(
                Activity.occurred_on.between(period.start, period.end)
            )
        ).all(),
        columns=["person", "type"],
    )
    visits = acts[acts["type"] == "visit"].groupby("person").size()
    figures = scorecard.rep_figures(session, period, None, scorecard.benchmarks(session))
    assert set(won.index) <= set(figures)
    for owner, row in won.iterrows():
        f = figures[owner]
        assert float(f.won_amount) == pytest.approx(row["sum"])
        assert f.won_deals == row["count"]
        assert f.lost_deals == lost.get(owner, 0)
        assert float(f.pipeline_created) == pytest.approx(created.get(owner, 0))
        assert f.visits == visits.get(owner, 0)


def test_region_scorecards_roll_up_each_regions_subtree(session):
    period = fiscal_quarter(SEED_TODAY.year - 1, 2)
    director = factories.actor(
        session, session.scalar(select(Person).where(Person.username == "director"))
    )
    cards = scorecard.region_scorecards(session, director, period)
    tree = load_region_tree(session)
    assert [c.entity_id for c in cards] == tree.children[tree.root_id]
    deals = _demo_deals(session)
    won = deals[(deals["status"] == "won") & deals["closed"].between(period.start, period.end)]
    for card in cards:
        expected = won[won["region"].isin(tree.subtree(card.entity_id))]["amount"].sum()
        assert float(card.won) == pytest.approx(expected)
        assert card.won > 0
        assert sum(p.contribution for p in card.parts) == card.score


def test_reps_see_their_own_scorecard_and_their_teams_leaderboard_only(session, team):
    rep = factories.actor(session, team["rep"])
    assert scorecard.rep_scorecard(session, rep, team["rep"].id, Q2_2030).entity_id == rep.id
    with pytest.raises(PermissionDenied):
        scorecard.rep_scorecard(session, rep, team["peer"].id, Q2_2030)
    board = scorecard.leaderboard(session, rep, Q2_2030)
    assert {row.person_id for row in board} == {team["rep"].id, team["peer"].id}
    with pytest.raises(PermissionDenied):
        scorecard.region_scorecards(session, rep, Q2_2030)


def test_managers_see_their_subtree_and_directors_everyone(session, team):
    manager = factories.actor(session, team["manager"])
    outsider = session.scalar(select(Person).where(Person.username == "rep"))
    assert {r.person_id for r in scorecard.leaderboard(session, manager, Q2_2030)} == {
        team["rep"].id,
        team["peer"].id,
    }
    with pytest.raises(PermissionDenied):
        scorecard.rep_scorecard(session, manager, outsider.id, Q2_2030)
    director = factories.actor(
        session, session.scalar(select(Person).where(Person.username == "director"))
    )
    everyone = {r.person_id for r in scorecard.leaderboard(session, director, Q2_2030)}
    active_reps = set(session.scalars(select(Person.id).where(Person.role == "rep", Person.active)))
    assert everyone == active_reps
    assert scorecard.rep_scorecard(session, director, outsider.id, Q2_2030).entity_id == outsider.id


def test_the_leaderboard_ranks_by_score_with_the_trend_against_the_previous_period(session):
    director = factories.actor(
        session, session.scalar(select(Person).where(Person.username == "director"))
    )
    period = fiscal_quarter(SEED_TODAY.year - 1, 3)
    board = scorecard.leaderboard(session, director, period)
    scores = [row.score for row in board if row.score is not None]
    assert scores == sorted(scores, reverse=True)
    assert [row.rank for row in board][:1] == [1]
    top = board[0]
    previous = scorecard.rep_scorecard(
        session, director, top.person_id, fiscal_quarter(SEED_TODAY.year - 1, 2)
    )
    assert top.previous_score == previous.score
    assert top.trend == evaluation.trend_arrow(top.score, previous.score)
    trend = scorecard.score_trend(session, director, top.person_id, period, count=3)
    assert [label for label, _ in trend] == [
        f"{SEED_TODAY.year - 1}Q1",
        f"{SEED_TODAY.year - 1}Q2",
        f"{SEED_TODAY.year - 1}Q3",
    ]
    assert trend[-1][1] == top.score


def test_admins_set_weights_per_fiscal_year_and_the_change_is_audited(session):
    admin = factories.actor(
        session, session.scalar(select(Person).where(Person.username == "admin"))
    )
    weights = {m: 10 for m in evaluation.METRICS} | {"attainment": 50}
    scorecard.set_weights(session, admin, 2031, weights)
    assert scorecard.weights_for(session, 2031)["attainment"] == Decimal(50)
    assert scorecard.weights_for(session, 2035)["attainment"] == Decimal(50)  # latest earlier year
    entry = session.scalar(select(AuditLog).where(AuditLog.action == "set_weights"))
    assert entry.entity_id == 2031 and entry.after["attainment"] == "50.00"


def test_bad_weights_and_reps_are_refused_and_nothing_changes(session, team):
    admin = factories.actor(
        session, session.scalar(select(Person).where(Person.username == "admin"))
    )
    count = session.scalar(select(func.count()).select_from(ScorecardWeight))
    with pytest.raises(ValidationFailed, match="sum to 100"):
        scorecard.set_weights(session, admin, 2031, {m: 10 for m in evaluation.METRICS})
    with pytest.raises(PermissionDenied):
        scorecard.set_weights(
            session, factories.actor(session, team["rep"]), 2031, evaluation.DEFAULT_WEIGHTS
        )
    assert session.scalar(select(func.count()).select_from(ScorecardWeight)) == count


def test_admins_change_the_normalisation_and_scores_follow(session, team):
    _build_quarter(session, team)
    admin = factories.actor(
        session, session.scalar(select(Person).where(Person.username == "admin"))
    )
    manager = factories.actor(session, team["manager"])
    scorecard.set_benchmarks(session, admin, {"attainment_full": 0.7})
    card = scorecard.rep_scorecard(session, manager, team["rep"].id, Q2_2030)
    assert {p.metric: p.normalised for p in card.parts}["attainment"] == Decimal("100.0")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"win_rate_full": 0}, "win_rate_full"),
        ({"cycle_days_good": 200, "cycle_days_poor": 100}, "more than cycle_days_good"),
    ],
)
def test_bad_normalisation_is_refused_and_nothing_changes(session, values, message):
    admin = factories.actor(
        session, session.scalar(select(Person).where(Person.username == "admin"))
    )
    before = scorecard.benchmarks(session)
    with pytest.raises(ValidationFailed, match=message):
        scorecard.set_benchmarks(session, admin, values)
    assert scorecard.benchmarks(session) == before
