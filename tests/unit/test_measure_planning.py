"""The pure arithmetic behind targets on every measure: counts allocated in whole units by the
largest remainder, named calendar profiles (ERPNext's monthly distribution), ISO weeks and a
month's target spread over its weeks by working days. Expected values are worked out by hand
or by brute force over the calendar, never by the code under test."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import planning
from core.errors import ValidationFailed
from core.periods import iso_week, parse_period, week_of, working_days
from core.planning import PlanningError
from core.plans.stretch import stretch_levels_of

ERPNEXT = [Decimal(8)] * 10 + [Decimal(10), Decimal(10)]
"""ERPNext's own test distribution: 8 % for January to October, 10 % for November and December."""


def _quarters(months: list[Decimal]) -> list[Decimal]:
    return [sum(months[q * 3 : q * 3 + 3], Decimal(0)) for q in range(4)]


def _weekdays(start: date, end: date) -> int:
    """Monday-to-Friday days from start to end, counted one day at a time."""
    days, day = 0, start
    while day <= end:
        days += day.weekday() < 5
        day += timedelta(days=1)
    return days


def _iso_monday(year: int, week: int) -> date:
    """Monday of ISO week `week`: week 1 is the week holding 4 January."""
    fourth = date(year, 1, 4)
    return fourth - timedelta(days=fourth.weekday()) + timedelta(weeks=week - 1)


def _iso_weeks_in(year: int) -> int:
    """52 or 53: 28 December always lies in the year's last ISO week."""
    last_monday = date(year, 12, 28) - timedelta(days=date(year, 12, 28).weekday())
    return (last_monday - _iso_monday(year, 1)).days // 7 + 1


# --- counts: whole units by the largest remainder --------------------------------------------


def test_counts_are_whole_units_that_add_up_with_leftovers_to_the_largest_remainders():
    # 10 visits over weights 1:2:4 -> exact 1.43, 2.86, 5.71; floors 1+2+5 = 8, the two
    # leftover units go to the largest remainders (.86 then .71)
    assert planning.allocate(Decimal(10), {"a": 1, "b": 2, "c": 4}) == {
        "a": Decimal(1),
        "b": Decimal(3),
        "c": Decimal(6),
    }
    # ties go to the key that comes first: 10 over three equal weights -> 4, 3, 3
    assert list(planning.allocate(Decimal(10), {"x": 1, "y": 1, "z": 1}).values()) == [4, 3, 3]
    # 7 units over 0.45 / 0.35 / 0.20: exact 3.15, 2.45, 1.40 -> floors 3, 2, 1 and the
    # leftover unit to b (remainder .45 beats .40 and .15)
    assert list(
        planning.allocate(
            Decimal(7), {"a": Decimal("0.45"), "b": Decimal("0.35"), "c": Decimal("0.2")}
        ).values()
    ) == [3, 3, 1]


def test_vectorised_counts_give_every_row_its_exact_total():
    units = planning.allocate_units(np.array([7, 10, 0, 1]), np.array([1, 1, 1]))
    assert units.tolist() == [[3, 2, 2], [4, 3, 3], [0, 0, 0], [1, 0, 0]]
    # one weight row per total, a zero weight gets nothing
    units = planning.allocate_units(np.array([5, 9]), np.array([[1, 0, 1], [2, 1, 0]]))
    assert units.tolist() == [[3, 0, 2], [6, 3, 0]]


def test_a_count_spread_over_twelve_flat_months_gives_the_leftover_to_the_first_months():
    # 100 visits / 12 = 8.33: floors make 96, the four leftover visits go to months 1-4
    months = planning.spread_over_months({"rep": Decimal(100)}, planning.flat_profile())["rep"]
    assert months == [Decimal(9)] * 4 + [Decimal(8)] * 8
    assert all(m == m.to_integral_value() for m in months)


def test_a_count_that_is_not_whole_is_refused():
    with pytest.raises(PlanningError, match="multiple of the rounding unit"):
        planning.spread_over_months({"rep": Decimal("10.5")}, planning.flat_profile())
    with pytest.raises(PlanningError, match="multiple of the rounding unit"):
        planning.allocate(Decimal("3.5"), {"a": 1, "b": 1})


