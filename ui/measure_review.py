"""Performance page, plan vs actual on any measure and product line (core.performance.
measure_review), and the measure targets beside a rep's scorecard."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd
import streamlit as st

from core.errors import DomainError
from core.org.access import load_actor
from core.org.company import fiscal_start_month
from core.performance import measure_review
from core.performance.scorecard import MeasureTarget
from core.periods import parse_period
from core.plans.lines import product_lines
from ui.data import cached, read
from ui.downloads import download_buttons
from ui.format import percent

ALL_LINES = ""
TARGET_LABELS = {
    "units": "Units sold",
    "visits": "Customer visits",
    "deals_created": "Deals created",
}


@cached("settings")
def load_lines() -> list[str]:
    with read() as session:
        return product_lines(session)


@cached("deals", "activities", "targets", "org", "settings")
def load_measure_review(
    person_id: int, label: str, dimension: str, measure: str, line: str
) -> list[measure_review.MeasureReviewRow]:
    with read() as session:
        actor = load_actor(session, person_id)
        period = parse_period(label, fiscal_start_month(session))
        return measure_review.measure_plan_vs_actual(
            session, actor, period, dimension, measure=measure, product_line=line
        )


@cached("deals", "activities", "targets", "org", "settings")
def load_months(
    person_id: int, label: str, measure: str, line: str
) -> list[measure_review.MonthRow]:
    with read() as session:
        actor = load_actor(session, person_id)
        period = parse_period(label, fiscal_start_month(session))
        return measure_review.plan_by_month(
            session, actor, period, measure=measure, product_line=line
        )


def choose_measure(key: str) -> tuple[str, str]:
    """The measure and product line of the review (revenue, every line by default)."""
    left, right = st.columns(2)
    options: list[str] = list(measure_review.MEASURES)
    measure = str(
        left.selectbox(
            "Measure",
            options,
            format_func=lambda m: measure_review.MEASURES[m],
            key=f"{key}_measure",
        )
    )
    lines = load_lines()
    if measure == "visits" or not lines:
        right.selectbox(
            "Product line",
            ["Every line"],
            disabled=True,
            key=f"{key}_line_none",
            help="Visits have no product line." if measure == "visits" else None,
        )
        return measure, ALL_LINES
    line = right.selectbox(
        "Product line",
        [ALL_LINES, *lines],
        format_func=lambda v: v or "Every line",
        key=f"{key}_line",
    )
    return measure, str(line or ALL_LINES)


def choose_score_line(container) -> str:
    """Whose scores: the whole business (default) or one product line's deals and plans."""
    lines = load_lines()
    if not lines:
        return ALL_LINES
    line = container.selectbox(
        "Scores of",
        [ALL_LINES, *lines],
        format_func=lambda v: f"Product line: {v}" if v else "Every product line",
        key="perf_line",
        help="A product line's scores count only its deals and read its own plans; "
        "activities and visits have no product line and count in full.",
    )
    return str(line or ALL_LINES)


def _amount(value) -> float | None:
    return None if value is None else float(value)


def _shown(frame: pd.DataFrame, first: str) -> pd.DataFrame:
    """The table as people read it: whole numbers with thousands separators, a dash where
    there is no target (the download keeps the numbers)."""
    out = frame.copy()
    for column in out.columns:
        if column != first and column != "Variance %":
            out[column] = out[column].map(lambda v: "–" if v is None or pd.isna(v) else f"{v:,.0f}")
    return out


def _right(frame: pd.DataFrame, first: str) -> dict:
    return {
        c: st.column_config.TextColumn(c, alignment="right") for c in frame.columns if c != first
    }


