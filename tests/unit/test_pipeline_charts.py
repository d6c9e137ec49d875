"""The pipeline chart: amount and weighted bars per stage, stages in pipeline order."""

from decimal import Decimal

import pandas as pd

from ui.pipeline_charts import pipeline_by_stage


def test_the_pipeline_chart_has_two_bars_per_stage_in_stage_order():
    board = pd.DataFrame(
        {
            "stage": ["Lead", "Negotiation"],
            "deals": [3, 1],
            "amount": [Decimal("300.00"), Decimal("1000.00")],
            "weighted": [Decimal("15.00"), Decimal("800.00")],
        }
    )
    spec = pipeline_by_stage(board).to_dict()
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["y"]["sort"] == ["Lead", "Negotiation"]
    rows = next(iter(spec["datasets"].values()))
    values = {(r["stage"], r["measure"]): r["value"] for r in rows}
    weighted = "Weighted"
    assert values == {
        ("Lead", "Amount"): 300.0,
        ("Negotiation", "Amount"): 1000.0,
        ("Lead", weighted): 15.0,
        ("Negotiation", weighted): 800.0,
    }
    assert spec["encoding"]["color"]["scale"]["domain"] == ["Amount", weighted]  # the legend
