"""The pure rules of money in several currencies and of split credit (core/currency.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import currency
from core.errors import ValidationFailed

EUR = [(date(2026, 1, 5), Decimal("1.08")), (date(2026, 1, 12), Decimal("1.10"))]
RATES = {"EUR": EUR}


def test_a_rate_is_in_effect_from_its_date_until_the_next_one():
    assert currency.rate_in_effect(EUR, date(2026, 1, 4)) is None
    assert currency.rate_in_effect(EUR, date(2026, 1, 5)) == Decimal("1.08")
    assert currency.rate_in_effect(EUR, date(2026, 1, 11)) == Decimal("1.08")
    assert currency.rate_in_effect(EUR, date(2026, 1, 12)) == Decimal("1.10")
    assert currency.rate_in_effect(EUR, date(2027, 6, 1)) == Decimal("1.10")
    assert currency.rate_in_effect([], date(2026, 1, 12)) is None


def test_a_closed_deal_converts_at_its_close_date_and_an_open_one_at_today():
    assert currency.pricing_date("won", date(2026, 1, 7), date(2026, 3, 1)) == date(2026, 1, 7)
    assert currency.pricing_date("lost", date(2026, 1, 7), date(2026, 3, 1)) == date(2026, 1, 7)
    assert currency.pricing_date("open", None, date(2026, 3, 1)) == date(2026, 3, 1)


def test_conversion_rounds_half_up_to_cents_once_at_the_deal():
    # 1,000.05 EUR x 1.08 = 1,080.054 -> 1,080.05; 0.05 x 1.1 = 0.055 -> 0.06 (half up)
    on = date(2026, 1, 6)
    assert currency.company_amount(
        Decimal("1000.05"), "EUR", on, company="USD", rates=RATES
    ) == Decimal("1080.05")
    assert currency.convert(Decimal("0.05"), Decimal("1.1")) == Decimal("0.06")


def test_no_rate_in_effect_means_not_priced_never_one_to_one():
    before = date(2026, 1, 4)
    assert currency.company_amount(Decimal(100), "EUR", before, company="USD", rates=RATES) is None
    assert currency.company_amount(Decimal(100), "JPY", before, company="USD", rates=RATES) is None
    assert currency.company_amount(Decimal(100), "USD", before, company="USD", rates={}) == Decimal(
        "100.00"
    )


def test_a_budget_rate_wins_over_the_dated_rates_of_its_currency_only():
    on = date(2026, 1, 20)
    budget = {"EUR": Decimal("1.05")}
    assert currency.company_amount(
        Decimal(200), "EUR", on, company="USD", rates=RATES, budget=budget
    ) == Decimal("210.00")
    # priced even before the first dated rate: the plan fixed the rate for its year
    assert currency.company_amount(
        Decimal(200), "EUR", date(2026, 1, 1), company="USD", rates=RATES, budget=budget
    ) == Decimal("210.00")
    gbp = {"GBP": [(date(2026, 1, 1), Decimal("1.25"))]}
    assert currency.company_amount(
        Decimal(200), "GBP", on, company="USD", rates=gbp, budget=budget
    ) == Decimal("250.00")


@pytest.mark.parametrize("bad", ["", "EURO", "XYZ", None, "12"])
def test_a_currency_code_is_an_iso_4217_code(bad):
    with pytest.raises(ValidationFailed, match="ISO 4217"):
        currency.currency_code(bad)
    assert currency.currency_code(" eur ") == "EUR"


@pytest.mark.parametrize("bad", ["0", "-1", "abc", "1.123456789", "1e9"])
def test_a_rate_is_a_positive_number_with_at_most_eight_decimals(bad):
    with pytest.raises(ValidationFailed):
        currency.rate_value(bad)
    assert currency.rate_value("0.00670000") == Decimal("0.0067")


@pytest.mark.parametrize(
    "percents, message",
    [
        ({1: "50", 2: "49.99"}, "add up to 99.99"),
        ({1: "50.005", 2: "49.995"}, "two decimals"),
        ({1: "0", 2: "100"}, "above 0"),
        ({1: "fifty"}, "not a percentage"),
        ({}, "at least one"),
    ],
)
def test_split_percentages_are_checked(percents, message):
    with pytest.raises(ValidationFailed, match=message):
        currency.split_percents(percents)


def test_shares_by_largest_remainder_ties_to_the_first_listed():
    # 100.00 in thirds: 33.333... each, the one cent left goes to the first listed
    thirds = {"a": Decimal("33.33"), "b": Decimal("33.33"), "c": Decimal("33.34")}
    assert currency.shares(Decimal("100.00"), thirds) == {
        "a": Decimal("33.33"),
        "b": Decimal("33.33"),
        "c": Decimal("33.34"),
    }
    halves = {"a": Decimal(50), "b": Decimal(50)}
    assert currency.shares(Decimal("0.01"), halves) == {"a": Decimal("0.01"), "b": Decimal("0")}


@st.composite
def split_and_amount(draw):
    n = draw(st.integers(min_value=1, max_value=6))
    cuts = sorted(draw(st.lists(st.integers(1, 9999), min_size=n - 1, max_size=n - 1, unique=True)))
    bounds = [0, *cuts, 10000]
    percents = {f"p{i}": Decimal(bounds[i + 1] - bounds[i]) / 100 for i in range(n)}
    cents = draw(st.integers(min_value=0, max_value=10**12))
    return Decimal(cents) / 100, percents


@given(split_and_amount())
def test_shares_always_add_up_to_the_amount_and_none_is_negative(case):
    amount, percents = case
    checked = currency.split_percents({k: str(v) for k, v in percents.items()})
    parts = currency.shares(amount, checked)
    assert sum(parts.values()) == amount
    assert all(part >= 0 for part in parts.values())
    for key, part in parts.items():  # each within a cent of its exact share
        assert abs(part - amount * percents[key] / 100) < Decimal("0.01")