def months_chart(frame: pd.DataFrame, unit: str) -> alt.LayerChart:
    """Achieved by month (bars) against the month's target (a dark mark across the bar).
    `frame` has label, month, target, achieved."""
    data = frame.assign(
        target=pd.to_numeric(frame["target"], errors="coerce"),
        achieved=pd.to_numeric(frame["achieved"], errors="coerce"),
    )
    order = list(data["label"])
    base = alt.Chart(data).encode(
        x=alt.X("label:N", title=None, sort=order, axis=alt.Axis(labelAngle=0))
    )
    tooltip = [
        alt.Tooltip("label:N", title="Month"),
        alt.Tooltip("target:Q", title="Target", format=",.0f"),
        alt.Tooltip("achieved:Q", title="Achieved", format=",.0f"),
    ]
    bars = base.mark_bar(color="#90caf9", size=48).encode(
        y=alt.Y("achieved:Q", title=unit), tooltip=tooltip
    )
    ticks = base.mark_tick(color="#212121", thickness=3, size=64).encode(
        y="target:Q", tooltip=tooltip
    )
    return (bars + ticks).properties(height=260)


def show_months(person_id: int, label: str, measure: str, line: str) -> None:
    """The area's target and achieved month by month, with a download."""
    try:
        months = load_months(person_id, label, measure, line)
    except DomainError as exc:
        st.info(str(exc))
        return
    unit = measure_review.MEASURES[measure]
    st.subheader("Month by month")
    if all(m.target is None for m in months):
        st.caption(
            "Your area has no target of its own on this measure in this period: no active "
            "plan sets one, or the plan has rep targets only (read them by rep). The bars show "
            "what was achieved."
        )
    frame = pd.DataFrame([m.model_dump() for m in months])
    st.altair_chart(months_chart(frame, unit), width="stretch")
    st.caption("Bars: what was achieved each month; dark marks: the month's target.")
    table = pd.DataFrame(
        {
            "Month": frame["label"],
            "Target": frame["target"].map(lambda v: _amount(v)),
            "Achieved": frame["achieved"].astype(float),
            "Variance": frame["variance"].map(lambda v: _amount(v)),
            "Target so far": frame["cumulative_target"].map(lambda v: _amount(v)),
            "Achieved so far": frame["cumulative_achieved"].astype(float),
        }
    )
    st.dataframe(
        _shown(table, "Month"),
        hide_index=True,
        width="stretch",
        column_config=_right(table, "Month"),
    )
    download_buttons(table, f"plan-vs-actual-{label}-{measure}-months")


def show_measure_review(
    person_id: int, label: str, dimension: str, measure: str, line: str
) -> None:
    """Target vs achieved of a count measure by region, rep or product line."""
    if dimension not in measure_review.DIMENSIONS:
        st.info(
            "Segments and industries have no targets of their own on this measure; read it by "
            "region, rep or product line."
        )
        return
    try:
        rows = load_measure_review(person_id, label, dimension, measure, line)
    except DomainError as exc:
        st.info(str(exc))
        return
    part = measure_review.DIMENSIONS[dimension]
    unit = measure_review.MEASURES[measure]
    if not rows:
        st.info(
            f"Nothing to compare in {label}: no {unit.lower()} target and nothing achieved in "
            "your area. Targets on this measure are set on the Targets page."
        )
        return
    table = pd.DataFrame(
        {
            part: [r.label for r in rows],
            "Target": [_amount(r.target) for r in rows],
            "Achieved": [float(r.achieved) for r in rows],
            "Variance": [_amount(r.variance) for r in rows],
            "Variance %": [percent(r.variance_pct) for r in rows],
        }
    )
    st.dataframe(
        _shown(table, part), hide_index=True, width="stretch", column_config=_right(table, part)
    )
    st.caption(
        f"Variance = achieved − target, in {unit.lower()}. The target is the active plan's "
        "on this measure and product line; a dash means no active plan sets one there."
    )
    download_buttons(table, f"plan-vs-actual-{label}-{measure}-{dimension}")


def show_targets(targets: Sequence[MeasureTarget]) -> None:
    """The rep's count targets of the period beside the score: what they achieved of each."""
    if not targets:
        return
    columns = st.columns(len(targets))
    for column, item in zip(columns, targets):
        column.metric(
            TARGET_LABELS.get(item.measure, item.measure),
            f"{item.achieved:,.0f} of {item.target:,.0f}",
            help=f"Achieved against the target of the period: {percent(item.attainment)}.",
        )
    st.caption(
        "With a visits target, the activities part scores visits against it instead of "
        "activity points. With a units or deals-created target, the attainment part is the "
        "mean of the scores of every measure that has a target, revenue included."
    )
