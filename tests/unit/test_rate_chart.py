"""The exchange-rate chart builder: one line per currency, each running on to today, titled
in the company currency, on a log axis only when the rates differ by more than 20 times."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from ui.rate_chart import rates_over_time

TODAY = date(2026, 6, 30)


def _spec(rows):
    frame = pd.DataFrame(rows, columns=["currency", "valid_from", "rate"])
    return rates_over_time(frame, "USD", TODAY).to_dict()


def _values(spec):
    (values,) = spec["datasets"].values()
    return values


def test_each_currency_is_one_line_and_a_single_rate_runs_on_to_today():
    spec = _spec(
        [
            ("EUR", date(2026, 6, 1), Decimal("1.10")),
            ("EUR", date(2026, 1, 1), Decimal("1.05")),
            ("GBP", date(2026, 3, 1), Decimal("1.30")),
        ]
    )
    assert spec["encoding"]["color"]["field"] == "currency"
    assert spec["encoding"]["y"]["title"] == "USD for one unit"
    assert spec["encoding"]["x"]["title"] == "Valid from"
    assert spec["encoding"]["y"]["scale"] == {"zero": False}
    points = sorted((v["currency"], v["day"][:10], v["rate"]) for v in _values(spec))
    assert points == [
        ("EUR", "2026-01-01", 1.05),
        ("EUR", "2026-06-01", 1.10),
        ("EUR", "2026-06-30", 1.10),
        ("GBP", "2026-03-01", 1.30),
        ("GBP", "2026-06-30", 1.30),
    ]


def test_a_yen_beside_a_pound_puts_the_rates_on_a_log_axis():
    spec = _spec(
        [("JPY", date(2026, 1, 1), Decimal("0.0067")), ("GBP", date(2026, 1, 1), Decimal("1.3"))]
    )
    assert spec["encoding"]["y"]["scale"] == {"type": "log"}
    assert spec["encoding"]["y"]["title"] == "USD for one unit (log scale)"
