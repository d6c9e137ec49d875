"""Performance page, plan vs actual on any measure and product line (core.performance.
measure_review), and the measure targets beside a rep's scorecard."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd
import streamlit as st

from core.errors import DomainError
from core.i18n import N_, _, period_name
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
    "units": N_("Units sold"),
    "visits": N_("Customer visits"),
    "deals_created": N_("Deals created"),
}
MEASURE_NAMES = {
    "revenue": N_("Revenue"),
    "units": N_("Units"),
    "visits": N_("Visits"),
    "deals_created": N_("Deals created"),
}
"""How core.performance.measure_review.MEASURES reads on screen (translated where shown)."""
DIMENSION_NAMES = {
    "region": N_("Region"),
    "rep": N_("Rep"),
    "segment": N_("Segment"),
    "industry": N_("Industry"),
    "product_line": N_("Product line"),
}
"""How a plan vs actual breakdown is named on screen (the dimensions of core.performance)."""
HEADERS = (
    N_("Month"),
    N_("Target"),
    N_("Achieved"),
    N_("Variance"),
    N_("Target so far"),
    N_("Achieved so far"),
    N_("Variance %"),
)
"""The English column headers of the tables (and their downloads), translated on screen."""


def measure_name(measure: str) -> str:
    return _(MEASURE_NAMES.get(measure, measure_review.MEASURES.get(measure, measure)))


def dimension_name(dimension: str) -> str:
    return _(DIMENSION_NAMES.get(dimension, dimension))


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
            _("Measure"),
            options,
            format_func=measure_name,
            key=f"{key}_measure",
        )
    )
    lines = load_lines()
    if measure == "visits" or not lines:
        right.selectbox(
            _("Product line"),
            [ALL_LINES],
            format_func=lambda v: _("Every line"),
            disabled=True,
            key=f"{key}_line_none",
            help=_("Visits have no product line.") if measure == "visits" else None,
        )
        return measure, ALL_LINES
    line = right.selectbox(
        _("Product line"),
        [ALL_LINES, *lines],
        format_func=lambda v: v or _("Every line"),
        key=f"{key}_line",
    )
    return measure, str(line or ALL_LINES)


def choose_score_line(container) -> str:
    """Whose scores: the whole business (default) or one product line's deals and plans."""
    lines = load_lines()
    if not lines:
        return ALL_LINES
    line = container.selectbox(
        _("Scores of"),
        [ALL_LINES, *lines],
        format_func=lambda v: (
            _("Product line: {line}").format(line=v) if v else _("Every product line")
        ),
        key="perf_line",
        help=_(
            "A product line's scores count only its deals and read its own plans; "
            "activities and visits have no product line and count in full."
        ),
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
    """Column headers on screen: translated (the download keeps the English ones)."""
    return {
        first: _(first),
        **{
            c: st.column_config.TextColumn(_(c), alignment="right")
            for c in frame.columns
            if c != first
        },
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
        alt.Tooltip("label:N", title=_("Month")),
        alt.Tooltip("target:Q", title=_("Target"), format=",.0f"),
        alt.Tooltip("achieved:Q", title=_("Achieved"), format=",.0f"),
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
    unit = measure_name(measure)
    st.subheader(_("Month by month"))
    if all(m.target is None for m in months):
        st.caption(
            _(
                "Your area has no target of its own on this measure in this period: no active "
                "plan sets one, or the plan has rep targets only (read them by rep). The bars "
                "show what was achieved."
            )
        )
    frame = pd.DataFrame([m.model_dump() for m in months])
    st.altair_chart(months_chart(frame, unit), width="stretch")
    st.caption(_("Bars: what was achieved each month; dark marks: the month's target."))
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
            _(
                "Segments and industries have no targets of their own on this measure; read it "
                "by region, rep or product line."
            )
        )
        return
    try:
        rows = load_measure_review(person_id, label, dimension, measure, line)
    except DomainError as exc:
        st.info(str(exc))
        return
    part = measure_review.DIMENSIONS[dimension]
    if not rows:
        st.info(
            _(
                "Nothing to compare in {period}: no {measure} target and nothing achieved in "
                "your area. Targets on this measure are set on the Targets page."
            ).format(period=period_name(label), measure=measure_name(measure).lower())
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
        _shown(table, part),
        hide_index=True,
        width="stretch",
        column_config={**_right(table, part), part: dimension_name(dimension)},
    )
    st.caption(
        _(
            "Variance = achieved − target, in {measure}. The target is the active plan's on "
            "this measure and product line; a dash means no active plan sets one there."
        ).format(measure=measure_name(measure).lower())
    )
    download_buttons(table, f"plan-vs-actual-{label}-{measure}-{dimension}")


def show_targets(targets: Sequence[MeasureTarget]) -> None:
    """The rep's count targets of the period beside the score: what they achieved of each."""
    if not targets:
        return
    columns = st.columns(len(targets))
    for column, item in zip(columns, targets):
        column.metric(
            _(TARGET_LABELS.get(item.measure, item.measure)),
            _("{achieved} of {target}").format(
                achieved=f"{item.achieved:,.0f}", target=f"{item.target:,.0f}"
            ),
            help=_("Achieved against the target of the period: {attainment}.").format(
                attainment=percent(item.attainment)
            ),
        )
    st.caption(
        _(
            "With a visits target, the activities part scores visits against it instead of "
            "activity points. With a units or deals-created target, the attainment part is the "
            "mean of the scores of every measure that has a target, revenue included."
        )
    )
