"""Altair chart builders: pure functions from a DataFrame to a chart (testable via to_dict)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import altair as alt
import pandas as pd

from core.progress.forecast import PaceStatus, pace_status
from ui.format import is_missing

PACE_LABELS = {
    PaceStatus.ON_PACE: "on or ahead of pace",
    PaceStatus.BEHIND: "behind pace",
    PaceStatus.NO_TARGET: "no target",
}
"""How a part's pace status reads in a legend; the rule itself is core.progress.forecast's."""
PACE_COLOURS = {
    PaceStatus.ON_PACE: "#2e7d32",
    PaceStatus.BEHIND: "#f9a825",
    PaceStatus.NO_TARGET: "#9e9e9e",
}
PACE_RULE = (
    "Green: won is at least what the targets expect by today (past months in full, this "
    "month by day); Home and Attainment & forecast colour by this same rule."
)


def count_axis(title: str) -> alt.Axis:
    """An axis of counts (deals, alerts): whole-number ticks only."""
    return alt.Axis(title=title, format="d", tickMinStep=1)


def _amount(value: Any) -> Decimal | None:
    return None if is_missing(value) else Decimal(str(value))


def pace_labels(frame: pd.DataFrame) -> list[str]:
    """Each row's pace status as its legend reads, from columns won, target, expected_to_date."""
    return [
        PACE_LABELS[pace_status(_amount(won) or Decimal(0), _amount(target), _amount(expected))]
        for won, target, expected in zip(
            frame["won"], frame["target"], frame["expected_to_date"], strict=True
        )
    ]


def pace_colour() -> alt.Color:
    """The colour encoding of the `status` column written by `pace_labels`."""
    return alt.Color(
        "status:N",
        title=None,
        scale=alt.Scale(
            domain=[PACE_LABELS[s] for s in PaceStatus],
            range=[PACE_COLOURS[s] for s in PaceStatus],
        ),
        legend=alt.Legend(orient="bottom"),
    )


def won_vs_target(frame: pd.DataFrame, *, part: str) -> alt.LayerChart:
    """Won per part (region, rep or month) as bars coloured by pace, the target as a black
    tick, what is expected by today as a blue tick, and attainment in the tooltip. `frame` has
    columns label, won, target, attainment, expected_to_date."""
    data = pd.DataFrame(
        {
            "label": frame["label"],
            "won": pd.to_numeric(frame["won"], errors="coerce"),
            "target": pd.to_numeric(frame["target"], errors="coerce"),
            "expected": pd.to_numeric(frame["expected_to_date"], errors="coerce"),
            "attainment_pct": pd.to_numeric(frame["attainment"], errors="coerce") * 100,
            "status": pace_labels(frame),
        }
    )
    sort = None if part == "month" else "-x"
    base = alt.Chart(data).encode(y=alt.Y("label:N", title=part.capitalize(), sort=sort))
    tooltip = [
        alt.Tooltip("label:N", title=part.capitalize()),
        alt.Tooltip("won:Q", title="Won", format=",.0f"),
        alt.Tooltip("target:Q", title="Target", format=",.0f"),
        alt.Tooltip("expected:Q", title="Expected by today", format=",.0f"),
        alt.Tooltip("attainment_pct:Q", title="Attainment %", format=".1f"),
    ]
    bars = base.mark_bar().encode(
        x=alt.X("won:Q", title="Won vs target", axis=alt.Axis(format="~s")),
        color=pace_colour(),
        tooltip=tooltip,
    )
    ticks = base.mark_tick(color="black", thickness=3, size=30).encode(
        x="target:Q", tooltip=tooltip
    )
    expected = base.mark_tick(color="#1565c0", thickness=3, size=30).encode(
        x="expected:Q", tooltip=tooltip
    )
    return (bars + ticks + expected).properties(height=alt.Step(36))
