"""The exchange-rate chart: each currency's rate over time, one line per currency."""

from __future__ import annotations

import altair as alt
import pandas as pd

LOG_SCALE_ABOVE = 20
"""When the largest rate shown is more than this many times the smallest (a yen beside a
pound), the axis is logarithmic so that every currency's line stays on the chart."""


def rates_over_time(frame: pd.DataFrame, company: str) -> alt.Chart:
    """`frame` has columns currency, valid_from (date) and rate (company units per unit). A
    rate holds until the next one, so each line steps at every new rate."""
    data = pd.DataFrame(
        {
            "currency": frame["currency"].astype(str),
            "valid_from": pd.to_datetime(frame["valid_from"]),
            "rate": pd.to_numeric(frame["rate"], errors="coerce"),
        }
    )
    positive = data["rate"][data["rate"] > 0]
    log = bool(len(positive) and positive.max() / positive.min() > LOG_SCALE_ABOVE)
    title = f"{company} for one unit" + (" (log scale)" if log else "")
    scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    return (
        alt.Chart(data)
        .mark_line(interpolate="step-after", point=len(data) <= 60)
        .encode(
            x=alt.X("valid_from:T", title="Valid from"),
            y=alt.Y("rate:Q", title=title, scale=scale),
            color=alt.Color("currency:N", title="Currency", legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("currency:N", title="Currency"),
                alt.Tooltip("valid_from:T", title="Valid from"),
                alt.Tooltip("rate:Q", title=f"{company} for one unit", format=",.6~f"),
            ],
        )
        .properties(height=300)
    )
