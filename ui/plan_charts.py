"""Altair charts of target plans: pure functions from plain data to a chart (test via to_dict)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import altair as alt
import pandas as pd


def target_by_part(frame: pd.DataFrame, *, title: str) -> alt.Chart:
    """Yearly target per sub-region or rep as horizontal bars, largest first.
    `frame` has columns name, kind ("region" or "rep") and target."""
    data = frame.assign(
        target=frame["target"].astype(float),
        kind=frame["kind"].map({"region": "sub-region", "rep": "rep"}),
    )
    return (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("name:N", title=None, sort="-x"),
            x=alt.X("target:Q", title="Yearly target", axis=alt.Axis(format="~s")),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(domain=["sub-region", "rep"], range=["#1565c0", "#90caf9"]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("name:N", title="Name"),
                alt.Tooltip("kind:N", title="Kind"),
                alt.Tooltip("target:Q", title="Target", format=",.0f"),
            ],
        )
        .properties(height=alt.Step(24))
    )


def monthly_profile(months: Sequence[str], amounts: Sequence[Decimal], *, title: str) -> alt.Chart:
    """The region's target month by month, in plan order."""
    data = pd.DataFrame({"month": list(months), "target": [float(a) for a in amounts]})
    return (
        alt.Chart(data, title=title)
        .mark_bar(color="#1565c0")
        .encode(
            x=alt.X("month:N", title=None, sort=list(months)),
            y=alt.Y("target:Q", title="Target", axis=alt.Axis(format="~s")),
            tooltip=[
                alt.Tooltip("month:N", title="Month"),
                alt.Tooltip("target:Q", title="Target", format=",.0f"),
            ],
        )
        .properties(height=220)
    )


def topdown_vs_bottomup(frame: pd.DataFrame, *, title: str) -> alt.Chart:
    """Target (top-down) and commitment (bottom-up) side by side per sub-region and rep.
    `frame` has columns name, target, commitment (empty when nothing was committed) and
    optionally complete (False: only some reps have committed, shown as "committed so far")."""
    complete = frame["complete"] if "complete" in frame else pd.Series(True, index=frame.index)
    data = frame.assign(
        partial=frame["commitment"].where(~complete.astype(bool)),
        commitment=frame["commitment"].where(complete.astype(bool)),
    )
    long = data.melt(
        id_vars=["name"],
        value_vars=["target", "commitment", "partial"],
        var_name="figure",
        value_name="amount",
    ).dropna(subset=["amount"])
    long["amount"] = long["amount"].astype(float)
    long["figure"] = long["figure"].map(
        {"target": "top-down target", "commitment": "commitment", "partial": "committed so far"}
    )
    return (
        alt.Chart(long, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("name:N", title=None),
            yOffset=alt.YOffset("figure:N"),
            x=alt.X("amount:Q", title="Yearly amount", axis=alt.Axis(format="~s")),
            color=alt.Color(
                "figure:N",
                title=None,
                scale=alt.Scale(
                    domain=["top-down target", "commitment", "committed so far"],
                    range=["#1565c0", "#ef6c00", "#ffcc80"],
                ),
                legend=alt.Legend(orient="bottom", columns=2),
            ),
            tooltip=[
                alt.Tooltip("name:N", title="Name"),
                alt.Tooltip("figure:N", title="Figure"),
                alt.Tooltip("amount:Q", title="Amount", format=",.0f"),
            ],
        )
        .properties(height=alt.Step(14))
    )