@settings(max_examples=150, deadline=None)
@given(
    total=st.integers(min_value=0, max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=15).filter(
        any
    ),
)
def test_any_count_splits_into_whole_units_that_sum_exactly_and_stay_within_one(total, weights):
    keyed = {f"k{i}": w for i, w in enumerate(weights)}
    result = planning.allocate(Decimal(total), keyed)
    assert sum(result.values(), Decimal(0)) == total
    weight_sum = sum(weights)
    for key, weight in keyed.items():
        value = result[key]
        assert value == value.to_integral_value()
        exact = Fraction(total * weight, weight_sum)
        assert abs(Fraction(value) - exact) < 1
        if weight == 0:
            assert value == 0
    # the vectorised split gives the same whole units for integer weights
    vector = planning.allocate_units(np.array([total]), np.array(weights, dtype=np.int64))
    assert vector[0].tolist() == [int(v) for v in result.values()]


@settings(max_examples=100, deadline=None)
@given(
    total=st.integers(min_value=0, max_value=10**7),
    profile=st.lists(st.integers(min_value=0, max_value=5000), min_size=12, max_size=12).filter(
        any
    ),
)
def test_any_count_spread_over_months_adds_up_to_the_annual_count(total, profile):
    months = planning.spread_over_months({"rep": Decimal(total)}, profile)["rep"]
    assert len(months) == 12 and sum(months, Decimal(0)) == total
    for month, weight in zip(months, profile, strict=True):
        assert month == month.to_integral_value() and month >= 0
        assert abs(Fraction(month) - Fraction(total * weight, sum(profile))) < 1


# --- named profiles: ERPNext's monthly distribution --------------------------------------------


def test_erpnext_distribution_gives_quarters_of_7200_7200_7200_8400_from_january():
    profile = planning.calendar_profile(ERPNEXT, 1)
    assert profile == ERPNEXT
    months = planning.spread_over_months({"company": Decimal(30000)}, profile)["company"]
    assert months == [Decimal(2400)] * 10 + [Decimal(3000)] * 2
    assert _quarters(months) == [7200, 7200, 7200, 8400]


def test_with_a_fiscal_year_from_april_the_fiscal_months_follow_the_calendar_percentages():
    profile = planning.calendar_profile(ERPNEXT, 4)
    # fiscal months April..March: April-October 8 %, November and December 10 %, then
    # January-March 8 %
    assert profile == [Decimal(8)] * 7 + [Decimal(10)] * 2 + [Decimal(8)] * 3
    months = planning.spread_over_months({"company": Decimal(30000)}, profile)["company"]
    # fiscal Q3 (October-December) is the 28 % quarter
    assert _quarters(months) == [7200, 7200, 8400, 7200]


def test_an_uneven_profile_is_rotated_to_the_fiscal_start():
    calendar = [5, 6, 7, 8, 9, 10, 11, 12, 10, 8, 7, 7]  # January..December, 100 in all
    assert planning.calendar_profile(calendar, 7) == [11, 12, 10, 8, 7, 7, 5, 6, 7, 8, 9, 10]
    assert planning.calendar_profile(calendar, 12)[0] == 7  # December first
    # two decimals that add up to exactly 100 are kept as they are
    exact = [Decimal("8.33")] * 11 + [Decimal("8.37")]
    assert planning.calendar_profile(exact, 1) == exact


@pytest.mark.parametrize(
    "percentages,message",
    [
        ([Decimal(100) / 11] * 11, "12 monthly percentages"),
        ([Decimal("8.333")] * 12, "at most two decimals"),
        ([Decimal("8.33")] * 12, "not exactly 100"),
        ([Decimal(8)] * 10 + [Decimal(10), Decimal("9.99")], "not exactly 100"),
        ([Decimal(-1), Decimal(9)] + [Decimal("9.2")] * 10, "0 or more"),
        ([Decimal(8)] * 10 + [Decimal(10)] * 3, "12 monthly percentages"),
    ],
    ids=["11 values", "3 decimals", "sum 99.96", "sum 99.99", "negative", "13 values"],
)
def test_a_calendar_profile_is_refused_unless_twelve_two_decimal_percentages_make_100(
    percentages, message
):
    with pytest.raises(PlanningError, match=message):
        planning.calendar_profile(percentages, 1)


