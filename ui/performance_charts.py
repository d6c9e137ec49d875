"""Altair charts of performance: score parts, score trend, regions, funnel, variance, alerts.

Pure functions from a DataFrame to a chart, tested through to_dict().
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from core.i18n import _, is_chinese
from ui.charts import count_axis
from ui.format import as_text
from ui.stage_names import shown

GOOD, WARN, BAD, GREY = "#2e7d32", "#f9a825", "#c62828", "#d0d0d0"


def score_parts(frame: pd.DataFrame) -> alt.LayerChart:
    """Each metric's contribution (coloured) against the most it could give (grey).
    `frame` has columns label, contribution, effective_weight, normalised, raw_text."""
    data = frame.assign(
        contribution=frame["contribution"].astype(float),
        possible=frame["effective_weight"].astype(float),
        normalised=pd.to_numeric(frame["normalised"], errors="coerce"),
    )
    order = list(data["label"])
    base = alt.Chart(data).encode(
        y=alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=220))
    )
    tooltip = [
        alt.Tooltip("label:N", title=_("Metric")),
        alt.Tooltip("raw_text:N", title=_("Figures")),
        alt.Tooltip("normalised:Q", title=_("Normalised (0-100)"), format=".1f"),
        alt.Tooltip("possible:Q", title=_("Effective weight"), format=".2f"),
        alt.Tooltip("contribution:Q", title=_("Points"), format=".2f"),
    ]
    possible = base.mark_bar(color=GREY).encode(
        x=alt.X("possible:Q", title=_("Points of the score (grey: most possible)")),
        tooltip=tooltip,
    )
    earned = base.mark_bar(color="#1565c0").encode(x="contribution:Q", tooltip=tooltip)
    labels = base.mark_text(align="left", dx=4).encode(
        x="possible:Q", text=alt.Text("contribution:Q", format=".1f")
    )
    return (possible + earned + labels).properties(height=alt.Step(32))


def score_trend(frame: pd.DataFrame) -> alt.Chart:
    """Score per period (columns period, score), oldest first."""
    data = frame.assign(score=pd.to_numeric(frame["score"], errors="coerce"))
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "period:N",
                title=None,
                sort=list(data["period"]),
                axis=alt.Axis(labelAngle=0) if is_chinese() else alt.Undefined,
            ),
            y=alt.Y("score:Q", title=_("Score"), scale=alt.Scale(domain=[0, 100])),
            tooltip=[
                alt.Tooltip("period:N", title=_("Period")),
                alt.Tooltip("score:Q", title=_("Score"), format=".1f"),
            ],
        )
        .properties(height=220)
    )


def region_heatmap(frame: pd.DataFrame) -> alt.LayerChart:
    """Normalised value (0-100) of each metric per region: columns region, metric, normalised."""
    data = frame.assign(normalised=pd.to_numeric(frame["normalised"], errors="coerce"))
    # A metric without data (no deal closed: no cycle time) is written "–", not "null".
    data["label"] = as_text(data["normalised"], "{:.0f}".format)
    base = alt.Chart(data).encode(
        x=alt.X("metric:N", title=None, sort=None, axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("region:N", title=None),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "normalised:Q",
            title="0-100",
            scale=alt.Scale(domain=[0, 50, 100], range=[BAD, WARN, GOOD]),
        ),
        tooltip=[
            alt.Tooltip("region:N", title=_("Region")),
            alt.Tooltip("metric:N", title=_("Metric")),
            alt.Tooltip("normalised:Q", title=_("Normalised (0-100)"), format=".1f"),
        ],
    )
    text = base.mark_text(color="black").encode(text=alt.Text("label:N"))
    return (cells + text).properties(height=alt.Step(34))


def funnel(frame: pd.DataFrame) -> alt.LayerChart:
    """Deals reaching each stage (columns stage, reached, conversion), in stage order; the
    standard stages read in the current language."""
    data = frame.assign(
        stage=frame["stage"].map(shown),
        conversion_pct=pd.to_numeric(frame["conversion"], errors="coerce") * 100,
    )
    base = alt.Chart(data).encode(
        y=alt.Y("stage:N", title=None, sort=list(data["stage"]), axis=alt.Axis(labelLimit=220))
    )
    bars = base.mark_bar(color="#1565c0").encode(
        x=alt.X("reached:Q", axis=count_axis(_("Deals that reached the stage"))),
        tooltip=[
            alt.Tooltip("stage:N", title=_("Stage")),
            alt.Tooltip("reached:Q", title=_("Reached")),
            alt.Tooltip("conversion_pct:Q", title=_("On to the next stage %"), format=".1f"),
        ],
    )
    text = base.mark_text(align="left", dx=4).encode(x="reached:Q", text="reached:Q")
    return (bars + text).properties(height=alt.Step(32))


def variance(frame: pd.DataFrame, *, part: str) -> alt.Chart:
    """Won minus target per part (columns label, variance), green above plan, red below."""
    above, below = _("above plan"), _("below plan")
    data = frame.dropna(subset=["variance"]).assign(
        variance=lambda f: f["variance"].astype(float),
        side=lambda f: f["variance"].map(lambda v: above if v >= 0 else below),
    )
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title=part, sort="-x"),
            x=alt.X("variance:Q", title=_("Won minus target"), axis=alt.Axis(format="~s")),
            color=alt.Color(
                "side:N",
                title=None,
                scale=alt.Scale(domain=[above, below], range=[GOOD, BAD]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("label:N", title=part),
                alt.Tooltip("variance:Q", title=_("Variance"), format=",.0f"),
                alt.Tooltip("main_driver:N", title=_("Main driver")),
            ],
        )
        .properties(height=alt.Step(26))
    )


def alerts_by_rule(frame: pd.DataFrame) -> alt.Chart:
    """Number of alerts per rule (columns rule_label, severity, count)."""
    severities = {"high": _("high"), "medium": _("medium"), "low": _("low")}
    data = frame.assign(severity=frame["severity"].map(lambda v: severities.get(v, v)))
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("rule_label:N", title=None, sort="-x", axis=alt.Axis(labelLimit=220)),
            x=alt.X("count:Q", axis=count_axis(_("Alerts"))),
            color=alt.Color(
                "severity:N",
                scale=alt.Scale(domain=list(severities.values()), range=[BAD, WARN, "#90a4ae"]),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            tooltip=[
                alt.Tooltip("rule_label:N", title=_("Rule")),
                alt.Tooltip("severity:N", title=_("Severity")),
                alt.Tooltip("count:Q", title=_("Alerts")),
            ],
        )
        .properties(height=alt.Step(24))
    )
