"""The demo's targets beyond revenue (checked on the seeded small test database): units and
visits plans for every rep, this year's revenue by product line, two named seasonality
profiles, and deals that sell more than one unit."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from core.org.regions import load_region_tree
from db.schema import Activity, Deal, Person, Product, SeasonalityPercent, Target, TargetPlan
from tests.conftest import SEED_TODAY

THIS = SEED_TODAY.year  # the demo company's fiscal year is the calendar year
APPROVED = ("approved", "locked")


def _plan(session, year: int, measure: str, line: str = "") -> TargetPlan:
    plans = session.scalars(
        select(TargetPlan).where(
            TargetPlan.fiscal_year == year,
            TargetPlan.measure == measure,
            TargetPlan.product_line == line,
            TargetPlan.status.in_(APPROVED),
        )
    ).all()
    assert len(plans) == 1, (year, measure, line)
    return plans[0]


def _rep_year_totals(session, plan_id: int) -> dict[int, Decimal]:
    rows = session.execute(
        select(Target.person_id, Target.amount).where(
            Target.plan_id == plan_id, Target.person_id.is_not(None)
        )
    )
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for person_id, amount in rows:
        totals[person_id] += Decimal(amount)
    return dict(totals)


def _company_months(session, plan_id: int) -> list[Decimal]:
    root = load_region_tree(session).root_id
    return [
        Decimal(a)
        for a in session.scalars(
            select(Target.amount)
            .where(Target.plan_id == plan_id, Target.region_id == root, Target.person_id.is_(None))
            .order_by(Target.month)
        )
    ]


def _active_reps(session) -> list[int]:
    return list(
        session.scalars(select(Person.id).where(Person.role == "rep", Person.active.is_(True)))
    )


def test_every_active_rep_has_approved_units_and_visits_targets_this_year(session):
    reps = _active_reps(session)
    assert len(reps) == 12
    for measure in ("units", "visits"):
        plan = _plan(session, THIS, measure)
        assert plan.status == "approved"
        totals = _rep_year_totals(session, plan.id)
        assert set(totals) == set(reps), measure
        assert all(total > 0 for total in totals.values()), (measure, totals)
        assert all(total == total.to_integral_value() for total in totals.values())
        assert sum(totals.values()) == plan.company_target == sum(_company_months(session, plan.id))


def test_past_years_have_locked_units_and_visits_plans_beside_their_revenue_plan(session):
    revenue_years = set(
        session.scalars(
            select(TargetPlan.fiscal_year).where(
                TargetPlan.measure == "revenue", TargetPlan.product_line == ""
            )
        )
    )
    assert {THIS - 2, THIS - 1, THIS} <= revenue_years
    for year in revenue_years:
        for measure in ("units", "visits"):
            plan = _plan(session, year, measure)
            assert plan.status == ("approved" if year == THIS else "locked")


def test_the_product_line_plans_add_up_to_the_company_revenue_plan(session):
    company = _plan(session, THIS, "revenue")
    lines = set(
        session.scalars(select(Product.product_line).where(Product.active.is_(True)).distinct())
    )
    line_plans = [_plan(session, THIS, "revenue", line) for line in sorted(lines)]
    assert len(lines) == 3
    assert sum(p.company_target for p in line_plans) == company.company_target
    assert all(p.status == "approved" and p.company_target > 0 for p in line_plans)
    for plan in line_plans:
        assert sum(_company_months(session, plan.id)) == plan.company_target
    # only this year is broken down by line
    other_years = session.scalar(
        select(func.count())
        .select_from(TargetPlan)
        .where(TargetPlan.product_line != "", TargetPlan.fiscal_year != THIS)
    )
    assert other_years == 0


def test_both_seasonality_profiles_exist_and_add_up_to_100(session):
    months: dict[str, dict[int, Decimal]] = defaultdict(dict)
    for name, month, percent in session.execute(
        select(SeasonalityPercent.name, SeasonalityPercent.month, SeasonalityPercent.percent)
    ):
        months[name][month] = Decimal(percent)
    assert set(months) == {"Retail", "Year-end push"}
    for name, percentages in months.items():
        assert sorted(percentages) == list(range(1, 13)), name
        assert sum(percentages.values()) == 100, name
    assert [months["Retail"][m] for m in range(1, 13)] == [Decimal(8)] * 10 + [Decimal(10)] * 2


def test_a_plan_follows_a_named_profile_month_by_month(session):
    profiles: dict[str, dict[int, Decimal]] = defaultdict(dict)
    for name, month, percent in session.execute(
        select(SeasonalityPercent.name, SeasonalityPercent.month, SeasonalityPercent.percent)
    ):
        profiles[name][month] = Decimal(percent)
    using = session.scalars(
        select(TargetPlan).where(TargetPlan.seasonality.in_(list(profiles)))
    ).all()
    assert {p.seasonality for p in using} == {"Retail", "Year-end push"}
    for plan in using:
        months = _company_months(session, plan.id)
        assert len(months) == 12 and sum(months) == plan.company_target
        for number, amount in enumerate(months, start=1):
            exact = plan.company_target * profiles[plan.seasonality][number] / 100
            assert abs(amount - exact) < 1, (plan.id, number, amount, exact)


def test_deals_sell_varied_whole_quantities(session):
    counts = dict(
        session.execute(select(Deal.quantity, func.count()).group_by(Deal.quantity)).all()
    )
    total = sum(counts.values())
    assert min(counts) >= 1
    assert len(counts) >= 5
    more_than_one = total - counts.get(1, 0)
    assert 0.1 * total < more_than_one < 0.7 * total
    # bigger products are not sold by the thousand: a plausible spread
    assert max(counts) <= 50


def test_reps_log_visits_and_the_visits_target_grows_on_last_years(session):
    last_year = (date(THIS - 1, 1, 1), date(THIS - 1, 12, 31))
    visits = dict(
        session.execute(
            select(Activity.person_id, func.count())
            .where(
                Activity.type == "visit",
                Activity.occurred_on >= last_year[0],
                Activity.occurred_on <= last_year[1],
            )
            .group_by(Activity.person_id)
        ).all()
    )
    hired = dict(
        session.execute(
            select(Person.id, Person.hire_date).where(Person.role == "rep", Person.active.is_(True))
        ).all()
    )
    veterans = [pid for pid, day in hired.items() if day <= last_year[0]]
    assert veterans and all(visits.get(pid, 0) > 0 for pid in veterans)
    plan = _plan(session, THIS, "visits")
    done = sum(visits.values())
    assert done < plan.company_target <= done * Decimal("1.2")
    # shared by history: last year's busiest visitor carries more than its quietest
    totals = _rep_year_totals(session, plan.id)
    busiest = max(veterans, key=lambda pid: visits[pid])
    quietest = min(veterans, key=lambda pid: visits[pid])
    assert visits[busiest] > visits[quietest]
    assert totals[busiest] > totals[quietest]