def test_a_calendar_profile_needs_a_real_fiscal_start_month():
    with pytest.raises(PlanningError, match="Fiscal start month 13"):
        planning.calendar_profile(ERPNEXT, 13)


# --- ISO weeks -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["2026-W48", "2026W48", "2026-w48", " 2026-W48 "])
def test_a_week_is_parsed_from_its_iso_name(text):
    week = parse_period(text)
    assert (week.kind, week.label) == ("week", "2026-W48")
    assert week.start == _iso_monday(2026, 48) == date(2026, 11, 23)
    assert week.end == date(2026, 11, 29)
    assert week.fiscal_year == 2026
    assert week.months() == [date(2026, 11, 1)]


@pytest.mark.parametrize("year", range(2019, 2034))
def test_week_53_exists_only_in_years_with_53_iso_weeks(year):
    weeks = _iso_weeks_in(year)
    assert weeks in (52, 53)
    last = parse_period(f"{year}-W{weeks}")
    assert last.start == _iso_monday(year, weeks)
    if weeks == 52:
        with pytest.raises(ValidationFailed, match=f"{year} has no ISO week 53"):
            parse_period(f"{year}-W53")


def test_2026_and_2032_have_a_week_53_and_2025_has_not():
    assert parse_period("2026-W53").start == date(2026, 12, 28)
    assert parse_period("2032-W53").end == date(2033, 1, 2)
    with pytest.raises(ValidationFailed):
        parse_period("2025-W53")
    for bad in ("2026-W00", "2026-W54", "2026-W", "W48"):
        with pytest.raises(ValidationFailed):
            parse_period(bad)


def test_a_week_belongs_to_the_fiscal_year_of_its_thursday():
    # 2026-W01 starts on Monday 29 December 2025; its Thursday is 1 January 2026
    first = parse_period("2026-W01")
    assert first.start == date(2025, 12, 29) and first.fiscal_year == 2026
    assert first.months() == [date(2025, 12, 1), date(2026, 1, 1)]
    # 2026-W53 ends on Sunday 3 January 2027; its Thursday is 31 December 2026
    last = parse_period("2026-W53")
    assert last.end == date(2027, 1, 3) and last.fiscal_year == 2026
    # a fiscal year from April: 2026-W14 (Monday 30 March, Thursday 2 April) is FY2026,
    # 2028-W13 (Thursday 30 March, Sunday 2 April) is still FY2027
    assert parse_period("2026-W14", 4).fiscal_year == 2026
    assert parse_period("2026-W14", 1).fiscal_year == 2026
    late = parse_period("2028-W13", 4)
    assert (late.start, late.end, late.fiscal_year) == (date(2028, 3, 27), date(2028, 4, 2), 2027)
    assert iso_week(2028, 13, 4) == late
    assert week_of(date(2028, 4, 2), 4) == late and week_of(date(2028, 4, 3), 4).fiscal_year == 2028


def test_working_days_count_monday_to_friday_both_ends_included():
    assert working_days(date(2026, 11, 23), date(2026, 11, 29)) == 5
    assert working_days(date(2026, 11, 28), date(2026, 11, 29)) == 0  # a weekend
    assert working_days(date(2026, 11, 30), date(2026, 11, 30)) == 1
    assert working_days(date(2026, 11, 30), date(2026, 11, 29)) == 0
    start = date(2025, 12, 20)
    for length in range(0, 40):
        for offset in range(7):
            first = start + timedelta(days=offset)
            last = first + timedelta(days=length)
            assert working_days(first, last) == _weekdays(first, last)


# --- a month's target spread over its weeks ------------------------------------------------------


