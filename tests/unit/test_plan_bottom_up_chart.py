"""The target-vs-commitment chart sets a partial region commitment apart from a complete one."""

from decimal import Decimal

import pandas as pd

from ui import plan_charts


def test_a_partial_commitment_is_drawn_as_committed_so_far():
    frame = pd.DataFrame(
        {
            "name": ["East", "West", "Ann"],
            "target": [Decimal(100), Decimal(200), Decimal(30)],
            "commitment": [Decimal(10), None, Decimal(40)],
            "complete": [False, False, True],
        }
    )
    spec = plan_charts.topdown_vs_bottomup(frame, title="G").to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert sorted((r["name"], r["figure"], r["amount"]) for r in rows) == [
        ("Ann", "commitment", 40.0),
        ("Ann", "top-down target", 30.0),
        ("East", "committed so far", 10.0),
        ("East", "top-down target", 100.0),
        ("West", "top-down target", 200.0),
    ]
    assert "committed so far" in spec["encoding"]["color"]["scale"]["domain"]
