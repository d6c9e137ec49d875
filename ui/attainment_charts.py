"""Attainment charts: pure Altair builders from plain DataFrames (tested through to_dict())."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import altair as alt
import pandas as pd

from core.i18n import N_, _, is_chinese
from core.progress.forecast import PaceStatus
from ui.charts import PACE_LABELS, pace_colour, pace_labels, part_name

STRETCH_COLOUR = "#6d4c41"
"""The marks of a plan's stretch levels (brown: apart from the red target and pace colours)."""


def month_name(value) -> str:
    """A month as a heading reads it: "Mar 2026" in English, "2026年3月" in Chinese."""
    if is_chinese():
        return _("{year}-{month}").format(year=value.year, month=value.month)
    return f"{value:%b %Y}"


ON_TRACK, BEHIND, NO_TARGET = (
    PACE_LABELS[PaceStatus.ON_PACE],
    PACE_LABELS[PaceStatus.BEHIND],
    PACE_LABELS[PaceStatus.NO_TARGET],
)


def attainment_bars(
    frame: pd.DataFrame, *, part: str, stretch: Sequence[Decimal] = ()
) -> alt.LayerChart:
    """Attainment per part as bars coloured by pace (the rule Home colours by too), a rule at
    100% and a black tick at the share of the target expected by today; a grey rule at each
    stretch level of the plan (percent: 110, 125). `frame` has label, attainment (a fraction;
    None without a target), won, target and expected_to_date."""
    target = pd.to_numeric(frame["target"], errors="coerce")
    expected = pd.to_numeric(frame["expected_to_date"], errors="coerce")
    data = pd.DataFrame(
        {
            "label": frame["label"],
            "attainment_pct": pd.to_numeric(frame["attainment"], errors="coerce") * 100,
            "expected_pct": (expected / target.where(target > 0)) * 100,
            "won": pd.to_numeric(frame["won"], errors="coerce"),
            "target": target,
            "status": pace_labels(frame),
        }
    )
    tooltip = [
        alt.Tooltip("label:N", title=part_name(part)),
        alt.Tooltip("attainment_pct:Q", title=_("Attainment %"), format=".1f"),
        alt.Tooltip("expected_pct:Q", title=_("Expected by today %"), format=".1f"),
        alt.Tooltip("won:Q", title=_("Won"), format=",.0f"),
        alt.Tooltip("target:Q", title=_("Target"), format=",.0f"),
    ]
    base = alt.Chart(data).encode(
        y=alt.Y("label:N", title=part_name(part), sort="-x"),
    )
    bars = base.mark_bar().encode(
        x=alt.X("attainment_pct:Q", title=_("Attainment (% of target)")),
        color=pace_colour(),
        tooltip=tooltip,
    )
    expected_tick = base.mark_tick(color="black", thickness=3, size=28).encode(
        x="expected_pct:Q", tooltip=tooltip
    )
    full = (
        alt.Chart(pd.DataFrame({"x": [100.0]}))
        .mark_rule(color="#c62828", strokeDash=[6, 3], size=2)
        .encode(x="x:Q")
    )
    layers = [bars, expected_tick, full]
    if stretch:
        levels = pd.DataFrame({"x": [float(v) for v in stretch]})
        levels["level"] = [_("Stretch {level}%").format(level=f"{v:g}") for v in levels["x"]]
        layers.append(
            alt.Chart(levels)
            .mark_rule(color=STRETCH_COLOUR, strokeDash=[2, 2], size=2)
            .encode(x="x:Q", tooltip=[alt.Tooltip("level:N", title=_("Stretch level"))])
        )
    return alt.layer(*layers).properties(height=alt.Step(34))