def _mondays_touching(month_start: date) -> list[date]:
    last = date(month_start.year + month_start.month // 12, month_start.month % 12 + 1, 1)
    last -= timedelta(days=1)
    mondays, day = [], month_start
    while day <= last:
        monday = day - timedelta(days=day.weekday())
        if monday not in mondays:
            mondays.append(monday)
        day += timedelta(days=1)
    return mondays


def test_november_2026_spreads_by_working_days_and_the_last_week_straddles_into_december():
    # November 2026 has 21 working days; 2,100 -> 100 a working day. The week of Monday
    # 26 October holds only Sunday 1 November (0); the week of Monday 30 November holds one
    # November working day and four of December.
    parts = planning.spread_over_weeks(date(2026, 11, 1), Decimal(2100))
    assert parts == {
        date(2026, 10, 26): 0,
        date(2026, 11, 2): 500,
        date(2026, 11, 9): 500,
        date(2026, 11, 16): 500,
        date(2026, 11, 23): 500,
        date(2026, 11, 30): 100,
    }
    december = planning.spread_over_weeks(date(2026, 12, 1), Decimal(2300))  # 23 working days
    assert december[date(2026, 11, 30)] == 400
    assert planning.weeks_of_month(date(2026, 12, 1))[date(2026, 11, 30)] == 4


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027, 2028, 2031, 2032])
def test_the_weeks_of_every_month_add_up_to_the_month_each_within_one_unit_of_its_share(year):
    for month_number in range(1, 13):
        month_start = date(year, month_number, 1)
        days = planning.weeks_of_month(month_start)
        assert list(days) == _mondays_touching(month_start)
        in_month = sum(
            1
            for d in range(31)
            if (month_start + timedelta(days=d)).month == month_number
            and (month_start + timedelta(days=d)).weekday() < 5
        )
        assert sum(days.values()) == in_month
        for amount, unit in ((Decimal(997), Decimal(1)), (Decimal("12345.67"), Decimal("0.01"))):
            parts = planning.spread_over_weeks(month_start, amount, unit)
            assert sum(parts.values(), Decimal(0)) == amount
            for monday, part in parts.items():
                assert part % unit == 0
                share = Fraction(amount) * days[monday] / in_month
                assert abs(Fraction(part) - share) < Fraction(unit)


@settings(max_examples=100, deadline=None)
@given(
    month_start=st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 1)).map(
        lambda d: d.replace(day=1)
    ),
    amount=st.integers(min_value=0, max_value=10**8),
)
def test_any_whole_count_spreads_over_the_weeks_of_any_month_exactly(month_start, amount):
    parts = planning.spread_over_weeks(month_start, Decimal(amount))
    assert sum(parts.values(), Decimal(0)) == amount
    assert all(p == p.to_integral_value() and p >= 0 for p in parts.values())


def test_stretch_levels_are_kept_as_plain_percentages_above_100():
    # 110.00 stays "110", never "1.1E+2" (which a page would show as it is)
    assert [str(v) for v in stretch_levels_of(["125", 110, "110.00", "112.5"])] == [
        "110",
        "112.50",
        "125",
    ]
    for bad in (["100"], ["99"], ["1000.01"], ["-110"], ["x"]):
        with pytest.raises(ValidationFailed):
            stretch_levels_of(bad)


def test_the_vectorised_week_parts_cut_every_row_as_spread_over_weeks_does():
    import random

    rows = random.Random(16)
    for month_number in range(1, 13):
        month_start = date(2026, month_number, 1)
        amounts = [Decimal(rows.randint(0, 100_000)) for _ in range(40)] + [Decimal(7)]
        for monday in planning.weeks_of_month(month_start):
            one_by_one = [planning.spread_over_weeks(month_start, a)[monday] for a in amounts]
            assert planning.week_parts(month_start, amounts, monday) == one_by_one
            cents = [a + Decimal("0.37") for a in amounts]
            one_by_one = [
                planning.spread_over_weeks(month_start, a, Decimal("0.01"))[monday] for a in cents
            ]
            assert planning.week_parts(month_start, cents, monday, Decimal("0.01")) == one_by_one
    # a Monday whose week does not touch the month gets nothing
    assert planning.week_parts(date(2026, 3, 1), [Decimal(10)], date(2026, 5, 4)) == [0]
