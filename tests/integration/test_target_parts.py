"""The pace rules read each rep's target as three sums added up in SQL (the whole period, the
months before today's, today's month): they equal the raw target rows of the active plan added
up here, and the expected-to-date they give equals the target share of the elapsed days
computed by hand, for company revenue and for a product line's plan, on both backends."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.periods import parse_period, quarter_of
from core.progress import figures, forecast
from db.schema import Target, TargetPlan
from tests.conftest import SEED_TODAY


def _raw_rows(session, fiscal_year: int, product_line: str, period) -> dict[int, dict]:
    """person -> month -> the sum of its rows in the newest approved or locked revenue plan."""
    plan = session.scalar(
        select(TargetPlan.id)
        .where(
            TargetPlan.fiscal_year == fiscal_year,
            TargetPlan.measure == "revenue",
            TargetPlan.product_line == product_line,
            TargetPlan.status.in_(["approved", "locked"]),
        )
        .order_by(TargetPlan.version.desc())
        .limit(1)
    )
    assert plan is not None, "the demo approves this plan"
    out: dict[int, dict] = {}
    rows = session.execute(
        select(Target.person_id, Target.month, Target.amount).where(
            Target.plan_id == plan, Target.person_id.is_not(None)
        )
    )
    for person, month, amount in rows:
        if period.start <= month <= period.end:
            months = out.setdefault(person, {})
            months[month] = months.get(month, Decimal(0)) + Decimal(amount)
    return out


def _by_hand(months: dict[date, Decimal], today: date) -> Decimal:
    """Ended months whole, today's month by its days gone (today included), later ones not."""
    total = Decimal(0)
    for month, amount in months.items():
        last = date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])
        if last < today:
            total += amount
        elif month <= today:
            total += amount * Decimal(today.day) / Decimal(last.day)
    return total.quantize(Decimal("0.01"))


@pytest.mark.parametrize("line", ["", "Platform"])
def test_each_reps_target_parts_equal_the_raw_rows_on_any_day_of_the_quarter(session, line):
    period = quarter_of(SEED_TODAY)
    raw = _raw_rows(session, period.fiscal_year, line, period)
    assert raw, "reps have targets this quarter"
    days = [period.start, period.start + timedelta(days=40), SEED_TODAY, period.end]
    for today in days:
        parts = figures.rep_target_parts(session, period, None, today, product_line=line)
        assert set(parts) == set(raw), today
        this_month = (today.year, today.month)
        for person, months in raw.items():
            got = parts[person]
            assert got.total == sum(months.values()), (today, person)
            assert got.before == sum(
                a for m, a in months.items() if (m.year, m.month) < this_month
            ), (today, person)
            assert got.this_month == sum(
                a for m, a in months.items() if (m.year, m.month) == this_month
            ), (today, person)
            expected = forecast.expected_from_parts(got.before, got.this_month, today)
            assert expected == _by_hand(months, today), (today, person)
            assert expected == forecast.expected_to_date(months, today, period)


def test_some_reps_only_and_a_week_is_refused(session):
    period = quarter_of(SEED_TODAY)
    raw = _raw_rows(session, period.fiscal_year, "", period)
    some = sorted(raw)[:3]
    parts = figures.rep_target_parts(session, period, some, SEED_TODAY)
    assert sorted(parts) == some
    assert figures.rep_target_parts(session, period, [], SEED_TODAY) == {}
    with pytest.raises(ValueError, match="week"):
        figures.rep_target_parts(session, parse_period("2026-W05"), None, SEED_TODAY)
