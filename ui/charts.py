"""Altair chart builders: pure functions from a DataFrame to a chart (testable via to_dict)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import altair as alt
import pandas as pd

from core.i18n import N_, _
from core.progress.forecast import PaceStatus, pace_status
from ui.format import is_missing

PACE_LABELS = {
    PaceStatus.ON_PACE: N_("on or ahead of pace"),
    PaceStatus.BEHIND: N_("behind pace"),
    PaceStatus.NO_TARGET: N_("no target"),
}
"""How a part's pace status reads in a legend (translated where shown: `_()`); the rule itself
is core.progress.forecast's."""
PACE_COLOURS = {
    PaceStatus.ON_PACE: "#2e7d32",
    PaceStatus.BEHIND: "#f9a825",
    PaceStatus.NO_TARGET: "#9e9e9e",
}
PACE_RULE = N_(
    "Green: won is at least what the targets expect by today (past months in full, this "
    "month by day); Home and Attainment & forecast colour by this same rule."
)
"""Shown translated: `_(PACE_RULE)`."""
PART_NAMES = {"region": N_("Region"), "rep": N_("Rep"), "month": N_("Month")}
"""How a kind of part (the rows of a chart or table) is named in a title or a header."""


def part_name(part: str) -> str:
    """A kind of part as a title: "Region", "Rep", "Month" in the current language."""
    return _(PART_NAMES[part]) if part in PART_NAMES else _(part.capitalize())


def count_axis(title: str) -> alt.Axis:
    """An axis of counts (deals, alerts): whole-number ticks only."""
    return alt.Axis(title=title, format="d", tickMinStep=1)


def _amount(value: Any) -> Decimal | None:
    return None if is_missing(value) else Decimal(str(value))


def pace_labels(frame: pd.DataFrame) -> list[str]:
    """Each row's pace status as its legend reads, from columns won, target, expected_to_date."""
    return [
        _(PACE_LABELS[pace_status(_amount(won) or Decimal(0), _amount(target), _amount(expected))])
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
            domain=[_(PACE_LABELS[s]) for s in PaceStatus],
            range=[PACE_COLOURS[s] for s in PaceStatus],
        ),
        # one entry a row: three in one row ran past the right edge of a phone (390 px)
        legend=alt.Legend(orient="bottom", columns=1),
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
    base = alt.Chart(data).encode(y=alt.Y("label:N", title=part_name(part), sort=sort))
    tooltip = [
        alt.Tooltip("label:N", title=part_name(part)),
        alt.Tooltip("won:Q", title=_("Won"), format=",.0f"),
        alt.Tooltip("target:Q", title=_("Target"), format=",.0f"),
        alt.Tooltip("expected:Q", title=_("Expected by today"), format=",.0f"),
        alt.Tooltip("attainment_pct:Q", title=_("Attainment %"), format=".1f"),
    ]
    bars = base.mark_bar().encode(
        x=alt.X("won:Q", title=_("Won vs target"), axis=alt.Axis(format="~s")),
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
