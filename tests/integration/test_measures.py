"""Targets on every measure, against the database: units, visits and product-line attainment
checked against raw SQL over the deal, activity and target tables; week targets adding up to
their month; product-line break-downs; stretch levels; named seasonality profiles; and each
measure's own plan series. SQLite and PostgreSQL.

The demo data plans FY2024-FY2026 only, so these tests plan FY2031-FY2033 and book their own
wins and visits there."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pandas as pd
import pytest
from sqlalchemy import func, select, text

from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.org import company
from core.periods import fiscal_year, month, parse_period, quarter_of
from core.plans import allocation, line_plans, seasonality, stretch, views, workflow
from core.plans import lines as plan_lines
from core.plans.grid import TargetEdits, save_edits, set_company_target
from core.progress import figures
from core.progress.attainment import attainment_report
from core.progress.measures import targets_report
from db.schema import (
    Activity,
    AuditLog,
    Person,
    Product,
    Region,
    SeasonalityPercent,
    Target,
    TargetPlan,
)
from tests import factories
from tests.plan_factories import actor_named, sum_problems

YEAR = 2031
RATIO = Decimal("0.0001")
ERPNEXT = [8] * 10 + [10, 10]


# --- the book of 2031: wins with quantities and products, visits ---------------------------------


def _reps(session) -> list[Person]:
    return list(
        session.scalars(
            select(Person).where(Person.role == "rep", Person.active.is_(True)).order_by(Person.id)
        )
    )


def _products(session) -> list[Product]:
    return list(
        session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.id))
    )


def _book(session, year: int = YEAR, *, seed: int = 16) -> None:
    """Wins (quantity 1-9, a product or none), some lost and open deals, and visits, calls and
    a manager's visits, all in `year` and the first days of the next."""
    rng = random.Random(seed)
    products = _products(session)
    reps = _reps(session)
    manager = session.scalar(select(Person).where(Person.username == "manager"))
    for rep in reps[:8]:
        region = session.get(Region, rep.region_id)
        customer = factories.customer(session, rep, region)
        for n in range(rng.randint(3, 7)):
            day = date(year, 1, 1) + timedelta(days=rng.randint(0, 370))
            status = rng.choice(["won", "won", "won", "lost", "open"])
            deal = factories.deal(
                session,
                rep,
                customer,
                amount=Decimal(rng.randint(1, 90) * 100),
                status=status,
                closed_on=day if status != "open" else None,
                expected_close=day,
            )
            deal.created_on = day - timedelta(days=rng.randint(0, 20))
            deal.quantity = rng.randint(1, 9)
            deal.product_id = None if n == 0 else rng.choice(products).id
        for _ in range(rng.randint(5, 25)):
            day = date(year, 1, 1) + timedelta(days=rng.randint(0, 370))
            kind = rng.choice(["visit", "visit", "call"])
            session.add(
                Activity(type=kind, occurred_on=day, person_id=rep.id, customer_id=customer.id)
            )
    customer = factories.customer(session, reps[0], session.get(Region, reps[0].region_id))
    for d in range(4):
        session.add(
            Activity(
                type="visit",
                occurred_on=date(year, 3, 2 + d),
                person_id=manager.id,
                customer_id=customer.id,
            )
        )
    session.flush()


def _frame(session, sql: str, **params) -> pd.DataFrame:
    result = session.execute(text(sql), params)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def _won_units(session, period) -> pd.DataFrame:
    return _frame(
        session,
        "SELECT owner_id, region_id, product_id, SUM(quantity) AS n FROM deal "
        "WHERE status = 'won' AND closed_on BETWEEN :s AND :e "
        "GROUP BY owner_id, region_id, product_id",
        s=period.start,
        e=period.end,
    )


def _visits(session, period) -> pd.DataFrame:
    return _frame(
        session,
        "SELECT a.person_id, p.region_id, COUNT(*) AS n FROM activity a "
        "JOIN person p ON p.id = a.person_id "
        "WHERE a.type = 'visit' AND a.occurred_on BETWEEN :s AND :e "
        "GROUP BY a.person_id, p.region_id",
        s=period.start,
        e=period.end,
    )


def _subtree_totals(session, by_region: dict[int, int]) -> dict[int, int]:
    """Each region's total over itself and every region below it."""
    parents = dict(session.execute(select(Region.id, Region.parent_id)).all())
    out: dict[int, int] = {r: 0 for r in parents}
    for region, n in by_region.items():
        node = region
        while node is not None:
            out[node] += int(n)
            node = parents[node]
    return out


def _root(session) -> int:
    return session.scalar(select(Region.id).where(Region.parent_id.is_(None)))


def _approved(session, director, **settings):
    plan = allocation.create_plan(session, director, **settings)
    return workflow.approve_plan(session, director, plan.id)


def _weekdays(start: date, end: date) -> int:
    return sum((start + timedelta(days=d)).weekday() < 5 for d in range((end - start).days + 1))


