from decimal import Decimal

import pandas as pd

from ui.charts import won_vs_target


def test_won_vs_target_chart_shows_won_bars_and_target_ticks():
    frame = pd.DataFrame(
        [
            {
                "key": "1",
                "label": "Europe",
                "won": Decimal(120),
                "target": Decimal(100),
                "attainment": Decimal("1.2"),
            },
            {"key": "2", "label": "Asia", "won": Decimal(50), "target": None, "attainment": None},
        ]
    )
    spec = won_vs_target(frame, part="region").to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["bar", "tick"]
    values = next(iter(spec["datasets"].values()))
    status = {row["label"]: row["status"] for row in values}
    assert status == {"Europe": "at or above target", "Asia": "no target"}
