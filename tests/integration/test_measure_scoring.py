"""Scoring, alerting and plan vs actual on every measure and product line, against figures
worked out by hand from the rows each test inserts (and, for product lines, raw SQL).

A fresh region in FY2030 (far from the demo data): a manager, a rep with targets and a peer.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select, text

from core.errors import PermissionDenied, ValidationFailed
from core.performance import alerts, measure_review, scorecard
from core.performance import plan_vs_actual as review
from core.periods import parse_period
from db.schema import Person, Product, Region, Target, TargetPlan
from tests import factories
from tests import performance_factories as pf

Q2 = parse_period("2030Q2")
TODAY = date(2030, 5, 20)  # 50 of 91 days of 2030Q2 gone; May: 20 of 31 days
AFTER = date(2030, 7, 15)  # 2030Q2 has closed
LINE = "Zeta instruments"


def _plan(session, measure: str, product_line: str = "") -> TargetPlan:
    """An approved FY2030 plan of a series, newer than any other version of that series."""
    versions = session.scalars(
        select(TargetPlan.version).where(
            TargetPlan.fiscal_year == 2030,
            TargetPlan.measure == measure,
            TargetPlan.product_line == product_line,
        )
    ).all()
    plan = TargetPlan(
        fiscal_year=2030,
        version=max(versions, default=0) + 1,
        status="approved",
        method="manual",
        company_target=Decimal(0),
        measure=measure,
        product_line=product_line,
    )
    session.add(plan)
    session.flush()
    return plan


def _rep_rows(session, plan, rep, amounts) -> None:
    """Target rows of April, May and June 2030."""
    for month, amount in zip((4, 5, 6), amounts):
        pf.rep_target(session, plan, rep, date(2030, month, 1), amount)


def _region_rows(session, plan, region_id: int, amounts) -> None:
    for month, amount in zip((4, 5, 6), amounts):
        session.add(
            Target(
                plan_id=plan.id,
                region_id=region_id,
                person_id=None,
                month=date(2030, month, 1),
                amount=Decimal(amount),
            )
        )
    session.flush()


def _visits(session, person, customer, count: int, day: date) -> None:
    for _ in range(count):
        pf.activity(session, person, customer, day, "visit")


def _product(session, name: str, line: str) -> Product:
    product = Product(name=name, product_line=line, list_price=Decimal(100))
    session.add(product)
    session.flush()
    return product


def _won(session, owner, customer, *, amount, closed_on, quantity=1, product=None):
    deal = pf.deal(
        session,
        owner,
        customer,
        amount=amount,
        status="won",
        created_on=date(2030, 3, 1),
        closed_on=closed_on,
    )
    deal.quantity = quantity
    deal.product_id = product.id if product is not None else None
    session.flush()
    return deal


@pytest.fixture
def team(session):
    region = factories.region(session)
    manager = factories.person(session, "manager", region, manages=[region])
    rep = factories.person(session, "rep", region)
    peer = factories.person(session, "rep", region)
    return {
        "region": region,
        "manager": manager,
        "rep": rep,
        "peer": peer,
        "customer": factories.customer(session, rep, region),
        "peer_customer": factories.customer(session, peer, region),
    }


def _part(card, metric):
    return next(p for p in card.parts if p.metric == metric)


# --- scorecard ----------------------------------------------------------------------------------


def test_a_visits_target_scores_the_activities_part_as_visits_of_the_target(session, team):
    rep, peer, customer = team["rep"], team["peer"], team["customer"]
    _rep_rows(session, _plan(session, "visits"), rep, (20, 20, 20))  # 60 this quarter
    _visits(session, rep, customer, 47, date(2030, 5, 5))
    _visits(session, rep, customer, 5, date(2030, 7, 2))  # after the quarter
    for _ in range(30):  # calls do not count against a visits target
        pf.activity(session, rep, customer, date(2030, 5, 6), "call")
    _visits(session, peer, team["peer_customer"], 2, date(2030, 5, 5))
    for _ in range(3):
        pf.activity(session, peer, team["peer_customer"], date(2030, 5, 6), "call")

    manager = factories.actor(session, team["manager"])
    card = scorecard.rep_scorecard(session, manager, rep.id, Q2)
    activities = _part(card, "activities")
    assert activities.normalised == Decimal("78.3")  # 100 x 47 / 60 = 78.33
    assert "47 visits of a target of 60" in activities.raw_text
    assert [(t.measure, t.target, t.achieved) for t in card.targets] == [
        ("visits", Decimal(60), Decimal(47))
    ]
    assert sum(p.contribution for p in card.parts) == card.score

    # the peer has no visits target: activity points against the benchmark, as before
    peer_card = scorecard.rep_scorecard(session, manager, peer.id, Q2)
    # 2 visits x 3 + 3 calls x 1 = 9 points of 40 x 3 months = 120 -> 7.5
    assert _part(peer_card, "activities").normalised == Decimal("7.5")
    assert peer_card.targets == []

    # the leaderboard's cards read the same (the manager's reps and everyone's)
    director = factories.actor(
        session, session.scalar(select(Person).where(Person.username == "director"))
    )
    for who in (manager, director):
        cards = {c.entity_id: c for c in scorecard.rep_scorecards(session, who, Q2)}
        assert _part(cards[rep.id], "activities").normalised == Decimal("78.3")
        assert _part(cards[peer.id], "activities").normalised == Decimal("7.5")


def test_a_weeks_scorecard_reads_the_weeks_part_of_the_months_visits_target(session, team):
    rep, customer = team["rep"], team["customer"]
    plan = _plan(session, "visits")
    pf.rep_target(session, plan, rep, date(2030, 5, 1), Decimal(46))
    week = parse_period("2030-W20")  # Monday 13 to Sunday 19 May 2030
    may = [date(2030, 5, d) for d in range(1, 32)]
    working = [d for d in may if d.weekday() < 5]
    in_week = [d for d in working if week.start <= d <= week.end]
    expected_target = Decimal(46) * len(in_week) / len(working)  # 46 x 5 / 23 = 10
    assert expected_target == 10
    _visits(session, rep, customer, 7, date(2030, 5, 14))
    _visits(session, rep, customer, 9, date(2030, 5, 21))  # the week after
    manager = factories.actor(session, team["manager"])
    card = scorecard.rep_scorecard(session, manager, rep.id, week)
    assert [(t.measure, t.target, t.achieved) for t in card.targets] == [
        ("visits", expected_target, Decimal(7))
    ]
    assert _part(card, "activities").normalised == Decimal("70.0")
    # the trend compares with the ISO week before, not with a month
    assert scorecard.previous_period(week).label == "2030-W19"
    (row,) = [r for r in scorecard.leaderboard(session, manager, week) if r.person_id == rep.id]
    assert row.score == card.score


def test_units_and_deals_created_targets_join_revenue_in_the_attainment_part(session, team):
    rep, customer = team["rep"], team["customer"]
    _rep_rows(session, pf.approved_plan(session, 2030), rep, (1000, 1000, 1000))
    _rep_rows(session, _plan(session, "units"), rep, (20, 15, 15))  # 50
    _rep_rows(session, _plan(session, "deals_created"), rep, (5, 5, 10))  # 20
    _won(session, rep, customer, amount=1500, closed_on=date(2030, 4, 20), quantity=30)
    _won(session, rep, customer, amount=600, closed_on=date(2030, 6, 2), quantity=15)
    for day in range(12):  # twelve deals created in the quarter (the won ones in March)
        pf.deal(session, rep, customer, amount=100, created_on=date(2030, 4, 1 + day))

    manager = factories.actor(session, team["manager"])
    card = scorecard.rep_scorecard(session, manager, rep.id, Q2)
    attainment = _part(card, "attainment")
    # revenue 2,100 / 3,000 -> 70.0; units 45 / 50 -> 90.0; deals created 12 / 20 -> 60.0
    assert attainment.normalised == Decimal("73.3")  # (70 + 90 + 60) / 3
    assert "won 2,100 of 3,000 = 70.0%" in attainment.raw_text
    assert "45 units of a target of 50 = 90.0%" in attainment.raw_text
    assert "12 deals created of a target of 20 = 60.0%" in attainment.raw_text
    assert attainment.weight == Decimal(40)  # the part keeps its weight
    assert card.attainment == Decimal("0.7000")  # the card's attainment stays revenue's
    # pipeline generated stays on revenue: 1,200 created / 3,000 = 0.4 x of 5 x -> 8.0
    assert _part(card, "pipeline_generated").normalised == Decimal("8.0")


def test_a_regions_scorecard_reads_its_own_visits_target_and_its_subtree(session, team):
    region, rep, peer = team["region"], team["rep"], team["peer"]
    _region_rows(session, _plan(session, "visits"), region.id, (30, 30, 40))  # 100
    _visits(session, rep, team["customer"], 40, date(2030, 4, 10))
    _visits(session, peer, team["peer_customer"], 25, date(2030, 6, 10))
    manager = factories.actor(session, team["manager"])
    (card,) = scorecard.region_scorecards(session, manager, Q2, [region.id])
    activities = _part(card, "activities")
    assert activities.normalised == Decimal("65.0")  # 65 of 100
    assert "65 visits of a target of 100" in activities.raw_text


def test_the_leaderboard_reads_measure_targets_in_one_call_per_measure_not_per_rep(session):
    region = factories.region(session)
    manager = factories.person(session, "manager", region, manages=[region])
    reps = [factories.person(session, "rep", region) for _ in range(6)]
    visits, units = _plan(session, "visits"), _plan(session, "units")
    for rep in reps:
        _rep_rows(session, visits, rep, (10, 10, 10))
        _rep_rows(session, units, rep, (1, 1, 1))
    actor = factories.actor(session, manager)
    connection = session.connection()

    def statements(ids):
        seen = []

        def count(*_args):
            seen.append(1)

        event.listen(connection, "before_cursor_execute", count)
        try:
            scorecard.rep_scorecards(session, actor, Q2, ids)
        finally:
            event.remove(connection, "before_cursor_execute", count)
        return len(seen)

    statements([reps[0].id])  # warm up: what a session reads once (budget rates) is read here
    two = statements([r.id for r in reps[:2]])
    six = statements([r.id for r in reps])
    assert two == six


def test_a_product_lines_scorecard_reads_the_lines_deals_and_plans(session, team):
    rep, customer = team["rep"], team["customer"]
    zeta = _product(session, "Zeta gamma", LINE)
    other = _product(session, "Omega gamma", "Omega tools")
    _rep_rows(session, _plan(session, "revenue", LINE), rep, (1000, 1000, 1000))  # 3,000
    _rep_rows(session, _plan(session, "units", LINE), rep, (5, 5, 5))  # 15
    _won(session, rep, customer, amount=1200, closed_on=date(2030, 4, 5), quantity=3, product=zeta)
    _won(session, rep, customer, amount=800, closed_on=date(2030, 5, 9), quantity=2, product=zeta)
    _won(session, rep, customer, amount=5000, closed_on=date(2030, 5, 9), quantity=9, product=other)
    lost = pf.deal(
        session,
        rep,
        customer,
        amount=300,
        status="lost",
        created_on=date(2030, 4, 2),
        closed_on=date(2030, 5, 1),
    )
    lost.product_id = zeta.id
    session.flush()

    bench = scorecard.benchmarks(session)
    (raw,) = scorecard.rep_figures(session, Q2, [rep.id], bench, product_line=LINE).values()
    assert (raw.won_amount, raw.won_deals, raw.lost_deals) == (Decimal(2000), 2, 1)
    assert raw.target == Decimal(3000)
    assert raw.pipeline_created == Decimal(300)  # the lost Zeta deal, created in April
    assert (raw.counts["units"].target, raw.counts["units"].achieved) == (15, 5)

    manager = factories.actor(session, team["manager"])
    card = scorecard.rep_scorecard(session, manager, rep.id, Q2, product_line=LINE)
    # revenue 2,000 / 3,000 -> 66.7; units 5 / 15 -> 33.3; the mean: 50.0
    assert _part(card, "attainment").normalised == Decimal("50.0")
    assert _part(card, "win_rate").raw_text == "2 won of 3 closed = 66.7%"
    board = scorecard.leaderboard(session, manager, Q2, product_line=LINE)
    assert next(r for r in board if r.person_id == rep.id).attainment == Decimal("0.6667")
    # the company's scorecard of the same rep knows nothing of the line's plans
    whole = scorecard.rep_scorecard(session, manager, rep.id, Q2)
    assert whole.won == Decimal(7000) and whole.target is None and whole.targets == []


# --- alerts -------------------------------------------------------------------------------------


def _pace_alerts(session, who, today=TODAY):
    actor = factories.actor(session, who)
    return [
        a
        for a in alerts.current_alerts(session, actor, today=today)
        if a.rule == "behind_pace" and a.figures.get("measure")
    ]


def test_visits_behind_pace_fire_for_the_rep_with_their_own_wording(session, team):
    rep, peer = team["rep"], team["peer"]
    plan = _plan(session, "visits")
    for person in (rep, peer):
        _rep_rows(session, plan, person, (20, 31, 30))  # 81 this quarter
    # expected by 20 May: April 20 in full + May 31 x 20 / 31 = 40
    expected = Decimal(20) + Decimal(31) * Decimal(20) / Decimal(31)
    _visits(session, rep, team["customer"], 12, date(2030, 5, 2))  # 12 / 40 = 30 %
    _visits(session, peer, team["peer_customer"], 35, date(2030, 5, 2))  # 87.5 %: on pace

    found = _pace_alerts(session, team["manager"])
    assert [a.subject_id for a in found] == [rep.id]
    alert = found[0]
    assert alert.message.startswith(
        f"Visits behind pace: 12 of {expected:.0f} expected by today (target 81 this quarter)."
    )
    assert alert.owner_id == rep.id and alert.owner == rep.name
    assert alert.region == team["region"].name
    assert Decimal(alert.figures["expected_to_date"]) == expected
    assert alert.figures["pace"] == 0.3
    assert alert.key == f"behind_pace:rep:{rep.id}:2030Q2:visits:"
    # the rep sees her own alert, the peer does not
    assert [a.subject_id for a in _pace_alerts(session, rep)] == [rep.id]
    assert _pace_alerts(session, peer) == []
    # it can be acknowledged like any other alert
    manager = factories.actor(session, team["manager"])
    assert alerts.acknowledge(session, manager, [alert.key]) == 1
    assert _pace_alerts(session, team["manager"]) == []
    # too early in the quarter: quiet, the same threshold as revenue's behind pace
    assert _pace_alerts(session, team["manager"], today=date(2030, 4, 10)) == []


def test_a_lines_units_behind_pace_count_only_that_lines_won_units(session, team):
    rep, customer = team["rep"], team["customer"]
    zeta = _product(session, "Zeta one", LINE)
    other = _product(session, "Omega one", "Omega tools")
    _rep_rows(session, _plan(session, "units", LINE), rep, (10, 31, 9))  # 50
    # expected by 20 May: 10 + 31 x 20 / 31 = 30
    expected = Decimal(10) + Decimal(31) * Decimal(20) / Decimal(31)
    _won(session, rep, customer, amount=500, closed_on=date(2030, 4, 12), quantity=7, product=zeta)
    _won(session, rep, customer, amount=500, closed_on=date(2030, 5, 3), quantity=5, product=zeta)
    _won(session, rep, customer, amount=900, closed_on=date(2030, 5, 3), quantity=99, product=other)

    found = _pace_alerts(session, team["manager"])
    assert [(a.subject_id, a.figures["measure"], a.figures["product_line"]) for a in found] == [
        (rep.id, "units", LINE)
    ]
    assert found[0].message.startswith(
        f"Units of {LINE} behind pace: 12 of {expected:.0f} expected by today "
        "(target 50 this quarter)."
    )
    assert found[0].figures["achieved"] == "12"


def test_a_rep_on_pace_on_every_measure_raises_no_measure_alert(session, team):
    rep = team["rep"]
    _rep_rows(session, _plan(session, "visits"), rep, (20, 31, 30))
    _visits(session, rep, team["customer"], 40, date(2030, 5, 2))  # exactly expected
    assert _pace_alerts(session, team["manager"]) == []


# --- plan vs actual -----------------------------------------------------------------------------


def _raw_line_won(session, line: str, start: date, end: date, region_ids=None):
    """Won amount and units of a line's deals closed in the window, by raw SQL."""
    where = ""
    if region_ids is not None:
        where = f" AND d.region_id IN ({', '.join(str(int(r)) for r in region_ids)})"
    row = session.execute(
        text(
            "SELECT COALESCE(SUM(d.company_amount), 0), COALESCE(SUM(d.quantity), 0) "
            "FROM deal d JOIN product p ON p.id = d.product_id "
            "WHERE d.status = 'won' AND d.closed_on BETWEEN :start AND :end "
            "AND p.product_line = :line" + where
        ),
        {"start": start, "end": end, "line": line},
    ).one()
    return Decimal(row[0]), Decimal(row[1])


