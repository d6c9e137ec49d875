"""Plan vs actual on the demo data (recomputed with pandas) and the funnel on a hand-built
cohort whose conversions and days in stage are worked out by hand."""

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import select

from core.errors import PermissionDenied, ValidationFailed
from core.org.regions import load_region_tree
from core.performance import funnel
from core.performance import plan_vs_actual as review
from core.periods import fiscal_quarter, parse_period
from db.schema import Deal, Person
from tests import factories
from tests import performance_factories as pf
from tests.attainment_books import credited, priced
from tests.conftest import SEED_TODAY


def _director(session):
    return factories.actor(
        session, session.scalar(select(Person).where(Person.username == "director"))
    )


def test_plan_vs_actual_by_region_matches_the_deals_and_the_effects_add_up(session):
    period = fiscal_quarter(SEED_TODAY.year - 1, 2)
    rows = review.plan_vs_actual(session, _director(session), period, "region", today=SEED_TODAY)
    tree = load_region_tree(session)
    # one row per credited person, in the company currency (tests/attainment_books)
    deals = pd.DataFrame(
        session.execute(
            select(
                Deal.id, Deal.region_id, Deal.status, Deal.amount, Deal.currency, Deal.closed_on
            ).where(Deal.closed_on.between(period.start, period.end))
        ).all(),
        columns=["id", "region_id", "status", "amount", "currency", "closed_on"],
    )
    deals = credited(session, priced(session, deals)).rename(columns={"region_id": "region"})
    assert [int(r.key) for r in rows] == tree.children[tree.root_id]
    for row in rows:
        mine = deals[deals["region"].isin(tree.subtree(int(row.key)))]
        won = mine[mine["status"] == "won"]
        assert float(row.won) == pytest.approx(float(won["amount"].astype(float).sum()))
        assert row.won_deals == len(won)
        assert row.closed_deals == len(mine[mine["status"].isin(["won", "lost"])])
        assert row.target_basis == "plan" and row.target > 0
        assert row.variance == row.won - row.target
        assert row.volume_effect + row.win_rate_effect + row.deal_size_effect == row.variance
        assert row.main_driver


def test_implied_targets_of_segments_share_out_the_scope_target(session):
    period = fiscal_quarter(SEED_TODAY.year - 1, 2)
    director = _director(session)
    regions = review.plan_vs_actual(session, director, period, "region", today=SEED_TODAY)
    segments = review.plan_vs_actual(session, director, period, "segment", today=SEED_TODAY)
    assert {r.label for r in segments} == {"Enterprise", "Mid-market", "SMB"}
    assert all(r.target_basis == "implied" for r in segments)
    assert sum(r.target for r in segments) == pytest.approx(sum(r.target for r in regions), abs=1)
    assert sum(r.won for r in segments) == sum(r.won for r in regions)
    lines = review.plan_vs_actual(session, director, period, "product_line", today=SEED_TODAY)
    assert {r.label for r in lines} == {"Platform", "Analytics", "Services"}


def test_reps_open_periods_and_unknown_dimensions_are_refused(session):
    rep = factories.actor(session, session.scalar(select(Person).where(Person.username == "rep")))
    closed = fiscal_quarter(SEED_TODAY.year - 1, 2)
    with pytest.raises(PermissionDenied):
        review.plan_vs_actual(session, rep, closed, "rep", today=SEED_TODAY)
    with pytest.raises(ValidationFailed, match="has not ended"):
        review.plan_vs_actual(
            session, _director(session), parse_period("2099Q1"), "rep", today=SEED_TODAY
        )
    with pytest.raises(ValidationFailed, match="Unknown dimension"):
        review.plan_vs_actual(session, _director(session), closed, "planet", today=SEED_TODAY)


def test_a_manager_reviews_only_the_reps_of_the_managed_subtree(session):
    manager = factories.actor(
        session, session.scalar(select(Person).where(Person.username == "manager"))
    )
    period = fiscal_quarter(SEED_TODAY.year - 1, 2)
    rows = review.plan_vs_actual(session, manager, period, "rep", today=SEED_TODAY)
    regions = dict(session.execute(select(Person.id, Person.region_id)).all())
    assert rows and all(regions[int(r.key)] in manager.scope_region_ids for r in rows)


@pytest.fixture
def cohort(session):
    region = factories.region(session)
    rep = factories.person(session, "rep", region)
    customer = factories.customer(session, rep, region)
    won = pf.deal(
        session,
        rep,
        customer,
        status="won",
        created_on=date(2030, 4, 1),
        closed_on=date(2030, 4, 21),
    )
    pf.history(
        session,
        won,
        ("Lead", date(2030, 4, 1)),
        ("Qualified", date(2030, 4, 11)),
        ("Won", date(2030, 4, 21)),
    )
    lost = pf.deal(
        session,
        rep,
        customer,
        status="lost",
        created_on=date(2030, 4, 5),
        closed_on=date(2030, 5, 5),
    )
    pf.history(
        session,
        lost,
        ("Lead", date(2030, 4, 5)),
        ("Qualified", date(2030, 4, 25)),
        ("Lost", date(2030, 5, 5)),
    )
    still_open = pf.deal(session, rep, customer, stage="Lead", created_on=date(2030, 5, 1))
    pf.history(session, still_open, ("Lead", date(2030, 5, 1)))
    older = pf.deal(
        session,
        rep,
        customer,
        status="lost",
        created_on=date(2030, 1, 1),
        closed_on=date(2030, 4, 2),
    )
    pf.history(session, older, ("Lead", date(2030, 1, 1)), ("Lost", date(2030, 4, 2)))
    return {"region": region, "rep": rep}


def test_the_funnel_of_a_cohort_counts_conversions_days_and_losses(session, cohort):
    result = funnel.funnel(
        session, _director(session), parse_period("2030Q2"), region_id=cohort["region"].id
    )
    assert (result.deals, result.won, result.lost, result.open) == (3, 1, 1, 1)
    stages = {s.stage: s for s in result.stages}
    assert stages["Lead"].reached == 3
    assert stages["Lead"].conversion == Decimal("0.6667")  # 2 of 3 reached Qualified
    assert stages["Lead"].average_days == Decimal("15.0")  # 10 and 20 days; the open stay waits
    assert stages["Lead"].win_rate == Decimal("0.5000")  # 1 won of 2 closed
    assert stages["Qualified"].reached == 2
    assert stages["Qualified"].average_days == Decimal("10.0")
    assert stages["Qualified"].lost_here == 1 and stages["Lead"].lost_here == 0
    assert stages["Technical exchange"].reached == 0
    assert stages["Technical exchange"].conversion is None
    assert result.lost_reasons == [("(no reason given)", 1)]
    by_rep = funnel.funnel(
        session, _director(session), parse_period("2030Q2"), person_id=cohort["rep"].id
    )
    assert by_rep.deals == 3


def test_the_funnel_refuses_scopes_outside_the_actors_area(session, cohort):
    rep = factories.actor(session, cohort["rep"])
    assert funnel.funnel(session, rep, parse_period("2030Q2")).deals == 3
    with pytest.raises(PermissionDenied):
        funnel.funnel(session, rep, parse_period("2030Q2"), region_id=cohort["region"].id)
    manager = factories.actor(
        session, session.scalar(select(Person).where(Person.username == "manager"))
    )
    with pytest.raises(PermissionDenied):
        funnel.funnel(session, manager, parse_period("2030Q2"), region_id=cohort["region"].id)
    with pytest.raises(PermissionDenied):
        funnel.funnel(session, manager, parse_period("2030Q2"), person_id=cohort["rep"].id)
