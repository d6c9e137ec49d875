"""What Attainment and Home show on a measure other than company revenue
(core.progress.measure_views), against the database: a manager's visits by rep for a week are
the visits booked in the test, the week's target lies within a unit per month of the raw target
rows' working-day share, Home's other targets list only the measures planned in the year, and
reads outside the actor's scope are refused. SQLite and PostgreSQL.

The demo data plans FY2024-FY2026 only: these tests plan FY2034 and book their own visits."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import pytest
from sqlalchemy import select, text

from core.errors import PermissionDenied, ValidationFailed
from core.periods import fiscal_quarter, iso_week, parse_period
from core.plans import allocation, workflow
from core.progress.measure_views import measure_view, other_targets, week_parts
from db.schema import Activity, Person, Region
from tests import factories
from tests.plan_factories import actor_named

YEAR = 2034
WEEK = iso_week(2034, 5)  # Monday 30 January to Sunday 5 February 2034


def test_a_week_names_the_working_days_it_takes_from_each_month():
    # 2026-W49: Monday 30 November (November 2026 has 21 working days), then Tuesday 1 to
    # Friday 4 December (December 2026 has 23).
    parts = week_parts(parse_period("2026-W49"))
    assert [(p.month, p.first, p.last, p.working_days, p.month_working_days) for p in parts] == [
        (date(2026, 11, 1), date(2026, 11, 30), date(2026, 11, 30), 1, 21),
        (date(2026, 12, 1), date(2026, 12, 1), date(2026, 12, 4), 4, 23),
    ]
    assert week_parts(parse_period("2026Q4")) == []


def _plan(session, measure: str, total: int, stretch=None):
    director = actor_named(session, "director")
    plan = allocation.create_plan(
        session,
        director,
        fiscal_year=YEAR,
        company_target=Decimal(total),
        method="equal",
        measure=measure,
        stretch_levels=stretch,
    )
    return workflow.approve_plan(session, director, plan.id)


def _manager_reps(session):
    manager = session.scalar(select(Person).where(Person.username == "manager"))
    regions = {manager.region_id}
    while (
        more := set(session.scalars(select(Region.id).where(Region.parent_id.in_(regions))))
        - regions
    ):
        regions |= more
    reps = session.scalars(
        select(Person)
        .where(Person.role == "rep", Person.active.is_(True), Person.region_id.in_(regions))
        .order_by(Person.id)
    ).all()
    return manager, regions, list(reps)


def _bounds(session, plan_id, where: str, params) -> tuple[Decimal, Decimal]:
    rows = session.execute(
        text(
            f"SELECT month, SUM(amount) FROM target WHERE plan_id = :plan AND {where} "
            "GROUP BY month"
        ),
        {"plan": plan_id, **params},
    ).all()
    low = high = Decimal(0)
    for month, amount in rows:
        first = date.fromisoformat(str(month)[:10])
        days = [WEEK.start + timedelta(days=i) for i in range(7)]
        inside = sum(
            1 for d in days if (d.year, d.month) == (first.year, first.month) and d.weekday() < 5
        )
        if not inside:
            continue
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        month_days = sum(
            (first + timedelta(days=i)).weekday() < 5 for i in range((last - first).days + 1)
        )
        part = Decimal(str(amount)) * inside / month_days
        low += part.to_integral_value(ROUND_FLOOR)
        high += part.to_integral_value(ROUND_CEILING)
    return low, high


def test_a_manager_reads_the_visits_of_her_reps_for_a_week(session):
    plan = _plan(session, "visits", 52_000, ["110", "125"])
    manager, regions, reps = _manager_reps(session)
    assert len(reps) >= 3
    booked = {}
    for n, rep in enumerate(reps[:3]):
        customer = factories.customer(session, rep, session.get(Region, rep.region_id))
        booked[rep.id] = n + 2
        for i in range(n + 2):  # Monday 30 January onwards, both months of the week
            session.add(
                Activity(
                    type="visit",
                    occurred_on=WEEK.start + timedelta(days=i),
                    person_id=rep.id,
                    customer_id=customer.id,
                )
            )
        session.add(  # a call is not a visit; the day after the week is not in it
            Activity(type="call", occurred_on=WEEK.start, person_id=rep.id, customer_id=customer.id)
        )
        session.add(
            Activity(
                type="visit",
                occurred_on=WEEK.end + timedelta(days=1),
                person_id=rep.id,
                customer_id=customer.id,
            )
        )
    session.flush()

    view = measure_view(
        session,
        actor_named(session, "manager"),
        "default",
        WEEK,
        "visits",
        part_kind="rep",
        today=date(2034, 6, 1),
    )
    assert view.has_plan and view.part_kind == "rep" and view.part_kinds == ["region", "rep"]
    assert view.stretch_levels == [Decimal(110), Decimal(125)]
    assert view.head.achieved == sum(booked.values())
    low, high = _bounds(
        session, plan.id, "person_id IS NULL AND region_id = :r", {"r": manager.region_id}
    )
    assert low <= view.head.target <= high
    assert view.head.expected_to_date == view.head.target  # the week has passed
    by_rep = {row.key: row for row in view.parts}
    assert {f"rep:{r.id}" for r in reps} <= set(by_rep)
    region_list = ",".join(str(r) for r in regions)
    for rep in reps:
        row = by_rep[f"rep:{rep.id}"]
        assert row.achieved == booked.get(rep.id, 0)
        low, high = _bounds(
            session, plan.id, f"person_id = :p AND region_id IN ({region_list})", {"p": rep.id}
        )
        assert low <= row.target <= high
        # a count's stretch targets are whole numbers, rounded half up
        assert row.stretch == [
            (row.target * Decimal(level)).quantize(Decimal(1), rounding="ROUND_HALF_UP")
            for level in ("1.1", "1.25")
        ]

    regions_view = measure_view(
        session, actor_named(session, "manager"), "default", WEEK, "visits", today=date(2034, 6, 1)
    )
    assert regions_view.part_kind == "region"
    assert sum(r.achieved for r in regions_view.parts) == sum(booked.values())


def test_home_lists_only_the_measures_planned_in_the_year(session):
    quarter = fiscal_quarter(YEAR, 1)
    director = actor_named(session, "director")
    assert other_targets(session, director, quarter, today=date(YEAR, 2, 1)) == []
    plan = _plan(session, "deals_created", 4_000)
    rows = other_targets(session, director, quarter, today=date(YEAR, 2, 1))
    assert [r.measure for r in rows] == ["deals_created"]
    root = session.scalar(select(Region.id).where(Region.parent_id.is_(None)))
    raw = session.execute(
        text(
            "SELECT SUM(amount) FROM target WHERE plan_id = :plan AND person_id IS NULL "
            "AND region_id = :root AND month BETWEEN :s AND :e"
        ),
        {"plan": plan.id, "root": root, "s": quarter.start, "e": quarter.end},
    ).scalar_one()
    assert rows[0].target == Decimal(str(raw))
    assert rows[0].achieved == 0


def test_reads_outside_the_actors_scope_are_refused(session):
    manager = actor_named(session, "manager")
    rep = actor_named(session, "rep")
    outside = session.scalar(
        select(Region.id).where(
            Region.parent_id.is_not(None), Region.id.not_in(manager.scope_region_ids or {0})
        )
    )
    with pytest.raises(PermissionDenied):
        measure_view(session, manager, f"region:{outside}", WEEK, "visits")
    with pytest.raises(PermissionDenied):
        measure_view(session, manager, "company", WEEK, "units")
    other = session.scalar(
        select(Person.id).where(Person.role == "rep", Person.id != rep.id).order_by(Person.id)
    )
    with pytest.raises(PermissionDenied):
        measure_view(session, rep, f"rep:{other}", WEEK, "visits")
    own = measure_view(session, rep, f"rep:{rep.id}", WEEK, "visits")
    assert own.parts == [] and own.part_kinds == []
    with pytest.raises(ValidationFailed, match="product line"):
        measure_view(session, manager, "default", WEEK, "visits", product_line="Platform")
