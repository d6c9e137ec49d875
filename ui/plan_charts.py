"""Altair charts of target plans: pure functions from plain data to a chart (test via to_dict)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import altair as alt
import pandas as pd

from core.i18n import N_, _

KINDS = {"region": N_("sub-region"), "rep": N_("rep")}
FIGURES = {
    "target": N_("top-down target"),
    "commitment": N_("commitment"),
    "partial": N_("committed so far"),
}


def target_by_part(frame: pd.DataFrame, *, title: str) -> alt.Chart:
    """Yearly target per sub-region or rep as horizontal bars, largest first.
    `frame` has columns name, kind ("region" or "rep") and target."""
    data = frame.assign(
        target=frame["target"].astype(float),
        kind=frame["kind"].map({k: _(v) for k, v in KINDS.items()}),
    )
    return (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("name:N", title=None, sort="-x"),
            x=alt.X("target:Q", title=_("Yearly target"), axis=alt.Axis(format="~s")),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(
                    domain=[_(KINDS["region"]), _(KINDS["rep"])], range=["#1565c0", "#90caf9"]
                ),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("name:N", title=_("Name")),
                alt.Tooltip("kind:N", title=_("Kind")),
                alt.Tooltip("target:Q", title=_("Target"), format=",.0f"),
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
            y=alt.Y("target:Q", title=_("Target"), axis=alt.Axis(format="~s")),
            tooltip=[
                alt.Tooltip("month:N", title=_("Month")),
                alt.Tooltip("target:Q", title=_("Target"), format=",.0f"),
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
    long["figure"] = long["figure"].map({k: _(v) for k, v in FIGURES.items()})
    return (
        alt.Chart(long, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("name:N", title=None),
            yOffset=alt.YOffset("figure:N"),
            x=alt.X("amount:Q", title=_("Yearly amount"), axis=alt.Axis(format="~s")),
            color=alt.Color(
                "figure:N",
                title=None,
                scale=alt.Scale(
                    domain=[_(v) for v in FIGURES.values()],
                    range=["#1565c0", "#ef6c00", "#ffcc80"],
                ),
                legend=alt.Legend(orient="bottom", columns=2),
            ),
            tooltip=[
                alt.Tooltip("name:N", title=_("Name")),
                alt.Tooltip("figure:N", title=_("Figure")),
                alt.Tooltip("amount:Q", title=_("Amount"), format=",.0f"),
            ],
        )
        .properties(height=alt.Step(14))
    )
