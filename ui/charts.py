"""Altair chart builders: pure functions from a DataFrame to a chart (testable via to_dict)."""

from __future__ import annotations

import altair as alt
import pandas as pd


def won_vs_target(frame: pd.DataFrame, *, part: str) -> alt.Chart:
    """Won per part (region, rep or month) as bars, the target as a black tick, and the
    attainment in the tooltip. `frame` has columns label, won, target, attainment."""
    data = frame.assign(
        won=frame["won"].astype(float),
        target=frame["target"].astype(float),
        attainment_pct=frame["attainment"].astype(float) * 100,
        status=frame["attainment"].map(
            lambda a: (
                "no target"
                if a is None or pd.isna(a)
                else ("at or above target" if a >= 1 else "below target")
            )
        ),
    )
    sort = None if part == "month" else "-x"
    base = alt.Chart(data).encode(y=alt.Y("label:N", title=part.capitalize(), sort=sort))
    tooltip = [
        alt.Tooltip("label:N", title=part.capitalize()),
        alt.Tooltip("won:Q", title="Won", format=",.0f"),
        alt.Tooltip("target:Q", title="Target", format=",.0f"),
        alt.Tooltip("attainment_pct:Q", title="Attainment %", format=".1f"),
    ]
    bars = base.mark_bar().encode(
        x=alt.X("won:Q", title="Won vs target", axis=alt.Axis(format="~s")),
        color=alt.Color(
            "status:N",
            title=None,
            scale=alt.Scale(
                domain=["at or above target", "below target", "no target"],
                range=["#2e7d32", "#f9a825", "#9e9e9e"],
            ),
            legend=alt.Legend(orient="bottom"),
        ),
        tooltip=tooltip,
    )
    ticks = base.mark_tick(color="black", thickness=3, size=30).encode(
        x="target:Q", tooltip=tooltip
    )
    return (bars + ticks).properties(height=alt.Step(36))