def _expected_targets(session, plan_id: int, period) -> tuple[dict, dict, Fraction]:
    """Each region's own and each rep's target of the period from the raw target rows, and
    how far core may be from them: 0 for whole months; for a week, the exact working-day
    share of each month it touches, which core cuts in whole units (within one a month)."""
    months = period.months()
    frame = _frame(
        session,
        "SELECT region_id, person_id, month, SUM(amount) AS amount FROM target "
        "WHERE plan_id = :p AND month BETWEEN :s AND :e GROUP BY region_id, person_id, month",
        p=plan_id,
        s=months[0],
        e=period.end,
    )
    regions: dict[int, Fraction] = {}
    reps: dict[int, Fraction] = {}
    for region, person, month_of, amount in frame.itertuples(index=False):
        month_of = pd.Timestamp(month_of).date()
        share = Fraction(Decimal(amount))
        if period.kind == "week":
            last = date(month_of.year + month_of.month // 12, month_of.month % 12 + 1, 1)
            last -= timedelta(days=1)
            inside = _weekdays(max(period.start, month_of), min(period.end, last))
            share = share * inside / _weekdays(month_of, last)
        if pd.isna(person):
            regions[int(region)] = regions.get(int(region), 0) + share
        else:
            reps[int(person)] = reps.get(int(person), 0) + share
    return regions, reps, Fraction(len(months) if period.kind == "week" else 0)


def _close(value, exact, slack: Fraction) -> bool:
    return value is not None and abs(Fraction(value) - exact) <= slack


def _check_rows(session, plan_id, period, measure, achieved_by_owner, achieved_by_region):
    """targets_report by company, region and rep against the raw tables."""
    director = actor_named(session, "director")
    region_target, rep_target, slack = _expected_targets(session, plan_id, period)
    subtree = _subtree_totals(session, achieved_by_region)

    (company,) = targets_report(session, director, period, measure, "company")
    root = _root(session)
    assert _close(company.target, region_target[root], slack)
    assert company.target == company.target.to_integral_value()
    assert company.achieved == sum(achieved_by_owner.values())
    assert company.attainment == (company.achieved / company.target).quantize(RATIO)
    assert company.gap == company.target - company.achieved

    rows = targets_report(session, director, period, measure, "region")
    # every region below the company (the company is its own row)
    assert {r.key for r in rows} == {f"region:{r}" for r in region_target if r != root}
    for row in rows:
        region = int(row.key.split(":")[1])
        assert _close(row.target, region_target[region], slack), row.label
        assert row.achieved == subtree[region], row.label
        assert row.gap == row.target - row.achieved

    rows = targets_report(session, director, period, measure, "rep")
    seen = {int(r.key.split(":")[1]): r for r in rows}
    assert set(rep_target) <= set(seen)
    assert {p for p, n in achieved_by_owner.items() if n} <= set(seen)
    for person, row in seen.items():
        if person in rep_target:
            assert _close(row.target, rep_target[person], slack), row.label
        else:
            assert row.target is None, row.label
        assert row.achieved == achieved_by_owner.get(person, 0), row.label
        if row.target:
            assert row.attainment == (row.achieved / row.target).quantize(RATIO)
    return company


# --- attainment on units and visits --------------------------------------------------------------


@pytest.mark.parametrize("label", ["FY2031", "2031Q2", "2031-08", "2031-W23"])
def test_units_attainment_by_company_region_and_rep_matches_the_deal_table(session, label):
    _book(session)
    director = actor_named(session, "director")
    plan = _approved(
        session,
        director,
        fiscal_year=YEAR,
        company_target=Decimal(4800),
        method="equal",
        measure="units",
        seasonality="flat",
    )
    period = parse_period(label)
    won = _won_units(session, period)
    assert label == "2031-W23" or not won.empty, "the book has wins in the period"
    by_owner = won.groupby("owner_id")["n"].sum().to_dict()
    by_region = won.groupby("region_id")["n"].sum().to_dict()
    company = _check_rows(session, plan.id, period, "units", by_owner, by_region)
    assert company.measure == "units" and company.target == company.target.to_integral_value()


@pytest.mark.parametrize("label", ["FY2031", "2031Q1", "2031-03", "2031-W10"])
def test_visits_attainment_by_company_region_and_rep_matches_the_activity_table(session, label):
    _book(session)
    director = actor_named(session, "director")
    plan = _approved(
        session,
        director,
        fiscal_year=YEAR,
        company_target=Decimal(3000),
        method="equal",
        measure="visits",
    )
    period = parse_period(label)
    visits = _visits(session, period)
    by_owner = visits.groupby("person_id")["n"].sum().to_dict()
    by_region = visits.groupby("region_id")["n"].sum().to_dict()
    _check_rows(session, plan.id, period, "visits", by_owner, by_region)


@pytest.mark.parametrize("label", ["FY2031", "2031-05"])
def test_deals_created_attainment_matches_the_deals_opened(session, label):
    _book(session)
    director = actor_named(session, "director")
    plan = _approved(
        session,
        director,
        fiscal_year=YEAR,
        company_target=Decimal(600),
        method="equal",
        measure="deals_created",
    )
    period = parse_period(label)
    created = _frame(
        session,
        "SELECT owner_id, region_id, COUNT(*) AS n FROM deal "
        "WHERE created_on BETWEEN :s AND :e GROUP BY owner_id, region_id",
        s=period.start,
        e=period.end,
    )
    assert not created.empty
    by_owner = created.groupby("owner_id")["n"].sum().to_dict()
    by_region = created.groupby("region_id")["n"].sum().to_dict()
    _check_rows(session, plan.id, period, "deals_created", by_owner, by_region)


def test_a_manager_reads_visits_by_rep_for_a_week_of_their_region_only(session):
    _book(session)
    director = actor_named(session, "director")
    _approved(
        session,
        director,
        fiscal_year=YEAR,
        company_target=Decimal(3000),
        method="equal",
        measure="visits",
    )
    manager = actor_named(session, "manager")
    week = parse_period("2031-W10")
    subtree = set(manager.scope_region_ids or ())
    rows = targets_report(session, manager, week, "visits", "rep")
    people = {p.id: p for p in session.scalars(select(Person))}
    assert rows, "the manager's reps have week targets"
    assert all(people[int(r.key.split(":")[1])].region_id in subtree for r in rows)
    in_region = {p.id for p in people.values() if p.role == "rep" and p.active}
    in_region &= {p.id for p in people.values() if p.region_id in subtree}
    assert in_region <= {int(r.key.split(":")[1]) for r in rows}
    visits = _visits(session, week)
    for row in rows:
        person = int(row.key.split(":")[1])
        expected = int(visits[visits.person_id == person]["n"].sum())
        assert row.achieved == expected
        if people[person].role == "rep":
            assert row.target is not None and row.target == row.target.to_integral_value()
        else:  # the manager's own visits count, without a target of their own
            assert people[person].username == "manager" and row.target is None
    rep = actor_named(session, "rep")
    (mine,) = targets_report(session, rep, week, "visits", "rep")
    assert mine.key == f"rep:{rep.id}"
    with pytest.raises(PermissionDenied):
        targets_report(session, rep, week, "visits", "company")
    with pytest.raises(PermissionDenied):
        targets_report(session, manager, week, "visits", "company")


# --- product lines -------------------------------------------------------------------------------


def test_product_line_attainment_is_the_sum_of_its_products(session):
    _book(session)
    director = actor_named(session, "director")
    period = fiscal_year(YEAR)
    units = _won_units(session, period)
    revenue = _frame(
        session,
        "SELECT product_id, SUM(company_amount) AS amount FROM deal "
        "WHERE status = 'won' AND closed_on BETWEEN :s AND :e GROUP BY product_id",
        s=period.start,
        e=period.end,
    )
    line_of = {p.id: p.product_line for p in session.scalars(select(Product))}
    lines = sorted(set(line_of.values()))
    units_rows = {
        r.entity: r for r in targets_report(session, director, period, "units", "product_line")
    }
    revenue_rows = {
        r.entity: r for r in targets_report(session, director, period, "revenue", "product_line")
    }
    assert sorted(units_rows) == sorted(revenue_rows) == lines
    for line in lines:
        products = [p for p, name in line_of.items() if name == line]
        expected_units = int(units[units.product_id.isin(products)]["n"].sum())
        expected_revenue = sum(
            (Decimal(a) for p, a in zip(revenue.product_id, revenue.amount) if p in products),
            Decimal(0),
        )
        assert units_rows[line].achieved == expected_units
        assert revenue_rows[line].achieved == expected_revenue
        assert units_rows[line].target is None  # no line plan yet
    # deals without a product count for the company, in no line
    total_units = int(units["n"].sum())
    no_product = int(units[units.product_id.isna()]["n"].sum())
    assert no_product > 0
    assert sum(r.achieved for r in units_rows.values()) == total_units - no_product
    with pytest.raises(ValidationFailed, match="Visits have no product line"):
        targets_report(session, director, period, "visits", "product_line")


def test_breaking_a_plan_by_manual_shares_gives_line_plans_that_add_up(session):
    director = actor_named(session, "director")
    parent = allocation.create_plan(
        session,
        director,
        fiscal_year=YEAR,
        company_target=Decimal(3_000_001),
        method="equal",
        seasonality="flat",
    )
    lines = plan_lines.product_lines(session)
    shares = dict(zip(lines, [50, 30, 20], strict=True))
    made = line_plans.break_by_product_line(session, director, parent.id, "manual", shares)
    assert [p.product_line for p in made] == lines
    assert sum(p.company_target for p in made) == parent.company_target
    # 3,000,001 x 50 % = 1,500,000.5 -> the leftover unit to the first line (ties go first)
    assert [p.company_target for p in made] == [1_500_001, 900_000, 600_000]
    root = _root(session)
    for plan in made:
        assert (plan.measure, plan.status, plan.version) == ("revenue", "draft", 1)
        assert plan.label == f"FY{YEAR} revenue · {plan.product_line} v1"
        assert sum_problems(session, plan.id) == []
        company_rows = session.scalar(
            select(func.sum(Target.amount)).where(
                Target.plan_id == plan.id, Target.person_id.is_(None), Target.region_id == root
            )
        )
        assert company_rows == plan.company_target
    # the company's plan is untouched; each line has its own series
    again = views.get_plan(session, director, YEAR)
    assert (again.id, again.versions, again.company_target) == (parent.id, [1], 3_000_001)
    assert views.plan_series(session, YEAR) == [("revenue", "")] + [("revenue", n) for n in lines]
    audit = session.scalars(
        select(AuditLog).where(AuditLog.action == "break_by_product_line")
    ).all()
    assert [a.entity_id for a in audit] == [parent.id]


def test_breaking_down_again_sets_a_line_without_a_share_to_zero(session):
    director = actor_named(session, "director")
    parent = allocation.create_plan(
        session, director, fiscal_year=YEAR, company_target=Decimal(1_000), method="equal"
    )
    lines = plan_lines.product_lines(session)
    line_plans.break_by_product_line(
        session, director, parent.id, "manual", dict(zip(lines, [50, 30, 20], strict=True))
    )
    again = line_plans.break_by_product_line(
        session, director, parent.id, "manual", dict(zip(lines, [60, 40, 0], strict=True))
    )
    # the third line keeps its plan, now at zero, so the lines still add up to the company's
    assert [(p.product_line, p.company_target) for p in again] == [
        (lines[0], 600),
        (lines[1], 400),
        (lines[2], 0),
    ]
    root = _root(session)
    totals = dict(
        session.execute(
            select(TargetPlan.product_line, func.sum(Target.amount))
            .join(Target, Target.plan_id == TargetPlan.id)
            .where(
                TargetPlan.fiscal_year == YEAR,
                TargetPlan.product_line != "",
                Target.person_id.is_(None),
                Target.region_id == root,
            )
            .group_by(TargetPlan.product_line)
        ).all()
    )
    assert sum(totals.values()) == 1_000
    assert totals[lines[2]] == 0


def test_history_shares_follow_the_lines_won_history(session):
    director = actor_named(session, "director")
    lines = plan_lines.product_lines(session)
    products = {p.product_line: p for p in _products(session)}
    rep = _reps(session)[0]
    customer = factories.customer(session, rep, session.get(Region, rep.region_id))
    # the twelve months before FY2031: 30 units of the first line, 10 of the second, none of
    # the third
    for line, quantity, day in (
        (lines[0], 30, date(2030, 2, 3)),
        (lines[1], 10, date(2030, 11, 9)),
    ):
        deal = factories.deal(session, rep, customer, status="won", closed_on=day)
        deal.quantity, deal.product_id = quantity, products[line].id
    session.flush()
    history = _frame(
        session,
        "SELECT p.product_line, SUM(d.quantity) AS n FROM deal d JOIN product p "
        "ON p.id = d.product_id WHERE d.status = 'won' AND d.closed_on BETWEEN :s AND :e "
        "GROUP BY p.product_line",
        s=date(2030, 1, 1),
        e=date(2030, 12, 31),
    )
    weights = {line: int(n) for line, n in zip(history.product_line, history.n)}
    assert weights == {lines[0]: 30, lines[1]: 10}
    parent = allocation.create_plan(
        session,
        director,
        fiscal_year=YEAR,
        company_target=Decimal(12_000),
        method="equal",
        measure="units",
    )
    made = line_plans.break_by_product_line(session, director, parent.id, "history")
    # 3:1 -> 9,000 and 3,000; the line without history gets no plan
    assert {p.product_line: p.company_target for p in made} == {lines[0]: 9000, lines[1]: 3000}
    for plan in made:
        assert plan.measure == "units" and sum_problems(session, plan.id) == []
        workflow.approve_plan(session, director, plan.id)
    # the line's target is its own plan's; its attainment counts the line's products
    rows = {
        r.entity: r
        for r in targets_report(session, director, fiscal_year(YEAR), "units", "product_line")
    }
    assert rows[lines[0]].target == 9000 and rows[lines[1]].target == 3000
    assert rows[lines[2]].target is None


def test_manual_line_shares_that_do_not_make_100_are_refused_and_nothing_is_written(session):
    director = actor_named(session, "director")
    parent = allocation.create_plan(
        session, director, fiscal_year=YEAR, company_target=Decimal(100_000), method="equal"
    )
    lines = plan_lines.product_lines(session)
    plans = session.scalar(select(func.count()).select_from(TargetPlan))
    rows = session.scalar(select(func.count()).select_from(Target))
    bad = [
        (dict(zip(lines, [50, 30, 19], strict=True)), "add up to 99, not 100"),
        ({lines[0]: 60, lines[1]: 50}, "add up to 110"),
        ({lines[0]: 100, "No such line": 0}, "Unknown product line"),
        ({lines[0]: -10, lines[1]: 110}, None),
    ]
    for shares, message in bad:
        with pytest.raises(ValidationFailed, match=message):
            line_plans.break_by_product_line(session, director, parent.id, "manual", shares)
    with pytest.raises(ValidationFailed, match="Unknown way"):
        line_plans.break_by_product_line(session, director, parent.id, "by guess")
    assert session.scalar(select(func.count()).select_from(TargetPlan)) == plans
    assert session.scalar(select(func.count()).select_from(Target)) == rows
    visits = allocation.create_plan(
        session,
        director,
        fiscal_year=YEAR,
        company_target=Decimal(500),
        method="equal",
        measure="visits",
    )
    with pytest.raises(ValidationFailed, match="Only revenue and units"):
        line_plans.break_by_product_line(session, director, visits.id, "equal")
    made = line_plans.break_by_product_line(session, director, parent.id, "equal")
    with pytest.raises(ValidationFailed, match="already a product line's plan"):
        line_plans.break_by_product_line(session, director, made[0].id, "equal")
    with pytest.raises(NotFound):
        line_plans.break_by_product_line(session, director, 10**9, "equal")


def test_a_refused_break_down_writes_no_line_plan_and_no_target(session):
    director = actor_named(session, "director")
    parent = allocation.create_plan(
        session, director, fiscal_year=YEAR, company_target=Decimal(100_000), method="equal"
    )
    lines = plan_lines.product_lines(session)
    before = (
        session.scalar(select(func.count()).select_from(TargetPlan)),
        session.scalar(select(func.count()).select_from(Target)),
        session.scalar(select(func.count()).select_from(AuditLog)),
    )
    with pytest.raises(ValidationFailed):
        line_plans.break_by_product_line(
            session, director, parent.id, "manual", dict(zip(lines, [50, 30, 19], strict=True))
        )
    with pytest.raises(ValidationFailed, match="has any history"):
        line_plans.break_by_product_line(session, director, parent.id, "history")
    after = (
        session.scalar(select(func.count()).select_from(TargetPlan)),
        session.scalar(select(func.count()).select_from(Target)),
        session.scalar(select(func.count()).select_from(AuditLog)),
    )
    assert after == before
    with pytest.raises(ValidationFailed, match="Only revenue and units"):
        allocation.create_plan(
            session,
            director,
            fiscal_year=YEAR,
            company_target=Decimal(10),
            method="equal",
            measure="visits",
            product_line=lines[0],
        )
    with pytest.raises(ValidationFailed, match="no product line 'Nope'"):
        allocation.create_plan(
            session,
            director,
            fiscal_year=YEAR,
            company_target=Decimal(10),
            method="equal",
            product_line="Nope",
        )


# --- weeks ---------------------------------------------------------------------------------------


def _mondays_touching(month_start: date) -> list[date]:
    out, day = [], month_start
    while day.month == month_start.month:
        monday = day - timedelta(days=day.weekday())
        if monday not in out:
            out.append(monday)
        day += timedelta(days=1)
    return out


def test_the_week_targets_of_every_rep_add_up_to_the_month(session):
    director = actor_named(session, "director")
    plan = _approved(
        session,
        director,
        fiscal_year=YEAR,
        company_target=Decimal(9_999),
        method="equal",
        measure="units",
        seasonality="flat",
    )
    rows = _frame(
        session,
        "SELECT person_id, region_id, month, amount FROM target WHERE plan_id = :p",
        p=plan.id,
    )
    rows["month"] = pd.to_datetime(rows["month"]).dt.date
    rep_month = rows[rows.person_id.notna()].groupby(["person_id", "month"])["amount"].sum()
    region_month = rows[rows.person_id.isna()].set_index(["region_id", "month"])["amount"]
    region_ids = {int(r) for r, _ in region_month.index}
    for month_number in range(1, 13):
        month_start = date(YEAR, month_number, 1)
        rep_sum: dict[int, Decimal] = {}
        region_sum: dict[int, Decimal] = {}
        for monday in _mondays_touching(month_start):
            week = parse_period("{}-W{:02d}".format(*monday.isocalendar()[:2]))
            for person, months in figures.rep_targets_by_month(
                session, week, None, measure="units"
            ).items():
                part = months.get(month_start, Decimal(0))
                assert part == part.to_integral_value()
                rep_sum[person] = rep_sum.get(person, Decimal(0)) + part
            for region, months in figures.region_targets_by_month(
                session, week, region_ids, measure="units"
            ).items():
                region_sum[region] = region_sum.get(region, Decimal(0)) + months.get(
                    month_start, Decimal(0)
                )
        for (person, month_of), amount in rep_month.items():
            if month_of == month_start:
                assert rep_sum.get(int(person), 0) == Decimal(amount), (person, month_start)
        for (region, month_of), amount in region_month.items():
            if month_of == month_start:
                assert region_sum.get(int(region), 0) == Decimal(amount), (region, month_start)


def test_a_week_that_straddles_two_fiscal_years_reads_both_plans(session):
    director = actor_named(session, "director")
    # 2032-W01 runs from Monday 29 December 2031 to Sunday 4 January 2032 (its Thursday is 1
    # January: FY2032). December 2031 has 23 working days, 3 of them in the week; January
    # 2032 has 22, 2 of them in the week.
    week = parse_period("2032-W01")
    assert (week.start, week.end, week.fiscal_year) == (date(2031, 12, 29), date(2032, 1, 4), 2032)
    # flat: 2,760 -> 230 a month -> 30 in the week; 2,640 -> 220 a month -> 20 in the week
    older = allocation.create_plan(
        session,
        director,
        fiscal_year=2031,
        company_target=Decimal(2760),
        method="equal",
        measure="visits",
    )
    _approved(
        session,
        director,
        fiscal_year=2032,
        company_target=Decimal(2640),
        method="equal",
        measure="visits",
    )
    (company,) = targets_report(session, director, week, "visits", "company")
    assert company.target == 20  # the FY2031 plan is still a draft: only January counts
    workflow.approve_plan(session, director, older.id)
    (company,) = targets_report(session, director, week, "visits", "company")
    assert company.target == 50
    root = _root(session)
    months = figures.region_targets_by_month(session, week, {root}, measure="visits")[root]
    assert months == {date(2031, 12, 1): 30, date(2032, 1, 1): 20}
    # the revenue plans of those years do not exist: revenue has no week target
    assert figures.region_targets_by_month(session, week, {root}) == {}


# --- stretch levels ------------------------------------------------------------------------------


def test_stretch_levels_above_100_are_kept_and_shown_as_stretch_targets(session):
    director = actor_named(session, "director")
    for bad in (["100"], ["99.5"], ["110", "1001"], ["abc"], ["-120"]):
        with pytest.raises(ValidationFailed):
            allocation.create_plan(
                session,
                director,
                fiscal_year=YEAR,
                company_target=Decimal(1200),
                method="equal",
                measure="units",
                stretch_levels=bad,
            )
    assert (
        session.scalar(
            select(func.count()).select_from(TargetPlan).where(TargetPlan.fiscal_year == YEAR)
        )
        == 0
    )
    plan = allocation.create_plan(
        session,
        director,
        fiscal_year=YEAR,
        company_target=Decimal(1200),
        method="equal",
        measure="units",
        stretch_levels=["125", Decimal(110), "110"],
    )
    assert plan.stretch_levels == [110, 125]
    workflow.approve_plan(session, director, plan.id)
    (company,) = targets_report(session, director, quarter_of(date(YEAR, 2, 1)), "units", "company")
    assert company.target == 300
    assert company.stretch == [Decimal("330.00"), Decimal("375.00")]
    # a count's stretch target is a whole number, rounded half up (7 units -> 7.7 -> 8)
    month = parse_period(f"{YEAR}-02")
    reps = [r for r in targets_report(session, director, month, "units", "rep") if r.target]
    assert reps
    for row in reps:
        expected = [
            (row.target * Decimal(level) / 100).quantize(Decimal(1), rounding="ROUND_HALF_UP")
            for level in (110, 125)
        ]
        assert row.stretch == expected
        assert all(value == value.to_integral_value() for value in row.stretch)
    # new levels for the approved plan start a new draft version; the approved one keeps its
    with pytest.raises(ValidationFailed):
        stretch.set_stretch_levels(session, director, plan.id, ["100"])
    changed = stretch.set_stretch_levels(session, director, plan.id, ["150"])
    assert (changed.version, changed.status, changed.stretch_levels) == (2, "draft", [150])
    assert session.get(TargetPlan, plan.id).stretch_levels == ["110", "125"]
    assert session.get(TargetPlan, plan.id).status == "approved"
    assert figures.active_plan_id(session, YEAR, "units") == plan.id
    (company,) = targets_report(session, director, quarter_of(date(YEAR, 2, 1)), "units", "company")
    assert company.stretch == [Decimal("330.00"), Decimal("375.00")]
    # the draft's levels change in place; the older version refuses (a newer one exists)
    cleared = stretch.set_stretch_levels(session, director, changed.id, [])
    assert (cleared.id, cleared.version, cleared.stretch_levels) == (changed.id, 2, [])
    with pytest.raises(ValidationFailed, match="newer version"):
        stretch.set_stretch_levels(session, director, plan.id, ["130"])
    assert session.get(TargetPlan, plan.id).stretch_levels == ["110", "125"]


# --- named seasonality profiles ------------------------------------------------------------------


def test_a_named_profile_is_saved_replaced_used_and_deleted(session):
    director = actor_named(session, "director")
    rep = actor_named(session, "rep")
    name = seasonality.save_profile(session, director, "  Retail   test ", ERPNEXT)
    assert name == "Retail test"
    assert seasonality.profiles(session, rep)[name] == [Decimal(v) for v in ERPNEXT]
    uneven = [5, 6, 7, 8, 9, 10, 11, 12, 10, 8, 7, 7]
    assert seasonality.save_profile(session, director, name, uneven) == name
    stored = session.scalars(
        select(SeasonalityPercent.percent)
        .where(SeasonalityPercent.name == name)
        .order_by(SeasonalityPercent.month)
    ).all()
    assert [Decimal(v) for v in stored] == [Decimal(v) for v in uneven]
    seasonality.save_profile(session, director, name, ERPNEXT)
    plan = allocation.create_plan(
        session,
        director,
        fiscal_year=YEAR,
        company_target=Decimal(30_000),
        method="equal",
        measure="visits",
        seasonality=name,
    )
    workflow.approve_plan(session, director, plan.id)
    quarters = []
    for q in range(1, 5):
        (company,) = targets_report(session, director, parse_period(f"{YEAR}Q{q}"), "visits")
        quarters.append(company.target)
    assert quarters == [7200, 7200, 7200, 8400]
    with pytest.raises(ValidationFailed, match="A plan uses the profile"):
        seasonality.delete_profile(session, director, name)
    assert name in seasonality.all_profiles(session)
    seasonality.save_profile(session, director, "Unused", uneven)
    seasonality.delete_profile(session, director, "Unused")
    assert "Unused" not in seasonality.all_profiles(session)
    with pytest.raises(NotFound):
        seasonality.delete_profile(session, director, "Unused")


def test_a_profile_with_a_fiscal_year_from_april_follows_the_calendar_months(session):
    director = actor_named(session, "director")
    company.set_fiscal_start_month(session, director, 4)
    seasonality.save_profile(session, director, "Retail April", ERPNEXT)
    plan = _approved(
        session,
        director,
        fiscal_year=YEAR,
        company_target=Decimal(30_000),
        method="equal",
        measure="units",
        seasonality="Retail April",
    )
    root = _root(session)
    rows = dict(
        session.execute(
            select(Target.month, Target.amount).where(
                Target.plan_id == plan.id, Target.person_id.is_(None), Target.region_id == root
            )
        ).all()
    )
    assert rows[date(2031, 4, 1)] == 2400 and rows[date(2031, 11, 1)] == 3000
    assert rows[date(2032, 3, 1)] == 2400 and len(rows) == 12
    (q3,) = targets_report(session, director, parse_period("2031Q3", 4), "units")
    assert q3.target == 8400  # October to December


def test_bad_profiles_are_refused_and_nothing_is_written(session):
    director = actor_named(session, "director")
    count = session.scalar(select(func.count()).select_from(SeasonalityPercent))
    for name, values, message in (
        ("Short", ERPNEXT[:11], "12 monthly percentages"),
        ("Sum", [8] * 10 + [10, Decimal("9.99")], "not exactly 100"),
        ("Decimals", [Decimal("8.333")] * 12, "two decimals"),
        ("Flat", ERPNEXT, "built-in"),
        ("history", ERPNEXT, "built-in"),
        ("", ERPNEXT, "a name"),
        ("x" * 31, ERPNEXT, "at most 30"),
    ):
        with pytest.raises(ValidationFailed, match=message):
            seasonality.save_profile(session, director, name, values)
    assert session.scalar(select(func.count()).select_from(SeasonalityPercent)) == count
    with pytest.raises(PermissionDenied):
        seasonality.save_profile(session, actor_named(session, "manager"), "Mine", ERPNEXT)


def test_create_plan_refuses_an_unknown_profile_name(session):
    director = actor_named(session, "director")
    before = session.scalar(select(func.count()).select_from(TargetPlan))
    with pytest.raises(ValidationFailed, match="Unknown seasonality 'No such profile'"):
        allocation.create_plan(
            session,
            director,
            fiscal_year=YEAR,
            company_target=Decimal(1000),
            method="equal",
            measure="units",
            seasonality="No such profile",
        )
    assert session.scalar(select(func.count()).select_from(TargetPlan)) == before


# --- each measure has its own plan series --------------------------------------------------------


def test_a_units_plan_has_its_own_versions_and_workflow(session):
    director = actor_named(session, "director")
    revenue = _approved(
        session, director, fiscal_year=YEAR, company_target=Decimal(1_000_000), method="equal"
    )
    units = allocation.create_plan(
        session,
        director,
        fiscal_year=YEAR,
        company_target=Decimal(5000),
        method="equal",
        measure="units",
    )
    assert (units.measure, units.version, units.status, units.versions) == (
        "units",
        1,
        "draft",
        [1],
    )
    assert units.label == f"FY{YEAR} units v1"
    again = views.get_plan(session, director, YEAR)
    assert (again.id, again.version, again.status, again.versions) == (
        revenue.id,
        1,
        "approved",
        [1],
    )
    assert figures.active_plan_id(session, YEAR) == revenue.id
    assert figures.active_plan_id(session, YEAR, "units") is None
    workflow.submit_plan(session, director, units.id)
    workflow.approve_plan(session, director, units.id)
    assert figures.active_plan_id(session, YEAR, "units") == units.id
    second = workflow.new_version(session, director, units.id)
    assert (second.measure, second.version) == ("units", 2)
    assert figures.active_plan_id(session, YEAR, "units") == units.id
    # allocating the units series again replaces its draft, never the revenue plan
    replaced = allocation.create_plan(
        session,
        director,
        fiscal_year=YEAR,
        company_target=Decimal(6000),
        method="equal",
        measure="units",
    )
    assert (replaced.id, replaced.version) == (second.id, 2)
    workflow.approve_plan(session, director, second.id)
    assert figures.active_plan_id(session, YEAR, "units") == second.id
    workflow.lock_plan(session, director, second.id)
    assert figures.active_plan_id(session, YEAR, "units") == second.id
    assert views.get_plan(session, director, YEAR, measure="units").versions == [1, 2]
    assert views.get_plan(session, director, YEAR).versions == [1]
    assert figures.active_plan_id(session, YEAR) == revenue.id
    (row,) = targets_report(session, director, month(YEAR, 1), "units")
    assert row.target == 500  # 6,000 flat
    with pytest.raises(NotFound, match="no FY2031 visits plan"):
        views.get_plan(session, director, YEAR, measure="visits")


def test_a_count_target_must_be_a_whole_number(session):
    director = actor_named(session, "director")
    for measure in ("units", "visits", "deals_created"):
        with pytest.raises(ValidationFailed, match="whole, non-negative number"):
            allocation.create_plan(
                session,
                director,
                fiscal_year=YEAR,
                company_target=Decimal("100.5"),
                method="equal",
                measure=measure,
            )
    with pytest.raises(ValidationFailed, match="Unknown measure 'calls'"):
        allocation.create_plan(
            session,
            director,
            fiscal_year=YEAR,
            company_target=Decimal(100),
            method="equal",
            measure="calls",
        )
    assert (
        session.scalar(
            select(func.count()).select_from(TargetPlan).where(TargetPlan.fiscal_year == YEAR)
        )
        == 0
    )
    plan = allocation.create_plan(
        session,
        director,
        fiscal_year=YEAR,
        company_target=Decimal(101),
        method="equal",
        measure="deals_created",
    )
    amounts = session.scalars(select(Target.amount).where(Target.plan_id == plan.id)).all()
    assert amounts and all(Decimal(a) == Decimal(a).to_integral_value() for a in amounts)
    assert sum_problems(session, plan.id) == []


@pytest.mark.parametrize("by", ["company", "region", "rep", "product_line"])
def test_a_deactivated_user_reads_no_targets_report(session, by):
    for username in ("director", "manager", "rep"):
        gone = actor_named(session, username).model_copy(update={"active": False})
        with pytest.raises(PermissionDenied, match="deactivated"):
            targets_report(session, gone, fiscal_year(2026), "units", by)
        if by != "product_line":
            with pytest.raises(PermissionDenied, match="deactivated"):
                attainment_report(session, gone, fiscal_year(2026), by, simulate=False)


def _yearly_rep_targets(session, plan_id: int, region_id: int) -> dict[int, int]:
    frame = _frame(
        session,
        "SELECT person_id, SUM(amount) AS amount FROM target WHERE plan_id = :p "
        "AND region_id = :r AND person_id IS NOT NULL GROUP BY person_id",
        p=plan_id,
        r=region_id,
    )
    return {int(p): int(Decimal(a)) for p, a in zip(frame.person_id, frame.amount)}


def test_historical_share_of_a_units_plan_weighs_reps_by_units_sold_also_when_resplit(session):
    """Two reps of one region in FY2030: one sold 9 units for 100, the other 1 unit for 900.
    A units plan by history gives the first 90 % of the region, revenue would give 10 %."""
    director = actor_named(session, "director")
    home = session.get(
        Region, session.scalar(select(Person.region_id).where(Person.username == "rep"))
    )
    seller, other = [p for p in _reps(session) if p.region_id == home.id][:2]
    customer = factories.customer(session, seller, home)
    for who, quantity, amount in ((seller, 9, 100), (other, 1, 900)):
        deal = factories.deal(
            session, who, customer, amount=Decimal(amount), status="won", closed_on=date(2030, 6, 1)
        )
        deal.quantity = quantity
    session.flush()
    units_2030 = _won_units(session, fiscal_year(2030)).groupby("owner_id")["n"].sum().to_dict()
    assert (units_2030.get(seller.id), units_2030.get(other.id)) == (9, 1)
    plan = allocation.create_plan(
        session,
        director,
        fiscal_year=YEAR,
        company_target=Decimal(120_000),
        method="equal",
        measure="units",
    )
    before = _yearly_rep_targets(session, plan.id, home.id)
    assert abs(before[seller.id] - before[other.id]) <= 12  # equal
    allocation.resplit_region(
        session, director, plan.id, home.id, "history", expected_lock_version=None
    )
    after = _yearly_rep_targets(session, plan.id, home.id)
    region_total = sum(after.values())
    assert region_total == sum(before.values())  # the region's months do not change
    # each month 9:1 in whole units, so the year within 12 units of 90 %
    assert abs(Fraction(after[seller.id]) - Fraction(region_total * 9, 10)) <= 12
    assert sum_problems(session, plan.id) == []
    # allocating (the draft again) by history weighs the same way: every other rep sold
    # nothing in FY2030, so the two reps carry the whole plan, 9:1
    by_history = allocation.create_plan(
        session,
        director,
        fiscal_year=YEAR,
        company_target=Decimal(120_000),
        method="history",
        measure="units",
    )
    totals = _yearly_rep_targets(session, by_history.id, home.id)
    assert totals[seller.id] > 8 * totals[other.id]


def _region_year(session, plan_id: int, region_id: int) -> Decimal:
    return session.scalar(
        select(func.sum(Target.amount)).where(
            Target.plan_id == plan_id, Target.person_id.is_(None), Target.region_id == region_id
        )
    )


def test_padding_ramp_locks_and_grid_edits_work_on_a_visits_plan(session):
    director = actor_named(session, "director")
    manager = actor_named(session, "manager")
    newcomer = session.scalar(select(Person).where(Person.username == "rep.2"))
    newcomer.hire_date = date(YEAR, 5, 1)
    session.flush()
    plan = allocation.create_plan(
        session,
        director,
        fiscal_year=YEAR,
        company_target=Decimal(2_401),
        method="equal",
        measure="visits",
        padding_pct=Decimal(10),
    )
    assert sum_problems(session, plan.id, Decimal(10)) == []
    rows = _frame(
        session,
        "SELECT person_id, month, amount FROM target WHERE plan_id = :p AND person_id = :r "
        "ORDER BY month",
        p=plan.id,
        r=newcomer.id,
    )
    assert [Decimal(a) for a in rows.amount[:5]] == [0] * 5  # ramping up from May
    assert int(rows.amount.iloc[-1]) > 0
    rep = actor_named(session, "rep")
    home = session.scalar(select(Person.region_id).where(Person.id == rep.id))
    fraction = TargetEdits(cells={f"rep:{rep.id}": {0: Decimal("2.5")}})
    with pytest.raises(ValidationFailed, match="whole"):
        save_edits(session, manager, plan.id, home, fraction, expected_lock_version=None)
    save_edits(
        session,
        manager,
        plan.id,
        home,
        TargetEdits(cells={f"rep:{rep.id}": {0: Decimal(3)}}),
        expected_lock_version=None,
    )
    january = session.scalar(
        select(Target.amount).where(
            Target.plan_id == plan.id, Target.person_id == rep.id, Target.month == date(YEAR, 1, 1)
        )
    )
    assert january == 3
    # a locked region keeps its year when the company figure changes
    europe = session.scalar(select(Region.id).where(Region.name == "Europe"))
    saved = save_edits(
        session,
        director,
        plan.id,
        _root(session),
        TargetEdits(locks={f"region:{europe}": True}),
        expected_lock_version=None,
    )
    kept = _region_year(session, plan.id, europe)
    set_company_target(
        session, director, plan.id, Decimal(3_000), expected_lock_version=saved.lock_version
    )
    assert _region_year(session, plan.id, europe) == kept
    assert sum_problems(session, plan.id, Decimal(10)) == []
    root = _root(session)
    company_months = session.scalars(
        select(Target.amount).where(
            Target.plan_id == plan.id, Target.person_id.is_(None), Target.region_id == root
        )
    ).all()
    assert sum(company_months) == 3_000
    assert all(Decimal(a) == Decimal(a).to_integral_value() for a in company_months)


def test_target_totals_of_adjacent_periods_equal_the_raw_rows_of_each_plan(session):
    """The leaderboard's and plan-vs-actual's totals, added up in SQL: each period of a pair
    reads the plan of its own fiscal year (the first quarter's previous quarter is the last of
    the year before), a draft plan counts for nothing, and a week keeps its working-day part."""
    director = actor_named(session, "director")
    revenue = _approved(
        session, director, fiscal_year=YEAR, company_target=Decimal(1_200_000), method="equal"
    )
    units = _approved(
        session,
        director,
        fiscal_year=YEAR + 1,
        company_target=Decimal(4_800),
        method="equal",
        measure="units",
    )
    allocation.create_plan(  # a draft of FY2032's revenue: no target yet
        session, director, fiscal_year=YEAR + 1, company_target=Decimal(999_999), method="equal"
    )
    cases = [
        ("revenue", [quarter_of(date(YEAR, 4, 1)), quarter_of(date(YEAR, 7, 1))], [revenue.id] * 2),
        (
            "revenue",
            [quarter_of(date(YEAR, 10, 1)), quarter_of(date(YEAR + 1, 1, 1))],
            [revenue.id, None],
        ),
        (
            "units",
            [quarter_of(date(YEAR, 10, 1)), quarter_of(date(YEAR + 1, 1, 1))],
            [None, units.id],
        ),
        ("units", [parse_period(f"{YEAR + 1}-W05")], [units.id]),
    ]
    people = [p.id for p in _reps(session)]
    regions = [r.id for r in session.scalars(select(Region))]
    for measure, periods, plan_ids in cases:
        reps = figures.rep_target_totals(session, periods, people, measure=measure)
        own = figures.region_target_totals(session, periods, regions, measure=measure)
        assert len(reps) == len(own) == len(periods)
        for period, plan_id, rep_totals, region_totals in zip(periods, plan_ids, reps, own):
            if plan_id is None:
                assert rep_totals == region_totals == {}, (measure, period.label)
                continue
            expected_regions, expected_reps, slack = _expected_targets(session, plan_id, period)
            assert expected_reps and expected_regions
            assert set(rep_totals) == set(expected_reps), (measure, period.label)
            assert set(region_totals) == set(expected_regions), (measure, period.label)
            for person, exact in expected_reps.items():
                assert _close(rep_totals[person], exact, slack), (period.label, person)
            for region, exact in expected_regions.items():
                assert _close(region_totals[region], exact, slack), (period.label, region)
            if period.kind == "week":  # the same parts as the monthly reader's
                monthly = figures.rep_targets_by_month(session, period, people, measure=measure)
                assert rep_totals == {p: sum(m.values()) for p, m in monthly.items()}
    assert figures.rep_target_totals(session, cases[0][1], []) == [{}, {}]
