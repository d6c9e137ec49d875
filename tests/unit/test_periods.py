from datetime import date

import pytest

from core.errors import ValidationFailed
from core.periods import add_months, fiscal_year_of, parse_period, quarter_of


def test_a_month_runs_from_its_first_to_its_last_day():
    period = parse_period("2026-02")
    assert (period.start, period.end, period.kind) == (date(2026, 2, 1), date(2026, 2, 28), "month")


def test_a_calendar_quarter_with_a_january_fiscal_start():
    period = parse_period("2026Q2")
    assert (period.start, period.end) == (date(2026, 4, 1), date(2026, 6, 30))
    assert period.months() == [date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1)]


def test_fiscal_year_is_named_after_the_year_it_starts_in():
    period = parse_period("FY2026", fiscal_start_month=4)
    assert (period.start, period.end) == (date(2026, 4, 1), date(2027, 3, 31))
    assert len(period.months()) == 12


def test_a_fiscal_quarter_follows_the_fiscal_start_month():
    period = parse_period("2026Q4", fiscal_start_month=4)
    assert (period.start, period.end) == (date(2027, 1, 1), date(2027, 3, 31))
    assert period.fiscal_year == 2026


def test_a_month_belongs_to_the_fiscal_year_it_falls_in():
    assert parse_period("2027-02", fiscal_start_month=4).fiscal_year == 2026
    assert fiscal_year_of(date(2027, 4, 1), 4) == 2027


def test_the_quarter_of_a_day_contains_that_day():
    for day in [date(2026, 1, 1), date(2026, 11, 30), date(2027, 3, 31), date(2026, 7, 15)]:
        for start in range(1, 13):
            period = quarter_of(day, start)
            assert period.start <= day <= period.end
            assert parse_period(period.label, start) == period


def test_months_roll_over_the_year_end():
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 1)
    assert add_months(date(2026, 1, 15), -1) == date(2025, 12, 1)


@pytest.mark.parametrize("text", ["2026-13", "2026Q5", "FY26", "Q1", "", "last quarter"])
def test_an_unknown_period_is_refused_with_the_accepted_forms(text):
    with pytest.raises(ValidationFailed, match="2026-03.*2026Q1.*FY2026"):
        parse_period(text)


def test_the_period_choices_start_with_this_quarter_and_follow_the_fiscal_year():
    from core.periods import period_choices

    choices = dict(period_choices(date(2026, 11, 30)))
    assert list(choices)[:3] == ["2026Q4", "2026-11", "FY2026"]
    assert choices["2026Q3"] == "last quarter" and choices["2027Q1"] == "next quarter"
    april = [label for label, _ in period_choices(date(2026, 5, 10), fiscal_start_month=4)]
    assert april[:3] == ["2026Q1", "2026-05", "FY2026"]
    assert parse_period(april[0], 4).start == date(2026, 4, 1)