def cumulative_won_vs_target(frame: pd.DataFrame) -> alt.Chart:
    """Cumulative won (up to today) and cumulative target through the period, day by day.
    `frame` has day, won, target."""
    data = frame.melt(id_vars=["day"], value_vars=["won", "target"], var_name="series")
    data["value"] = pd.to_numeric(data["value"], errors="coerce")
    won_name, target_name = _("Won (cumulative)"), _("Target (cumulative)")
    data["series"] = data["series"].map({"won": won_name, "target": target_name})
    data = data.dropna(subset=["value"])
    data["day"] = pd.to_datetime(data["day"])
    # Vega writes month names in English: Chinese dates are written with numbers
    day_axis, day_tip = ("%-m月%-d日", "%Y年%-m月%-d日") if is_chinese() else (None, None)
    return (
        alt.Chart(data)
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X(
                "day:T", title=None, axis=alt.Axis(format=day_axis) if day_axis else alt.Undefined
            ),
            y=alt.Y("value:Q", title=_("Amount"), axis=alt.Axis(format="~s")),
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(
                    domain=[won_name, target_name],
                    range=["#1565c0", "#757575"],
                ),
                legend=alt.Legend(orient="bottom"),
            ),
            strokeDash=alt.StrokeDash(
                "series:N",
                scale=alt.Scale(domain=[won_name, target_name], range=[[1, 0], [6, 3]]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("day:T", title=_("Day"), format=day_tip or alt.Undefined),
                alt.Tooltip("series:N", title=_("Series")),
                alt.Tooltip("value:Q", title=_("Amount"), format=",.0f"),
            ],
        )
        .properties(height=280)
    )


def attainment_heatmap(frame: pd.DataFrame, *, part: str) -> alt.LayerChart:
    """Parts x months coloured by attainment of the month's target, with the percentage
    written in each cell. `frame` has part, month, won, target, attainment."""
    data = frame.copy()
    data["attainment_pct"] = pd.to_numeric(data["attainment"], errors="coerce") * 100
    data["won"] = pd.to_numeric(data["won"], errors="coerce")
    data["target"] = pd.to_numeric(data["target"], errors="coerce")
    data["month"] = [month_name(m) for m in pd.to_datetime(data["month"])]
    data["text"] = data["attainment_pct"].map(lambda v: "–" if pd.isna(v) else f"{v:.0f}%")
    order = list(dict.fromkeys(data["month"]))
    base = alt.Chart(data).encode(
        # Chinese month names read across, not turned on their side
        x=alt.X(
            "month:O",
            title=None,
            sort=order,
            axis=alt.Axis(labelAngle=0) if is_chinese() else alt.Undefined,
        ),
        y=alt.Y("part:N", title=part_name(part)),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "attainment_pct:Q",
            title=_("Attainment %"),
            scale=alt.Scale(
                domain=[0, 50, 100, 150],
                range=["#c62828", "#f9a825", "#a5d6a7", "#1b5e20"],
                clamp=True,
            ),
        ),
        tooltip=[
            alt.Tooltip("part:N", title=part_name(part)),
            alt.Tooltip("month:O", title=_("Month")),
            alt.Tooltip("won:Q", title=_("Won"), format=",.0f"),
            alt.Tooltip("target:Q", title=_("Target"), format=",.0f"),
            alt.Tooltip("attainment_pct:Q", title=_("Attainment %"), format=".1f"),
        ],
    )
    empty = base.mark_rect(color="#eeeeee")  # months not started and parts without target
    labels = base.mark_text(baseline="middle", fontSize=12).encode(text="text:N")
    return (empty + cells + labels).properties(height=alt.Step(30))


CATEGORIES = [N_("Won"), N_("Commit"), N_("Best case"), N_("Pipeline")]
"""The forecast categories in stacking order (translated where shown)."""


