"""A split deal through every report: attainment rows, the leaderboard, the scorecard, plan vs
actual and a rep's drill-down credit each rep with their share and each region with its reps'
shares, the company once; and the deals not priced are read for a scope's figures only.

Expected values are worked out by hand in each test from the business rules, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from core.org.company import fiscal_start_month
from core.performance import plan_vs_actual, scorecard
from core.performance.plan_vs_actual import last_closed_quarter
from core.periods import quarter_of
from core.pipeline import credit, exchange_rates
from core.progress import attainment, figures, views
from core.progress.figures import NotPriced
from core.progress.scopes import default_scope, region_scope, rep_scope
from db.schema import PlanBudgetRate, TargetPlan
from tests import factories as f
from tests import performance_factories as pf

TODAY = date.today()


@pytest.fixture
def book(session):
    """Two regions under the company, a manager of both, Ann (North) and Bob (South) with
    targets in the last closed quarter, and in that quarter: a deal of 1,000.00 won by Ann and
    split 60/40 with Bob, and a deal of 200.00 Ann won alone."""
    quarter = last_closed_quarter(TODAY, fiscal_start_month(session))
    north = f.region(session, "Split-report North")
    south = f.region(session, "Split-report South")
    boss = f.person(session, "manager", north, manages=[north, south])
    ann = f.person(session, "rep", north)
    bob = f.person(session, "rep", south)
    director = f.person(session, "director")
    shop = f.customer(session, ann, north)
    plan = pf.approved_plan(session, quarter.fiscal_year)
    pf.rep_target(session, plan, ann, quarter.start, "1500.00")
    pf.rep_target(session, plan, bob, quarter.start, "1000.00")
    manager = f.actor(session, boss)
    before = attainment.attainment_report(
        session, f.actor(session, director), quarter, "company", today=TODAY, simulate=False
    )[0]

    def won(owner, amount, days_in, **extra):
        deal = f.deal(
            session,
            owner,
            shop,
            amount=Decimal(amount),
            status="won",
            closed_on=quarter.start + timedelta(days=days_in),
            **extra,
        )
        deal.created_on = quarter.start - timedelta(days=30)
        session.flush()
        return deal

    split = won(ann, "1000.00", 5)
    credit.set_split(session, manager, split.id, split.version, {ann.id: "60", bob.id: "40"})
    alone = won(ann, "200.00", 20)
    return {
        "quarter": quarter,
        "north": north,
        "south": south,
        "manager": manager,
        "director": f.actor(session, director),
        "boss": boss,
        "ann": ann,
        "bob": bob,
        "shop": shop,
        "split": split,
        "alone": alone,
        "company_before": before,
        "won": won,
    }


def test_attainment_rows_credit_each_rep_their_share_and_the_company_once(session, book):
    quarter, manager = book["quarter"], book["manager"]
    reps = attainment.attainment_report(session, manager, quarter, "rep", today=TODAY)
    by_email = {row.entity: row for row in reps}
    ann, bob = by_email[book["ann"].email], by_email[book["bob"].email]
    # Ann: 60 % of 1,000.00 + 200.00 = 800.00 from two wins, of a 1,500.00 target.
    assert (ann.won, ann.won_deals, ann.target) == (Decimal("800.00"), 2, Decimal("1500.00"))
    assert ann.attainment.quantize(Decimal("0.0001")) == Decimal("0.5333")
    # Bob: 40 % of 1,000.00 = 400.00 from one (shared) win, of a 1,000.00 target.
    assert (bob.won, bob.won_deals, bob.attainment) == (Decimal("400.00"), 1, Decimal("0.4"))
    regions = attainment.attainment_report(session, manager, quarter, "region", today=TODAY)
    by_name = {row.entity: row.won for row in regions}
    assert by_name["Split-report North"] == Decimal("800.00")
    assert by_name["Split-report South"] == Decimal("400.00")
    after = attainment.attainment_report(
        session, book["director"], quarter, "company", today=TODAY, simulate=False
    )[0]
    before = book["company_before"]
    # The company counts the split deal once at 100 %: 1,000.00 + 200.00, two deals more.
    assert after.won - before.won == Decimal("1200.00")
    assert after.won_deals - before.won_deals == 2


def test_the_leaderboard_and_scorecards_credit_shares_and_count_the_win_for_each(session, book):
    quarter, manager = book["quarter"], book["manager"]
    board = {row.person_id: row for row in scorecard.leaderboard(session, manager, quarter)}
    assert board[book["ann"].id].attainment == Decimal("0.5333")  # 800 / 1,500
    assert board[book["bob"].id].attainment == Decimal("0.4000")  # 400 / 1,000
    bench = scorecard.benchmarks(session)
    raw = scorecard.rep_figures(session, quarter, [book["ann"].id, book["bob"].id], bench)
    ann, bob = raw[book["ann"].id], raw[book["bob"].id]
    # The shared win counts once for each of them, with its 35 days from creation to win;
    # Ann's own win took 50 days.
    assert (ann.won_amount, ann.won_deals, ann.cycle_days_total) == (Decimal("800.00"), 2, 85.0)
    assert (bob.won_amount, bob.won_deals, bob.cycle_days_total) == (Decimal("400.00"), 1, 35.0)
    card = scorecard.rep_scorecard(session, manager, book["bob"].id, quarter)
    assert card.won == Decimal("400.00") and card.target == Decimal("1000.00")
    cycle = next(p for p in card.parts if p.metric == "cycle_time")
    assert "35" in cycle.raw_text
    regions = {c.entity: c.won for c in scorecard.region_scorecards(session, manager, quarter)}
    assert regions == {
        "Split-report North": Decimal("800.00"),
        "Split-report South": Decimal("400.00"),
    }
    assert "once for each credited person" in scorecard.SPLIT_CREDIT_NOTE


def test_plan_vs_actual_credits_each_rep_and_region_its_share(session, book):
    quarter, manager = book["quarter"], book["manager"]
    reps = {
        row.key: row
        for row in plan_vs_actual.plan_vs_actual(session, manager, quarter, "rep", today=TODAY)
    }
    ann, bob = reps[str(book["ann"].id)], reps[str(book["bob"].id)]
    assert (ann.won, ann.target, ann.variance, ann.won_deals) == (
        Decimal("800.00"),
        Decimal("1500.00"),
        Decimal("-700.00"),
        2,
    )
    assert (bob.won, bob.target, bob.variance, bob.won_deals) == (
        Decimal("400.00"),
        Decimal("1000.00"),
        Decimal("-600.00"),
        1,
    )
    regions = {
        row.label: row.won
        for row in plan_vs_actual.plan_vs_actual(session, manager, quarter, "region", today=TODAY)
    }
    assert regions == {
        "Split-report North": Decimal("800.00"),
        "Split-report South": Decimal("400.00"),
    }
    # By segment the manager's area holds both shares of the split deal, so its amount once in
    # full (1,000.00 + 200.00) and, as every win, once for each credited rep (2 + 1 wins).
    segments = plan_vs_actual.plan_vs_actual(session, manager, quarter, "segment", today=TODAY)
    assert sum((row.won for row in segments), Decimal(0)) == Decimal("1200.00")
    assert sum(row.won_deals for row in segments) == 3


def test_a_reps_drill_down_adds_up_to_their_won_figure_with_the_share_of_a_split_deal(
    session, book
):
    quarter, manager = book["quarter"], book["manager"]
    rows = views.rep_deals(session, manager, book["bob"].id, quarter, today=TODAY)
    assert [(r["deal_id"], r["share"], r["amount"], r["deal_amount"]) for r in rows] == [
        (book["split"].id, Decimal("40.00"), Decimal("400.00"), Decimal("1000.00"))
    ]
    ann_rows = views.rep_deals(session, manager, book["ann"].id, quarter, today=TODAY)
    assert {r["deal_id"]: (r["share"], r["amount"]) for r in ann_rows} == {
        book["split"].id: (Decimal("60.00"), Decimal("600.00")),
        book["alone"].id: (Decimal("100.00"), Decimal("200.00")),
    }
    head, _ = attainment.scope_attainment(
        session, rep_scope(session, manager, book["ann"].id), quarter, today=TODAY
    )
    won_rows = [r["amount"] for r in ann_rows if r["status"] == "won"]
    assert sum(won_rows, Decimal(0)) == head.won == Decimal("800.00")


def test_a_split_deal_without_the_owner_leaves_the_owners_drill_down(session, book):
    deal = book["won"](book["ann"], "300.00", 30)
    credit.set_split(session, book["manager"], deal.id, deal.version, {book["bob"].id: "100"})
    rows = views.rep_deals(session, book["manager"], book["ann"].id, book["quarter"], today=TODAY)
    assert deal.id not in {r["deal_id"] for r in rows}
    bob_rows = views.rep_deals(
        session, book["manager"], book["bob"].id, book["quarter"], today=TODAY
    )
    assert {r["deal_id"]: r["amount"] for r in bob_rows}[deal.id] == Decimal("300.00")


def test_not_priced_is_read_for_the_scope_of_the_figures(session, book):
    """CHF gets its first rate the day after the quarter: deals won in it are not priced
    before that date; SEK has no rate at all."""
    quarter, won = book["quarter"], book["won"]
    first_chf = quarter.end + timedelta(days=1)
    exchange_rates.save_rates(session, book["director"], [("CHF", first_chf, "1.10")])
    won(book["ann"], "41000.00", 10, currency="CHF")
    won(book["bob"], "5000.00", 11, currency="CHF")
    shared = won(book["ann"], "1000.00", 12, currency="CHF")
    credit.set_split(
        session,
        book["manager"],
        shared.id,
        shared.version,
        {book["ann"].id: "50", book["bob"].id: "50"},
    )
    open_sek = f.deal(
        session,
        book["ann"],
        book["shop"],
        amount=Decimal("7000.00"),
        currency="SEK",
        expected_close=TODAY + timedelta(days=3),
    )
    assert open_sek.company_amount is None
    north_boss = f.person(session, "manager", book["north"], manages=[book["north"]])
    north = f.actor(session, north_boss)

    beside = views.not_priced_beside(session, default_scope(session, north), quarter, today=TODAY)
    # North: Ann's 41,000.00 and her half of the shared 1,000.00; not Bob's deal in South.
    assert beside.won == [NotPriced("CHF", 2, Decimal("41500.00"), first_chf)]
    assert beside.open_pipeline == []  # the quarter has ended: it has no pipeline

    south = region_scope(session, book["director"], book["south"].id)
    beside = views.not_priced_beside(session, south, quarter, today=TODAY)
    assert beside.won == [NotPriced("CHF", 2, Decimal("5500.00"), first_chf)]

    company = default_scope(session, book["director"])
    beside = views.not_priced_beside(session, company, quarter, today=TODAY)
    chf = [item for item in beside.won if item.currency == "CHF"]
    assert chf == [NotPriced("CHF", 3, Decimal("47000.00"), first_chf)]

    # The running quarter's open pipeline leaves out the SEK deal (no SEK rate at all).
    running = quarter_of(TODAY, fiscal_start_month(session))
    beside = views.not_priced_beside(session, default_scope(session, north), running, today=TODAY)
    assert beside.open_pipeline == [NotPriced("SEK", 1, Decimal("7000.00"), None)]
    assert not views.not_priced_beside(
        session, region_scope(session, book["director"], book["south"].id), running, today=TODAY
    )

    # The scorecard, the leaderboard and the review read the same deals for their won.
    assert scorecard.rep_not_priced(session, north, book["ann"].id, quarter) == [
        NotPriced("CHF", 2, Decimal("41500.00"), first_chf)
    ]
    assert plan_vs_actual.area_not_priced(session, north, quarter) == [
        NotPriced("CHF", 2, Decimal("41500.00"), first_chf)
    ]
    assert scorecard.leaderboard_not_priced(session, book["manager"], quarter) == [
        NotPriced("CHF", 3, Decimal("47000.00"), first_chf)
    ]


def test_budget_rates_of_the_active_plan_are_named_with_the_plan(session, book):
    quarter = book["quarter"]
    assert views.budget_note(session, quarter) is None
    plan_id = figures.active_plan_id(session, quarter.fiscal_year)
    session.add_all(
        [
            PlanBudgetRate(plan_id=plan_id, currency="JPY", rate=Decimal("0.0067")),
            PlanBudgetRate(plan_id=plan_id, currency="EUR", rate=Decimal("1.08")),
        ]
    )
    session.flush()
    note = views.budget_note(session, quarter)
    plan = session.get(TargetPlan, plan_id)
    assert note.plan == f"FY{plan.fiscal_year} v{plan.version}"
    assert note.rates == {"EUR": Decimal("1.08"), "JPY": Decimal("0.0067")}
    # A won EUR deal converts at the budget rate in the drill-down, as in the won figure.
    eur = book["won"](book["bob"], "100.00", 40, currency="EUR")
    rows = views.rep_deals(session, book["manager"], book["bob"].id, quarter, today=TODAY)
    assert {r["deal_id"]: r["amount"] for r in rows}[eur.id] == Decimal("108.00")
    head, _ = attainment.scope_attainment(
        session, rep_scope(session, book["manager"], book["bob"].id), quarter, today=TODAY
    )
    assert head.won == Decimal("508.00")  # 400.00 + 108.00
