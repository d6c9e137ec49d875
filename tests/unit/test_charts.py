from decimal import Decimal

import pandas as pd

from ui.attainment_charts import attainment_bars
from ui.charts import won_vs_target
from ui.performance_charts import alerts_by_rule, funnel


def _values(spec):
    return next(iter(spec["datasets"].values()))


def test_won_vs_target_chart_shows_won_bars_target_and_expected_ticks_coloured_by_pace():
    frame = pd.DataFrame(
        [
            # Below the whole target but ahead of what was expected by today: on pace.
            {
                "key": "1",
                "label": "Europe",
                "won": Decimal(70),
                "target": Decimal(100),
                "attainment": Decimal("0.7"),
                "expected_to_date": Decimal(60),
            },
            {
                "key": "2",
                "label": "Japan",
                "won": Decimal(50),
                "target": Decimal(100),
                "attainment": Decimal("0.5"),
                "expected_to_date": Decimal(60),
            },
            {
                "key": "3",
                "label": "Asia",
                "won": Decimal(50),
                "target": None,
                "attainment": None,
                "expected_to_date": None,
            },
        ]
    )
    spec = won_vs_target(frame, part="region").to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["bar", "tick", "tick"]
    status = {row["label"]: row["status"] for row in _values(spec)}
    assert status == {"Europe": "on or ahead of pace", "Japan": "behind pace", "Asia": "no target"}


def test_home_and_attainment_colour_the_same_parts_alike():
    frame = pd.DataFrame(
        {
            "label": ["Ahead", "Behind", "No plan", "Not started"],
            "won": [Decimal(70), Decimal(50), Decimal(5), Decimal(0)],
            "target": [Decimal(100), Decimal(100), None, Decimal(100)],
            "attainment": [Decimal("0.7"), Decimal("0.5"), None, Decimal(0)],
            "expected_to_date": [Decimal(60), Decimal(60), None, None],
        }
    )
    home = {r["label"]: r["status"] for r in _values(won_vs_target(frame, part="region").to_dict())}
    bars = attainment_bars(frame, part="region").to_dict()
    attainment = {r["label"]: r["status"] for r in spec_rows(bars)}
    assert home == attainment
    assert home == {
        "Ahead": "on or ahead of pace",
        "Behind": "behind pace",
        "No plan": "no target",
        "Not started": "on or ahead of pace",
    }
    legends = [
        chart["encoding"]["color"]["scale"]["domain"]
        for chart in (won_vs_target(frame, part="region").to_dict()["layer"][0], bars["layer"][0])
    ]
    assert legends[0] == legends[1]


def spec_rows(spec):
    source = spec["layer"][0].get("data") or spec["data"]
    return spec["datasets"][source["name"]]


def test_count_axes_show_whole_numbers_only():
    alerts = alerts_by_rule(
        pd.DataFrame({"rule_label": ["Stalled deal"], "severity": ["high"], "count": [2]})
    ).to_dict()
    stages = funnel(
        pd.DataFrame({"stage": ["Lead", "Won"], "reached": [3, 1], "conversion": [0.33, None]})
    ).to_dict()
    axes = [alerts["encoding"]["x"]["axis"], stages["layer"][0]["encoding"]["x"]["axis"]]
    for axis in axes:
        assert axis["format"] == "d"
        assert axis["tickMinStep"] == 1


def test_the_region_heatmap_writes_a_dash_where_a_metric_has_no_data():
    from ui.performance_charts import region_heatmap

    frame = pd.DataFrame(
        {
            "region": ["US West", "US West"],
            "metric": ["Win rate", "Cycle time"],
            "normalised": [Decimal("42.4"), None],
        }
    )
    spec = region_heatmap(frame).to_dict()
    labels = {r["metric"]: r["label"] for r in _values(spec)}
    assert labels == {"Win rate": "42", "Cycle time": "–"}
    assert spec["layer"][1]["encoding"]["text"]["field"] == "label"


def test_the_funnel_names_the_standard_stages_in_the_reader_language():
    from core.i18n import use_language

    frame = pd.DataFrame(
        {"stage": ["Lead", "Our own stage"], "reached": [3, 1], "conversion": [0.33, None]}
    )
    with use_language("zh_CN"):
        rows = spec_rows(funnel(frame).to_dict())
    assert [row["stage"] for row in rows] == ["线索", "Our own stage"]
    assert funnel(frame).to_dict()["layer"][0]["encoding"]["y"]["sort"] == ["Lead", "Our own stage"]