@pytest.fixture
def line_book(session, team):
    """Deals of two Zeta products and another line in 2030Q2, in the team's region and in a
    second region; a Zeta revenue plan and a units plan with rows on the root region."""
    zeta_a = _product(session, "Zeta alpha", LINE)
    zeta_b = _product(session, "Zeta beta", LINE)
    other = _product(session, "Omega alpha", "Omega tools")
    elsewhere = factories.region(session)
    stranger = factories.person(session, "rep", elsewhere)
    stranger_customer = factories.customer(session, stranger, elsewhere)
    rep, customer = team["rep"], team["customer"]
    _won(
        session, rep, customer, amount=1200, closed_on=date(2030, 4, 5), quantity=3, product=zeta_a
    )
    _won(session, rep, customer, amount=800, closed_on=date(2030, 5, 9), quantity=2, product=zeta_b)
    _won(session, rep, customer, amount=5000, closed_on=date(2030, 5, 9), quantity=9, product=other)
    _won(
        session,
        stranger,
        stranger_customer,
        amount=700,
        closed_on=date(2030, 6, 30),
        quantity=4,
        product=zeta_b,
    )
    root = session.scalar(select(Region.id).where(Region.parent_id.is_(None)))
    _region_rows(session, _plan(session, "revenue", LINE), root, (1000, 1000, 1000))
    _region_rows(session, _plan(session, "units", LINE), root, (3, 3, 4))
    return {"root": root, "elsewhere": elsewhere, "stranger": stranger}


