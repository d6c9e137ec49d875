"""Altair builders for the pipeline pages: pure functions from a DataFrame to a chart."""

from __future__ import annotations

import altair as alt
import pandas as pd

from core.i18n import N_, _
from ui.stage_names import shown

MEASURES = {"amount": N_("Amount"), "weighted": N_("Weighted")}


def pipeline_by_stage(board: pd.DataFrame) -> alt.Chart:
    """Amount and weighted amount per stage, in stage order, as grouped horizontal bars.
    `board` has columns stage, deals, amount, weighted (as pipeline_board returns); the
    standard stages read in the current language."""
    measures = {key: _(label) for key, label in MEASURES.items()}
    board = board.assign(stage=board["stage"].map(shown))
    order = list(board["stage"])
    data = board.melt(
        id_vars=["stage", "deals"],
        value_vars=["amount", "weighted"],
        var_name="measure",
        value_name="value",
    ).assign(
        value=lambda f: f["value"].astype(float),
        measure=lambda f: f["measure"].map(measures),
    )
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("stage:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
            yOffset=alt.YOffset("measure:N", sort=list(measures.values())),
            x=alt.X("value:Q", title=_("Pipeline"), axis=alt.Axis(format="~s")),
            color=alt.Color(
                "measure:N",
                title=None,
                scale=alt.Scale(domain=list(measures.values()), range=["#90caf9", "#1565c0"]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("stage:N", title=_("Stage")),
                alt.Tooltip("measure:N", title=_("Measure")),
                alt.Tooltip("value:Q", title=_("Value"), format=",.0f"),
                alt.Tooltip("deals:Q", title=_("Deals")),
            ],
        )
        .properties(height=alt.Step(14))
    )
