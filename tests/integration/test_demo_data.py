"""The demo data is a consistent, living business (checked on the seeded test database)."""

from decimal import Decimal

import pandas as pd
from sqlalchemy import select

from core.org.regions import load_region_tree
from core.progress.figures import active_plan_id
from db.schema import Deal, DealStageHistory, Person, Stage, Target, TargetPlan
from tests.conftest import SEED_TODAY


def _frame(session, query) -> pd.DataFrame:
    result = session.execute(query)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def test_every_region_target_is_the_exact_sum_of_its_reps_and_subregions(session):
    tree = load_region_tree(session)
    targets = _frame(
        session,
        select(Target.plan_id, Target.region_id, Target.person_id, Target.month, Target.amount),
    )
    reps = targets[targets.person_id.notna()]
    regions = targets[targets.person_id.isna()]
    assert len(reps) and len(regions)
    for (plan, region, month), amount in (
        regions.groupby(["plan_id", "region_id", "month"]).amount.sum().items()
    ):
        below = tree.subtree(region)
        expected = reps[
            (reps.plan_id == plan) & (reps.month == month) & reps.region_id.isin(below)
        ].amount.sum()
        assert Decimal(amount) == Decimal(expected), (plan, region, month)


def test_company_target_of_each_plan_equals_the_sum_of_its_months(session):
    root = load_region_tree(session).root_id
    for plan in session.scalars(select(TargetPlan)):
        months = session.scalars(
            select(Target.amount).where(
                Target.plan_id == plan.id, Target.region_id == root, Target.person_id.is_(None)
            )
        )
        assert sum(months, Decimal(0)) == plan.company_target


def test_there_is_an_approved_plan_for_the_current_year_and_three_years_of_deals(session):
    assert active_plan_id(session, SEED_TODAY.year) is not None
    years = {d.year for d in session.scalars(select(Deal.closed_on).where(Deal.status == "won"))}
    assert {SEED_TODAY.year - 2, SEED_TODAY.year - 1, SEED_TODAY.year} <= years


def test_win_rates_fall_stage_by_stage(session):
    """Of the deals that reached a stage, fewer win the earlier the stage."""
    history = _frame(
        session,
        select(DealStageHistory.deal_id, Stage.position).join(
            Stage, Stage.id == DealStageHistory.to_stage_id
        ),
    )
    won = set(session.scalars(select(Deal.id).where(Deal.status == "won")))
    closed = set(session.scalars(select(Deal.id).where(Deal.status != "open")))
    history = history[history.deal_id.isin(closed)]
    rates = [
        history[history.position == position].deal_id.isin(won).mean() for position in range(1, 7)
    ]
    assert rates == sorted(rates), rates
    assert rates[0] < 0.35 < rates[-1]


def test_every_deal_has_stage_history_ending_in_its_current_stage(session):
    last = _frame(
        session,
        select(DealStageHistory.deal_id, DealStageHistory.to_stage_id, DealStageHistory.changed_at),
    )
    last = last.sort_values(["deal_id", "changed_at"]).groupby("deal_id").tail(1)
    deals = _frame(session, select(Deal.id, Deal.stage_id))
    merged = deals.merge(last, left_on="id", right_on="deal_id", how="left")
    assert merged.to_stage_id.notna().all()
    assert (merged.stage_id == merged.to_stage_id).all()


def test_some_open_deals_are_stalled_or_slipping_for_the_alerts_to_find(session):
    open_deals = _frame(
        session,
        select(Deal.stage_entered_on, Deal.close_date_changes, Deal.expected_close).where(
            Deal.status == "open"
        ),
    )
    assert (open_deals.close_date_changes >= 2).any()
    assert (
        pd.to_datetime(open_deals.stage_entered_on)
        < pd.Timestamp(SEED_TODAY) - pd.Timedelta(days=60)
    ).any()


def test_some_reps_were_hired_this_year(session):
    hires = session.scalars(select(Person.hire_date).where(Person.role == "rep"))
    assert any(h.year == SEED_TODAY.year for h in hires)


def test_seeding_is_deterministic_for_a_seed(tmp_path):
    from core.demo import seed as demo
    from db.engine import make_engine, migrate

    totals = []
    for name in ("a", "b"):
        engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        migrate(engine)
        demo.seed(engine, scale="small", seed=3, today=SEED_TODAY)
        with engine.connect() as conn:
            totals.append(
                conn.execute(
                    select(Deal.amount, Deal.status, Deal.closed_on).order_by(Deal.id)
                ).all()
            )
    assert totals[0] == totals[1]
