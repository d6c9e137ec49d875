"""Pace, run rate and the chance of making the number, checked by hand and by enumeration."""

from datetime import date
from decimal import Decimal
from itertools import product

import pytest

from core.progress import forecast

D = Decimal
QUARTER = {date(2026, 10, 1): D(100), date(2026, 11, 1): D(200), date(2026, 12, 1): D(300)}


def _exact(won, target, deals):
    """Enumerate every win/loss combination of a few deals (2^n outcomes)."""
    total = D(0)
    for outcome in product([False, True], repeat=len(deals)):
        chance, amount = D(1), won
        for wins, (deal_amount, p) in zip(outcome, deals):
            chance *= p if wins else 1 - p
            amount += deal_amount if wins else 0
        total += chance if amount >= target else 0
    return total


def test_expected_to_date_counts_ended_months_in_full_and_this_month_by_day():
    # October in full, 15 of November's 30 days, nothing of December.
    assert forecast.expected_to_date(QUARTER, date(2026, 11, 15)) == D("200.00")


def test_expected_to_date_is_nothing_before_the_period_and_everything_after_it():
    assert forecast.expected_to_date(QUARTER, date(2026, 9, 30)) == D(0)
    assert forecast.expected_to_date(QUARTER, date(2027, 1, 1)) == D(600)
    assert forecast.expected_to_date(QUARTER, date(2026, 12, 31)) == D(600)


def test_pace_is_won_over_expected_to_date():
    assert forecast.pace(D(150), D(200)) == D("0.7500")
    assert forecast.pace(D(150), D(0)) is None


def test_run_rate_extrapolates_won_over_the_days_of_the_period():
    # 1 Oct .. 30 Nov is 61 of the quarter's 92 days.
    assert forecast.run_rate_projection(
        D(610), date(2026, 10, 1), date(2026, 12, 31), date(2026, 11, 30)
    ) == D("920.00")
    assert (
        forecast.run_rate_projection(D(5), date(2026, 10, 1), date(2026, 12, 31), date(2026, 9, 1))
        is None
    )
    assert forecast.run_rate_projection(
        D(5), date(2026, 10, 1), date(2026, 12, 31), date(2027, 2, 1)
    ) == D("5.00")


def test_coverage_is_undefined_without_a_gap():
    assert forecast.coverage(D(300), D(100)) == D("3.0000")
    assert forecast.coverage(D(300), D(0)) is None
    assert forecast.coverage(D(300), D(-5)) is None
    assert forecast.coverage(D(300), None) is None


def test_calibration_shrinks_thin_history_towards_the_configured_probability():
    assert forecast.calibrated_probability(80, 40, D("0.30"), prior=20) == D("0.4600")
    assert forecast.calibrated_probability(0, 0, D("0.30")) == D("0.3000")


@pytest.mark.parametrize(
    ("target", "by_hand"),
    [
        (D(100), D("0.2")),  # both deals needed: 0.5 x 0.4
        (D(50), D("0.7")),  # either deal: 1 - 0.5 x 0.6
        (D(55), D("0.5")),  # only the 60 deal, or both: 0.5
    ],
)
def test_two_deals_give_the_probability_computed_by_hand(target, by_hand):
    deals = [(D(60), D("0.5")), (D(50), D("0.4"))]
    assert _exact(D(0), target, deals) == by_hand
    result = forecast.simulate(D(0), target, [60, 50], [0.5, 0.4])
    assert result.trials >= 10_000
    assert abs(result.probability - by_hand) < D("0.015")  # about 3.5 standard errors


def test_the_simulation_agrees_with_enumeration_on_a_handful_of_deals():
    deals = [
        (D(120), D("0.8")),
        (D(300), D("0.3")),
        (D(80), D("0.6")),
        (D(40), D("0.45")),
        (D(200), D("0.15")),
    ]
    won, target = D(150), D(450)
    exact = _exact(won, target, deals)
    result = forecast.simulate(
        won, target, [float(a) for a, _ in deals], [float(p) for _, p in deals]
    )
    assert abs(result.probability - exact) < D("0.015"), (result.probability, exact)