def forecast_buildup(
    won: float,
    commit: float,
    best_case: float,
    pipeline: float,
    target: float | None,
    *,
    stretch: Sequence[Decimal] = (),
) -> alt.LayerChart:
    """One stacked bar: won, then the open pipeline by forecast category (commit, best case,
    pipeline), with the target as a red rule and each stretch level (percent of the target)
    as a grey one: how far each category would carry the number."""
    amounts = [float(won), float(commit), float(best_case), float(pipeline)]
    categories = [_(c) for c in CATEGORIES]
    row = _("Forecast")
    ends = pd.Series(amounts).cumsum()
    data = pd.DataFrame(
        {
            "category": categories,
            "amount": amounts,
            "start": ends - amounts,
            "end": ends,
            "row": row,
        }
    )
    bars = (
        alt.Chart(data)
        .mark_bar(size=36)
        .encode(
            x=alt.X("start:Q", title=None, axis=alt.Axis(format="~s")),
            x2="end:Q",
            y=alt.Y("row:N", title=None, axis=None),
            color=alt.Color(
                "category:N",
                title=None,
                sort=categories,
                scale=alt.Scale(
                    domain=categories, range=["#2e7d32", "#1565c0", "#64b5f6", "#cfd8dc"]
                ),
                legend=alt.Legend(orient="right"),
            ),
            tooltip=[
                alt.Tooltip("category:N", title=_("Category")),
                alt.Tooltip("amount:Q", title=_("Amount"), format=",.0f"),
            ],
        )
    )
    if target is None:
        return alt.layer(bars).properties(height=90)
    rule = (
        alt.Chart(pd.DataFrame({"target": [float(target)], "row": [row]}))
        .mark_tick(color="#c62828", thickness=3, size=54)
        .encode(
            x="target:Q",
            y=alt.Y("row:N", title=None, axis=None),
            tooltip=[alt.Tooltip("target:Q", title=_("Target"), format=",.0f")],
        )
    )
    if not stretch:
        return alt.layer(bars, rule).properties(height=90)
    levels = pd.DataFrame(
        {
            "value": [float(target) * float(v) / 100 for v in stretch],
            "level": [_("Stretch {level}%").format(level=f"{float(v):g}") for v in stretch],
            "row": row,
        }
    )
    marks = (
        alt.Chart(levels)
        .mark_tick(color=STRETCH_COLOUR, thickness=2, size=54)
        .encode(
            x="value:Q",
            y=alt.Y("row:N", title=None, axis=None),
            tooltip=[
                alt.Tooltip("level:N", title=_("Stretch level")),
                alt.Tooltip("value:Q", title=_("Stretch target"), format=",.0f"),
            ],
        )
    )
    return alt.layer(bars, rule, marks).properties(height=90)


def measure_bars(frame: pd.DataFrame, *, part: str, measure: str) -> alt.LayerChart:
    """Achieved per part on one measure as bars coloured by pace, the target as a black tick,
    what is expected by today as a blue tick and each stretch target (target x a stretch
    level) as a brown tick. `frame` has label, achieved, target, expected_to_date and
    stretch (a list of stretch targets, lowest first; empty without)."""
    order = list(frame["label"])
    data = pd.DataFrame(
        {
            "label": frame["label"],
            "achieved": pd.to_numeric(frame["achieved"], errors="coerce"),
            "target": pd.to_numeric(frame["target"], errors="coerce"),
            "expected": pd.to_numeric(frame["expected_to_date"], errors="coerce"),
            "status": pace_labels(frame.rename(columns={"achieved": "won"})),
        }
    )
    base = alt.Chart(data).encode(y=alt.Y("label:N", title=part_name(part), sort=order))
    tooltip = [
        alt.Tooltip("label:N", title=part_name(part)),
        alt.Tooltip("achieved:Q", title=_("Achieved"), format=",.0f"),
        alt.Tooltip("target:Q", title=_("Target"), format=",.0f"),
        alt.Tooltip("expected:Q", title=_("Expected by today"), format=",.0f"),
    ]
    bars = base.mark_bar().encode(
        x=alt.X(
            "achieved:Q",
            title=_("{measure}: achieved vs target").format(measure=measure),
            axis=alt.Axis(format="~s"),
        ),
        color=pace_colour(),
        tooltip=tooltip,
    )
    target = base.mark_tick(color="black", thickness=3, size=30).encode(
        x="target:Q", tooltip=tooltip
    )
    # shorter than the target's tick, so both show when a part is expected to be at target
    expected = base.mark_tick(color="#1565c0", thickness=3, size=16).encode(
        x="expected:Q", tooltip=tooltip
    )
    layers = [bars, target, expected]
    levels = [
        {"label": label, "stretch": float(value), "level": n + 1}
        for label, values in zip(frame["label"], frame["stretch"], strict=True)
        for n, value in enumerate(values or [])
    ]
    if levels:
        layers.append(
            alt.Chart(pd.DataFrame(levels))
            .mark_tick(color=STRETCH_COLOUR, thickness=2, size=30, strokeDash=[3, 2])
            .encode(
                y=alt.Y("label:N", sort=order),
                x="stretch:Q",
                tooltip=[
                    alt.Tooltip("label:N", title=part_name(part)),
                    alt.Tooltip("stretch:Q", title=_("Stretch target"), format=",.0f"),
                ],
            )
        )
    return alt.layer(*layers).properties(height=alt.Step(36))
