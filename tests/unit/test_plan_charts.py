"""Plan chart builders, checked through their Vega-Lite specs."""

from decimal import Decimal

import pandas as pd

from ui import plan_charts


def _values(spec):
    return next(iter(spec["datasets"].values()))


def test_target_by_part_sorts_bars_largest_first_and_labels_kinds():
    frame = pd.DataFrame(
        {"kind": ["region", "rep"], "name": ["East", "Ann"], "target": [Decimal(5), Decimal(9)]}
    )
    spec = plan_charts.target_by_part(frame, title="T").to_dict()
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["y"]["sort"] == "-x"
    assert {row["kind"] for row in _values(spec)} == {"sub-region", "rep"}
    assert [row["target"] for row in _values(spec)] == [5.0, 9.0]


def test_the_monthly_profile_keeps_the_plan_order_of_months():
    months = ["Apr 27", "May 27", "Jun 27"]
    spec = plan_charts.monthly_profile(months, [Decimal(1), Decimal(2), Decimal(3)], title="M")
    spec = spec.to_dict()
    assert spec["encoding"]["x"]["sort"] == months
    assert [row["target"] for row in _values(spec)] == [1.0, 2.0, 3.0]


def test_top_down_vs_bottom_up_shows_both_figures_and_skips_missing_commitments():
    frame = pd.DataFrame(
        {
            "name": ["Ann", "Bob"],
            "target": [Decimal(10), Decimal(20)],
            "commitment": [Decimal(12), None],
        }
    )
    spec = plan_charts.topdown_vs_bottomup(frame, title="G").to_dict()
    rows = _values(spec)
    assert sorted((r["name"], r["figure"], r["amount"]) for r in rows) == [
        ("Ann", "commitment", 12.0),
        ("Ann", "top-down target", 10.0),
        ("Bob", "top-down target", 20.0),
    ]
    assert spec["encoding"]["yOffset"]["field"] == "figure"
