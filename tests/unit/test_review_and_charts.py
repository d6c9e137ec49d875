"""Plan-vs-actual decomposition (worked by hand) and the performance chart builders."""

from decimal import Decimal

import pandas as pd
import pytest

from core.evaluation import Outcome, decompose
from core.performance.plan_vs_actual import last_closed_quarter, year_before
from core.periods import parse_period
from ui import performance_charts as charts


def test_the_variance_splits_into_volume_win_rate_and_deal_size_effects_that_add_up():
    # Baseline: 10 closed, 4 won at 1,000 on average -> w0 = 0.4, s0 = 1,000.
    baseline = Outcome(won=Decimal(4000), won_deals=4, lost_deals=6)
    # Plan 8,000 implies 8,000 / (0.4 x 1,000) = 20 closed deals.
    # Actual: 15 closed, 3 won at 1,200 -> 3,600 won; w = 0.2, s = 1,200.
    actual = Outcome(won=Decimal(3600), won_deals=3, lost_deals=12)
    drivers = decompose(actual, Decimal(8000), baseline)
    assert drivers.planned_closed_deals == Decimal("20.0")
    assert drivers.volume == Decimal("-2000.00")  # (15 - 20) x 0.4 x 1,000
    assert drivers.win_rate == Decimal("-3000.00")  # 15 x (0.2 - 0.4) x 1,000
    assert drivers.deal_size == Decimal("600.00")  # 15 x 0.2 x (1,200 - 1,000)
    assert drivers.volume + drivers.win_rate + drivers.deal_size == Decimal(3600 - 8000)
    assert drivers.main_driver == "lower win rate"


def test_above_plan_the_main_driver_is_the_biggest_positive_effect():
    baseline = Outcome(won=Decimal(4000), won_deals=4, lost_deals=6)
    actual = Outcome(won=Decimal(12000), won_deals=12, lost_deals=18)  # 30 closed, same rates
    drivers = decompose(actual, Decimal(8000), baseline)
    assert drivers.volume == Decimal("4000.00")
    assert drivers.win_rate == 0 and drivers.deal_size == 0
    assert drivers.main_driver == "more deals"


def test_without_history_there_are_no_drivers():
    assert decompose(Outcome(won=Decimal(5)), Decimal(10), Outcome()) is None


def test_nothing_closed_is_all_volume():
    baseline = Outcome(won=Decimal(4000), won_deals=4, lost_deals=6)
    drivers = decompose(Outcome(), Decimal(8000), baseline)
    assert drivers.volume == Decimal("-8000.00")
    assert drivers.main_driver == "fewer deals"


def test_the_same_period_a_year_before_and_the_last_closed_quarter():
    from datetime import date

    assert year_before(parse_period("2026Q2")).label == "2025Q2"
    assert year_before(parse_period("2026-03")).label == "2025-03"
    assert year_before(parse_period("FY2026")).label == "FY2025"
    assert last_closed_quarter(date(2026, 5, 1)).label == "2026Q1"
    assert last_closed_quarter(date(2026, 1, 1)).label == "2025Q4"


def _values(spec) -> list[dict]:
    return next(iter(spec["datasets"].values()))


def test_the_score_parts_chart_shows_earned_points_against_the_possible():
    frame = pd.DataFrame(
        [
            {
                "label": "Attainment",
                "contribution": Decimal("20.5"),
                "effective_weight": Decimal(40),
                "normalised": Decimal("51.2"),
                "raw_text": "won 512 of 1,000",
            },
            {
                "label": "Win rate",
                "contribution": Decimal(0),
                "effective_weight": Decimal(0),
                "normalised": None,
                "raw_text": "no deal closed",
            },
        ]
    )
    spec = charts.score_parts(frame).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["bar", "bar", "text"]
    rows = {row["label"]: row for row in _values(spec)}
    assert rows["Attainment"]["contribution"] == pytest.approx(20.5)
    assert rows["Attainment"]["possible"] == pytest.approx(40)


def test_the_other_performance_charts_build():
    trend = charts.score_trend(pd.DataFrame({"period": ["2026Q1", "2026Q2"], "score": [50, None]}))
    assert trend.to_dict()["mark"]["type"] == "line"
    heat = charts.region_heatmap(
        pd.DataFrame([{"region": "Europe", "metric": "Win rate", "normalised": Decimal(80)}])
    ).to_dict()
    assert heat["layer"][0]["mark"]["type"] == "rect"
    funnel = charts.funnel(
        pd.DataFrame([{"stage": "Lead", "reached": 10, "conversion": Decimal("0.5")}])
    ).to_dict()
    assert _values(funnel)[0]["conversion_pct"] == pytest.approx(50)
    variance = charts.variance(
        pd.DataFrame(
            [
                {"label": "A", "variance": Decimal(-5), "main_driver": "fewer deals"},
                {"label": "B", "variance": Decimal(5), "main_driver": "more deals"},
                {"label": "C", "variance": None, "main_driver": ""},
            ]
        ),
        part="Region",
    ).to_dict()
    assert {r["label"]: r["side"] for r in _values(variance)} == {
        "A": "below plan",
        "B": "above plan",
    }
    counts = charts.alerts_by_rule(
        pd.DataFrame([{"rule_label": "Stalled deal", "severity": "medium", "count": 3}])
    ).to_dict()
    assert counts["mark"]["type"] == "bar"
