"""The attainment chart builders: layers, encodings and the data they draw."""

from datetime import date
from decimal import Decimal

import pandas as pd

from ui import attainment_charts


def _data(spec, layer=0):
    """The rows a layer draws (its own data, else the chart's shared data)."""
    source = spec["layer"][layer].get("data") or spec["data"]
    return spec["datasets"][source["name"]]


def test_attainment_bars_colour_by_pace_and_mark_100_percent_and_expected_to_date():
    frame = pd.DataFrame(
        {
            "label": ["Ahead", "Behind", "No plan"],
            "attainment": [Decimal("0.8"), Decimal("0.3"), None],
            "expected_to_date": [Decimal(60), Decimal(60), None],
            "won": [Decimal(80), Decimal(30), Decimal(5)],
            "target": [Decimal(100), Decimal(100), None],
        }
    )
    spec = attainment_charts.attainment_bars(frame, part="region").to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["bar", "tick", "rule"]
    rows = {r["label"]: r for r in _data(spec)}
    assert rows["Ahead"]["status"] == attainment_charts.ON_TRACK
    assert rows["Behind"]["status"] == attainment_charts.BEHIND
    assert rows["No plan"]["status"] == attainment_charts.NO_TARGET
    assert rows["Ahead"]["attainment_pct"] == 80.0 and rows["Ahead"]["expected_pct"] == 60.0
    assert _data(spec, 2) == [{"x": 100.0}]


def test_the_cumulative_line_stops_at_today_and_the_target_runs_to_the_end():
    frame = pd.DataFrame(
        {
            "day": [date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)],
            "won": [Decimal(10), Decimal(10), None],
            "target": [Decimal(5), Decimal(10), Decimal(15)],
        }
    )
    spec = attainment_charts.cumulative_won_vs_target(frame).to_dict()
    values = spec["datasets"][spec["data"]["name"]]
    series = [v["series"] for v in values]
    assert series.count("Won (cumulative)") == 2 and series.count("Target (cumulative)") == 3


def test_the_heatmap_writes_attainment_in_each_cell_and_a_dash_without_one():
    frame = pd.DataFrame(
        {
            "part": ["Europe", "Europe"],
            "month": [date(2026, 10, 1), date(2026, 11, 1)],
            "won": [Decimal(50), Decimal(0)],
            "target": [Decimal(100), Decimal(100)],
            "attainment": [Decimal("0.5"), None],
        }
    )
    spec = attainment_charts.attainment_heatmap(frame, part="region").to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rect", "rect", "text"]
    assert [r["text"] for r in _data(spec)] == ["50%", "–"]


def test_the_forecast_build_up_stacks_won_then_commit_best_case_and_pipeline():
    spec = attainment_charts.forecast_buildup(100, 50, 30, 20, 160).to_dict()
    bars = _data(spec)
    assert [(r["category"], r["start"], r["end"]) for r in bars] == [
        ("Won", 0, 100),
        ("Commit", 100, 150),
        ("Best case", 150, 180),
        ("Pipeline", 180, 200),
    ]
    assert _data(spec, 1)[0]["target"] == 160
    assert len(attainment_charts.forecast_buildup(1, 1, 1, 1, None).to_dict()["layer"]) == 1
