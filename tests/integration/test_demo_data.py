"""The demo data is a consistent, living business (checked on the seeded test database)."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pandas as pd
from sqlalchemy import select

from core import currency
from core.org.regions import load_region_tree
from core.periods import quarter_of
from core.progress.figures import active_plan_id
from db.schema import (
    CreditSplit,
    Deal,
    DealStageHistory,
    ExchangeRate,
    Person,
    Region,
    Stage,
    Target,
    TargetPlan,
)
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
                    select(
                        Deal.amount,
                        Deal.currency,
                        Deal.company_amount,
                        Deal.credit_shared,
                        Deal.status,
                        Deal.closed_on,
                    ).order_by(Deal.id)
                ).all()
                + conn.execute(
                    select(
                        CreditSplit.deal_id, CreditSplit.person_id, CreditSplit.percent
                    ).order_by(CreditSplit.id)
                ).all()
                + conn.execute(select(ExchangeRate.rate).order_by(ExchangeRate.id)).all()
            )
    assert totals[0] == totals[1]


def _rates(session) -> dict[str, list]:
    out: dict[str, list] = defaultdict(list)
    for code, valid_from, rate in session.execute(
        select(ExchangeRate.currency, ExchangeRate.valid_from, ExchangeRate.rate).order_by(
            ExchangeRate.currency, ExchangeRate.valid_from
        )
    ):
        out[code].append((valid_from, Decimal(rate)))
    return out


def test_deals_are_in_their_regions_currencies_with_weekly_rates_up_to_today(session):
    rates = _rates(session)
    assert set(rates) == {"EUR", "GBP"}  # the small scale sells in North America and Europe
    for code, rows in rates.items():
        days = [day for day, _ in rows]
        assert days[-1] == SEED_TODAY, code  # none dated after today
        assert {b - a for a, b in zip(days, days[1:])} == {timedelta(days=7)}, code
        assert days[0] <= SEED_TODAY - timedelta(days=365), code
        values = [rate for _, rate in rows]
        assert max(values) / min(values) < Decimal("1.3"), code  # a small walk
    levels = {code: rows[-1][1] for code, rows in rates.items()}
    assert Decimal("0.9") < levels["EUR"] < Decimal("1.3") < levels["GBP"] * Decimal("1.1")
    first = min(session.scalars(select(Deal.created_on)))
    assert all(rows[0][0] <= first for rows in rates.values()), "every deal can be priced"
    by_region = _frame(
        session,
        select(Region.name, Deal.currency).join(Region, Region.id == Deal.region_id),
    )
    sells = by_region.groupby("name").currency.agg(lambda c: set(c) - {"INR"})
    assert sells["DACH"] == sells["Nordics"] == {"EUR"}
    assert sells["UK & Ireland"] == {"GBP"}
    assert sells["US East"] == sells["US West"] == sells["Canada"] == {"USD"}


def test_every_company_amount_is_the_currency_rule_applied_to_its_deal(session):
    """A sample of every currency checked against core.currency.company_amount (the seed
    computes them vectorised, in cents)."""
    rates = _rates(session)
    deals = _frame(
        session,
        select(
            Deal.id,
            Deal.amount,
            Deal.currency,
            Deal.status,
            Deal.closed_on,
            Deal.company_amount,
        ),
    )
    sample = pd.concat(
        group.sample(min(len(group), 300), random_state=1) for _, group in deals.groupby("currency")
    )
    assert set(sample.currency) == {"USD", "EUR", "GBP", "INR"}
    for row in sample.itertuples():
        on = currency.pricing_date(row.status, row.closed_on, SEED_TODAY)
        expected = currency.company_amount(
            Decimal(row.amount), row.currency, on, company="USD", rates=rates
        )
        stored = None if pd.isna(row.company_amount) else Decimal(row.company_amount)
        assert stored == expected, row


def test_a_few_deals_of_this_quarter_are_in_a_currency_without_a_rate(session):
    unpriced = _frame(
        session,
        select(Deal.currency, Deal.status, Deal.company_amount).where(
            Deal.company_amount.is_(None)
        ),
    )
    assert 3 <= len(unpriced) <= 6
    assert set(unpriced.currency) == {"INR"}
    assert not session.scalar(select(ExchangeRate.id).where(ExchangeRate.currency == "INR"))


def test_about_a_tenth_of_the_large_deals_are_split_and_shares_follow_the_rule(session):
    deals = _frame(
        session,
        select(
            Deal.id,
            Deal.owner_id,
            Deal.amount,
            Deal.company_amount,
            Deal.credit_shared,
            Deal.status,
            Deal.closed_on,
            Deal.expected_close,
        ).where(Deal.company_amount.is_not(None)),
    )
    split = _frame(
        session,
        select(
            CreditSplit.id,
            CreditSplit.deal_id,
            CreditSplit.person_id,
            CreditSplit.region_id,
            CreditSplit.percent,
            CreditSplit.amount,
            Person.region_id.label("person_region"),
        )
        .join(Person, Person.id == CreditSplit.person_id)
        .order_by(CreditSplit.deal_id, CreditSplit.id),
    )
    shared = deals[deals.credit_shared]
    assert len(shared[shared.status == "won"]) and len(shared[shared.status == "open"])
    assert set(shared.id) == set(split.deal_id)
    large = deals.company_amount.astype(float) >= deals.company_amount.astype(float).quantile(0.8)
    quarter = quarter_of(SEED_TODAY)
    counted = (deals.status == "won") & deals.closed_on.between(quarter.start, quarter.end)
    counted |= (deals.status == "open") & deals.expected_close.between(SEED_TODAY, quarter.end)
    # large deals, and the largest won and open of this quarter whatever their size
    assert set(shared.id) <= set(deals[large | counted].id)
    assert 0.05 * large.sum() / 2 <= len(shared) <= 0.2 * large.sum() / 2
    owners = dict(zip(deals.id, deals.owner_id))
    amounts = dict(zip(deals.id, deals.company_amount))
    assert (split.region_id == split.person_region).all()
    assert (split.groupby("deal_id").region_id.nunique() > 1).any(), "credit in two regions"
    statuses = set(deals[counted].status)  # the quarter's priced deals
    assert statuses == {"won", "open"}
    assert set(deals[counted & deals.credit_shared].status) == statuses, "splits this quarter"
    for deal_id, lines in split.groupby("deal_id"):
        assert 2 <= len(lines) <= 3
        assert owners[deal_id] == lines.person_id.iloc[0]  # the owner always shares
        percents = [Decimal(p) for p in lines.percent]
        assert sum(percents) == 100 and all(p == p.quantize(Decimal("0.01")) for p in percents)
        expected = currency.shares(Decimal(amounts[deal_id]), dict(zip(lines.id, percents)))
        assert dict(zip(lines.id, (Decimal(a) for a in lines.amount))) == expected, deal_id


def test_the_demo_and_large_scales_sell_in_six_currencies_besides_usd():
    from core.demo.scales import SCALES

    for name in ("demo", "large"):
        scale = SCALES[name]
        regions = {top for top, _ in scale.regions} | {t for _, ts in scale.regions for t in ts}
        assert {region for region, _ in scale.currencies} <= regions, name
        assert {code for _, code in scale.currencies} == {"EUR", "GBP", "JPY", "CNY", "BRL", "AUD"}
        assert 3 <= scale.not_priced <= 6
