"""The scorecard's pure rules: each metric's normalisation, weights, and explanations that add
up to the score. Expected values are worked out by hand from the documented rules."""

from decimal import Decimal

import pytest

from core.errors import ValidationFailed
from core.evaluation import (
    DEFAULT_WEIGHTS,
    METRICS,
    Benchmarks,
    RawFigures,
    explain,
    measure,
    trend_arrow,
    validate_weights,
)
from core.performance.scorecard import previous_period, recent_periods
from core.periods import parse_period

BENCH = Benchmarks()  # attainment 1.0, 40 points/month, 30 % win rate, 5 x target, 60-180 days


def figures(**values) -> RawFigures:
    return RawFigures(**values)


def test_attainment_scores_its_percentage_of_target_capped_at_100():
    half = measure("attainment", figures(target=Decimal(1000), won_amount=Decimal(500)), BENCH)
    assert half[0] == pytest.approx(0.5)
    assert half[2] == Decimal("50.0")
    assert "500 of 1,000" in half[1]
    over = measure("attainment", figures(target=Decimal(1000), won_amount=Decimal(1300)), BENCH)
    assert over[2] == Decimal("100.0")
    none = measure("attainment", figures(target=None, won_amount=Decimal(10)), BENCH)
    assert none[0] is None and none[2] is None


def test_activities_count_visits_apart_from_calls_and_emails_by_points():
    # 2 visits x 3 + 1 meeting x 2 + 1 demo x 2 + 4 calls x 1 + 4 emails x 0.5 = 16 points;
    # a quarter for one rep is 3 x 40 = 120 points -> 13.3
    f = figures(visits=2, meetings=1, demos=1, calls=4, emails=4, months=3, reps=1)
    raw, text, score = measure("activities", f, BENCH)
    assert raw == 16
    assert score == Decimal("13.3")
    assert text.startswith("2 visits, 4 calls, 4 emails")
    busy = figures(visits=100, months=1, reps=2)  # 300 points of 80
    assert measure("activities", busy, BENCH)[2] == Decimal("100.0")


def test_win_rate_is_won_over_closed_deals_scored_against_thirty_percent():
    raw, _, score = measure("win_rate", figures(won_deals=3, lost_deals=12), BENCH)
    assert raw == pytest.approx(0.2)
    assert score == Decimal("66.7")  # 20 / 30 x 100
    assert measure("win_rate", figures(won_deals=5, lost_deals=5), BENCH)[2] == Decimal("100.0")
    assert measure("win_rate", figures(), BENCH)[2] is None


def test_pipeline_generated_is_scored_as_a_multiple_of_target():
    f = figures(target=Decimal(1000), pipeline_created=Decimal(2500))
    raw, text, score = measure("pipeline_generated", f, BENCH)
    assert raw == pytest.approx(2.5)
    assert score == Decimal("50.0")  # 2.5 of 5 x target
    assert "2.50 x target" in text
    assert measure("pipeline_generated", figures(pipeline_created=Decimal(9)), BENCH)[2] is None


@pytest.mark.parametrize(
    ("days", "expected"),
    [(30, "100.0"), (60, "100.0"), (90, "75.0"), (120, "50.0"), (180, "0.0"), (400, "0.0")],
)
def test_cycle_time_scores_100_when_fast_and_0_when_slow_linear_between(days, expected):
    f = figures(won_deals=2, cycle_days_total=2 * days)
    raw, _, score = measure("cycle_time", f, BENCH)
    assert raw == pytest.approx(days)
    assert score == Decimal(expected)


def test_forecast_accuracy_compares_what_was_committed_with_what_of_it_was_won():
    f = figures(committed_at_start=Decimal(1000), committed_won=Decimal(800))
    raw, text, score = measure("forecast_accuracy", f, BENCH)
    assert raw == pytest.approx(0.8)
    assert score == Decimal("80.0")
    assert "committed 1,000" in text
    far_off = figures(committed_at_start=Decimal(1000), committed_won=Decimal(0))
    assert measure("forecast_accuracy", far_off, BENCH)[2] == Decimal("0.0")
    assert measure("forecast_accuracy", figures(), BENCH)[2] is None


def _complete_figures() -> RawFigures:
    return figures(
        target=Decimal(1000),
        won_amount=Decimal(700),  # attainment 70
        won_deals=3,
        lost_deals=7,  # win rate 30 % -> 100
        cycle_days_total=270.0,  # 90 days -> 75
        pipeline_created=Decimal(4000),  # 4 x target -> 80
        visits=10,  # 30 points of 40 -> 75
        committed_at_start=Decimal(500),
        committed_won=Decimal(450),  # 90
        months=1,
    )