def _director(session):
    return factories.actor(
        session, session.scalar(select(Person).where(Person.username == "director"))
    )


def test_plan_vs_actual_of_a_product_line_is_the_sum_of_its_products_won(session, team, line_book):
    director = _director(session)
    won, units = _raw_line_won(session, LINE, Q2.start, Q2.end)
    assert (won, units) == (Decimal(2700), Decimal(9))  # 1,200 + 800 + 700; 3 + 2 + 4

    regions = review.plan_vs_actual(session, director, Q2, "region", today=AFTER, product_line=LINE)
    assert sum(r.won for r in regions) == won
    lines = review.plan_vs_actual(session, director, Q2, "product_line", today=AFTER)
    zeta = next(r for r in lines if r.key == LINE)
    assert zeta.won == won
    assert (zeta.target, zeta.target_basis) == (Decimal(3000), "plan")  # the line's own plan
    (only,) = review.plan_vs_actual(
        session, director, Q2, "product_line", today=AFTER, product_line=LINE
    )
    assert (only.key, only.won, only.target, only.target_basis) == (LINE, won, 3000, "plan")

    months = measure_review.plan_by_month(session, director, Q2, product_line=LINE)
    assert [m.achieved for m in months] == [Decimal(1200), Decimal(800), Decimal(700)]
    assert [m.target for m in months] == [Decimal(1000)] * 3
    assert months[-1].cumulative_achieved == won
    assert months[-1].cumulative_target == Decimal(3000)

    units_months = measure_review.plan_by_month(
        session, director, Q2, measure="units", product_line=LINE
    )
    assert sum(m.achieved for m in units_months) == units
    assert [m.target for m in units_months] == [Decimal(3), Decimal(3), Decimal(4)]
    by_line = measure_review.measure_plan_vs_actual(
        session, director, Q2, "product_line", measure="units", today=AFTER
    )
    zeta_units = next(r for r in by_line if r.key == LINE)
    assert (zeta_units.target, zeta_units.achieved) == (Decimal(10), units)
    assert zeta_units.variance == units - 10