def test_the_simulation_is_seeded_and_repeatable():
    first = forecast.simulate(D(10), D(100), [60, 50, 30], [0.5, 0.4, 0.7])
    second = forecast.simulate(D(10), D(100), [60, 50, 30], [0.5, 0.4, 0.7])
    assert first == second


def test_percentiles_of_a_single_coin_flip_deal():
    result = forecast.simulate(D(0), D(100), [100], [0.5])
    assert (result.p10, result.p90) == (D(0), D(100))


def test_without_open_deals_the_number_is_made_or_not():
    assert forecast.simulate(D(100), D(100), [], []).probability == D(1)
    assert forecast.simulate(D(99), D(100), [], []).probability == D(0)
    assert forecast.simulate(D(5), None, [10], [0.5]).probability is None


def test_many_small_deals_enter_as_a_normal_total_centred_on_their_mean():
    result = forecast.simulate(D(0), D(1000), [], [], tail_mean=1000.0, tail_variance=100.0**2)
    assert abs(result.probability - D("0.5")) < D("0.02")
    assert abs(result.p50 - D(1000)) < D(10)
    assert abs(result.p90 - D(1128)) < D(10)  # mean + 1.2816 sd


def test_a_tail_of_many_small_deals_as_a_normal_total_keeps_the_probability():
    """Five large deals one by one and 300 small ones either one by one too or as a normal
    total (mean and variance added up by hand): the chance of the target barely moves."""
    import numpy as np

    rng = np.random.default_rng(3)
    large, small = [9000.0, 7000.0, 6500.0, 5000.0, 4000.0], rng.uniform(50, 400, 300).round()
    chances = rng.uniform(0.1, 0.8, 300).round(2)
    target = D(40000)
    exact = forecast.simulate(
        D(0), target, [*large, *small], [0.5, 0.4, 0.6, 0.3, 0.5, *chances], trials=40_000
    )
    mean = float(sum(p * a for p, a in zip(chances, small, strict=True)))
    variance = float(sum(p * (1 - p) * a * a for p, a in zip(chances, small, strict=True)))
    tail = forecast.simulate(
        D(0), target, large, [0.5, 0.4, 0.6, 0.3, 0.5], tail_mean=mean, tail_variance=variance
    )
    assert D("0.1") < exact.probability < D("0.9")  # an uncertain outcome
    assert abs(tail.probability - exact.probability) < D("0.02")
    without_tail = forecast.simulate(D(0), target, large, [0.5, 0.4, 0.6, 0.3, 0.5])
    assert abs(without_tail.probability - exact.probability) > D("0.1")  # the tail matters


def test_pace_status_compares_won_with_what_was_expected_by_today():
    assert forecast.pace_status(Decimal(60), Decimal(100), Decimal(60)) == "on_pace"
    assert forecast.pace_status(Decimal(59), Decimal(100), Decimal(60)) == "behind"
    assert forecast.pace_status(Decimal(0), Decimal(100), None) == "on_pace"  # nothing expected
    assert forecast.pace_status(Decimal(10), None, None) == "no_target"


def test_a_nil_probability_says_why_when_the_pipeline_cannot_close_the_gap():
    nil, gap = Decimal(0), Decimal(500)
    assert forecast.probability_reason(nil, gap, Decimal(0)) == "No open pipeline left for the gap."
    assert forecast.probability_reason(nil, gap, Decimal(499)) == (
        "The open pipeline is smaller than the gap, even if every deal is won."
    )
    assert forecast.probability_reason(nil, gap, Decimal(800)) is None  # possible, unlikely
    assert forecast.probability_reason(Decimal("0.2"), gap, Decimal(0)) is None
    assert forecast.probability_reason(nil, Decimal(-5), Decimal(0)) is None  # target made
    assert forecast.probability_reason(None, None, Decimal(0)) is None  # no target