def test_the_score_is_the_weighted_sum_and_its_parts_add_up_exactly():
    score, parts = explain(_complete_figures(), DEFAULT_WEIGHTS, BENCH)
    normalised = {p.metric: p.normalised for p in parts}
    assert normalised == {
        "attainment": Decimal("70.0"),
        "activities": Decimal("75.0"),
        "win_rate": Decimal("100.0"),
        "pipeline_generated": Decimal("80.0"),
        "cycle_time": Decimal("75.0"),
        "forecast_accuracy": Decimal("90.0"),
    }
    # 0.40 x 70 + 0.15 x 75 + 0.15 x 100 + 0.10 x 80 + 0.10 x 75 + 0.10 x 90 = 78.75
    assert score == Decimal("78.75")
    assert sum(p.contribution for p in parts) == score
    assert [p.metric for p in parts] == list(METRICS)
    assert all(p.effective_weight == p.weight for p in parts)


def test_a_metric_without_data_is_left_out_and_the_other_weights_scale_up():
    f = _complete_figures()
    f.committed_at_start = Decimal(0)  # forecast accuracy: no data
    score, parts = explain(f, DEFAULT_WEIGHTS, BENCH)
    by_metric = {p.metric: p for p in parts}
    assert by_metric["forecast_accuracy"].contribution == 0
    assert by_metric["forecast_accuracy"].effective_weight == 0
    # the remaining 90 points of weight are scaled to 100: attainment 40 -> 44.44
    assert by_metric["attainment"].effective_weight == Decimal("44.44")
    # (0.40 x 70 + 0.15 x 75 + 0.15 x 100 + 0.10 x 80 + 0.10 x 75) / 0.9 = 69.75 / 0.9 = 77.5
    assert score == Decimal("77.50")
    assert sum(p.contribution for p in parts) == score


def test_without_any_data_there_is_no_score():
    score, parts = explain(figures(), DEFAULT_WEIGHTS, BENCH)
    # activities always has a value (zero points), so the score is 0, not missing
    assert score == Decimal("0.00")
    only_activity = {p.metric: p.effective_weight for p in parts}
    assert only_activity["activities"] == Decimal("100.00")
    no_activity_weight = {**DEFAULT_WEIGHTS, "activities": Decimal(0)}
    assert explain(figures(), no_activity_weight, BENCH)[0] is None


def test_valid_weights_are_accepted_as_decimals():
    weights = validate_weights({**{m: 10 for m in METRICS}, "attainment": 50})
    assert weights["attainment"] == Decimal("50.00")
    assert sum(weights.values()) == 100


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({**{m: 10 for m in METRICS}}, "sum to 100; they sum to 60"),
        ({**{m: 0 for m in METRICS}, "attainment": 120}, "between 0 and 100"),
        ({**{m: 20 for m in METRICS}, "attainment": -20}, "between 0 and 100"),
        ({**DEFAULT_WEIGHTS, "charisma": 5}, "Unknown scorecard metric: charisma"),
        ({**DEFAULT_WEIGHTS, "attainment": "forty"}, "not a number"),
    ],
)
def test_bad_weights_are_refused_with_a_clear_message(weights, message):
    with pytest.raises(ValidationFailed, match=message):
        validate_weights(weights)


def test_trend_arrows_need_more_than_one_point_of_change():
    assert trend_arrow(Decimal(70), Decimal(60)) == "▲"
    assert trend_arrow(Decimal(60), Decimal(70)) == "▼"
    assert trend_arrow(Decimal("60.5"), Decimal(60)) == "▬"
    assert trend_arrow(Decimal(60), None) == ""


def test_the_previous_period_has_the_same_kind():
    assert previous_period(parse_period("2026Q1")).label == "2025Q4"
    assert previous_period(parse_period("2026-01")).label == "2025-12"
    assert previous_period(parse_period("FY2026")).label == "FY2025"
    april = previous_period(parse_period("2026Q1", 4), 4)
    assert (april.label, april.start.isoformat()) == ("2025Q4", "2026-01-01")
    # a week's previous period is the ISO week before, also across a year end
    assert previous_period(parse_period("2026-W48")).label == "2026-W47"
    assert previous_period(parse_period("2027-W01")).label == "2026-W53"


def test_recent_periods_start_with_the_current_quarter():
    from datetime import date

    labels = [p.label for p in recent_periods(date(2026, 5, 10))]
    assert labels[:3] == ["2026Q2", "2026Q1", "2025Q4"]
    assert "FY2026" in labels and "FY2025" in labels and "2026-05" in labels
    # 10 May 2026 is a Sunday of ISO week 19; the week before is 18
    assert labels[-2:] == ["2026-W19", "2026-W18"]