def test_a_managers_line_review_counts_only_the_area(session, team, line_book):
    manager = factories.actor(session, team["manager"])
    won, units = _raw_line_won(session, LINE, Q2.start, Q2.end, [team["region"].id])
    assert (won, units) == (Decimal(2000), Decimal(5))
    months = measure_review.plan_by_month(session, manager, Q2, product_line=LINE)
    assert sum(m.achieved for m in months) == won
    reps = measure_review.measure_plan_vs_actual(
        session, manager, Q2, "rep", measure="units", product_line=LINE, today=AFTER
    )
    assert {r.key: r.achieved for r in reps} == {str(team["rep"].id): units}
    assert str(line_book["stranger"].id) not in {r.key for r in reps}


def test_visits_plan_vs_actual_by_rep_and_month(session, team):
    rep, peer = team["rep"], team["peer"]
    plan = _plan(session, "visits")
    _rep_rows(session, plan, rep, (10, 10, 10))
    _visits(session, rep, team["customer"], 8, date(2030, 4, 3))
    _visits(session, rep, team["customer"], 13, date(2030, 6, 3))
    _visits(session, peer, team["peer_customer"], 2, date(2030, 5, 3))
    manager = factories.actor(session, team["manager"])
    rows = measure_review.measure_plan_vs_actual(
        session, manager, Q2, "rep", measure="visits", today=AFTER
    )
    by_rep = {r.key: (r.target, r.achieved, r.variance) for r in rows}
    assert by_rep[str(rep.id)] == (Decimal(30), Decimal(21), Decimal(-9))
    assert by_rep[str(peer.id)] == (None, Decimal(2), None)
    months = measure_review.plan_by_month(session, manager, Q2, measure="visits")
    assert [m.achieved for m in months] == [Decimal(8), Decimal(2), Decimal(13)]
    assert all(m.target is None for m in months)  # rep rows only: the area has no own rows


