"""The exchange-rate chart: each currency's rate over time, one line per currency."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd

from core.i18n import _, is_chinese

LOG_SCALE_ABOVE = 20
"""When the largest rate shown is more than this many times the smallest (a yen beside a
pound), the axis is logarithmic so that every currency's line stays on the chart."""


def _chinese_dates(pattern: str) -> dict:
    """In Chinese the time axis writes its dates as Chinese does (the chart's own default
    names the months in English); English keeps the default."""
    return {"axis": alt.Axis(format=pattern)} if is_chinese() else {}


def _chinese_format(pattern: str) -> dict:
    return {"format": pattern} if is_chinese() else {}


def rates_over_time(frame: pd.DataFrame, company: str, today: date) -> alt.Chart:
    """`frame` has columns currency, valid_from (date) and rate (company units per unit). A
    rate holds until the next one, so each line steps at every new rate and its last rate runs
    on to today (a currency with a single rate is a flat line, not a lone point)."""
    data = pd.DataFrame(
        {
            "currency": frame["currency"].astype(str),
            "day": pd.to_datetime(frame["valid_from"]),
            "valid_from": pd.to_datetime(frame["valid_from"]),
            "rate": pd.to_numeric(frame["rate"], errors="coerce"),
        }
    )
    latest = data.sort_values("day").groupby("currency", as_index=False).last()
    latest = latest[latest["day"] < pd.Timestamp(today)].assign(day=pd.Timestamp(today))
    data = pd.concat([data, latest], ignore_index=True)
    positive = data["rate"][data["rate"] > 0]
    log = bool(len(positive) and positive.max() / positive.min() > LOG_SCALE_ABOVE)
    unit = _("{company} for one unit").format(company=company)
    title = _("{company} for one unit (log scale)").format(company=company) if log else unit
    scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    return (
        alt.Chart(data)
        .mark_line(interpolate="step-after", point=len(frame) <= 60)
        .encode(
            x=alt.X("day:T", title=_("Valid from"), **_chinese_dates("%Y年%-m月")),
            y=alt.Y("rate:Q", title=title, scale=scale),
            color=alt.Color("currency:N", title=_("Currency"), legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("currency:N", title=_("Currency")),
                alt.Tooltip(
                    "valid_from:T", title=_("Valid from"), **_chinese_format("%Y年%-m月%-d日")
                ),
                alt.Tooltip("rate:Q", title=unit, format=",.6~f"),
            ],
        )
        .properties(height=300)
    )