def test_refusals_are_unchanged_for_measures_and_lines(session, team, line_book):
    rep = factories.actor(session, team["rep"])
    with pytest.raises(PermissionDenied):
        review.plan_vs_actual(session, rep, Q2, "region", today=AFTER, product_line=LINE)
    with pytest.raises(PermissionDenied):
        measure_review.plan_by_month(session, rep, Q2, measure="units", product_line=LINE)
    with pytest.raises(PermissionDenied):
        measure_review.measure_plan_vs_actual(
            session, rep, Q2, "rep", measure="visits", today=AFTER
        )
    with pytest.raises(PermissionDenied):  # a rep opens no one else's scorecard
        scorecard.rep_scorecard(session, rep, team["peer"].id, Q2)
    director = _director(session)
    with pytest.raises(ValidationFailed, match="Visits have no product line"):
        measure_review.plan_by_month(session, director, Q2, measure="visits", product_line=LINE)
    with pytest.raises(ValidationFailed, match="not by 'segment'"):
        measure_review.measure_plan_vs_actual(
            session, director, Q2, "segment", measure="units", today=AFTER
        )
    with pytest.raises(ValidationFailed):
        measure_review.plan_by_month(session, director, Q2, measure="calls")
    with pytest.raises(ValidationFailed, match="has not ended"):
        review.plan_vs_actual(
            session, director, Q2, "region", today=TODAY + timedelta(days=1), product_line=LINE
        )
