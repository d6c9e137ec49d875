"""Targets on every measure, on the Attainment and Home pages: the measure and product-line
selectors, the measure view (the scope's row, its parts, a chart and a table with a download),
the working days a week's target covers, and Home's "Other targets" strip.

Every figure comes from core.progress.measure_views (rows of core.progress.measures)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from core.errors import DomainError
from core.models import COUNT_MEASURES, Measure, Period
from core.org.access import load_actor
from core.org.company import fiscal_start_month
from core.periods import parse_period, quarter_of
from core.plans.lines import product_lines
from core.progress import measure_views as core_views
from core.progress.measures import MeasureRow, stretch_levels
from ui import attainment_charts
from ui.data import cached, read
from ui.downloads import download_buttons
from ui.format import money, percent

MEASURE_LABELS = {
    Measure.REVENUE: "Revenue",
    Measure.UNITS: "Units",
    Measure.VISITS: "Visits",
    Measure.DEALS_CREATED: "Deals created",
}
ACHIEVED_LABELS = {
    Measure.REVENUE: "Won",
    Measure.UNITS: "Units sold",
    Measure.VISITS: "Visits made",
    Measure.DEALS_CREATED: "Deals created",
}
ACHIEVED_HELP = {
    Measure.REVENUE: "Revenue won in the period, in the company currency (split credit).",
    Measure.UNITS: "The quantity of the deals won in the period.",
    Measure.VISITS: "Customer visits logged in the period, by the person who made them.",
    Measure.DEALS_CREATED: "Deals created in the period, by their owner.",
}
ALL_LINES = ""
PACE_RULE = (
    "Green: what was achieved is at least what the targets expect by today (past months in "
    "full, this month by day, a week by working day), the rule revenue is coloured by."
)


def level_text(level: Decimal) -> str:
    """A stretch level as people write it: 110, 112.5."""
    return f"{level.normalize():f}"


TAGS = ("deals", "activities", "targets", "org", "settings")
"""What a measure view reads: deals (units, deals created, revenue), activities (visits),
the plans, the region tree and the fiscal year."""


def no_plan_message(measure: Measure, line: str, fiscal_year: int) -> str:
    """Why a measure view has no targets, as one sentence."""
    if line and measure == Measure.REVENUE:
        return (
            f"No revenue targets for the {line} line in FY{fiscal_year}: a director plans them "
            "on Targets."
        )
    if line:
        return (
            f"No units targets for the {line} line in FY{fiscal_year}: a director plans them "
            "on Targets."
        )
    return {
        Measure.UNITS: f"No units targets for FY{fiscal_year}: a director plans them on Targets.",
        Measure.VISITS: f"No visits targets for FY{fiscal_year}: a director plans them on Targets.",
        Measure.DEALS_CREATED: (
            f"No deals created targets for FY{fiscal_year}: a director plans them on Targets."
        ),
    }.get(measure, f"No revenue targets for FY{fiscal_year}: a director plans them on Targets.")


def amount(measure: Measure, value: Decimal | float | None) -> str:
    """Money for revenue; a whole number for a count; a dash when there is no figure."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if measure not in COUNT_MEASURES:
        return money(value)
    return f"{int(Decimal(str(value)).quantize(Decimal(1), ROUND_HALF_EVEN)):,}"


@cached("deals", "targets", "settings", ttl=300, show_spinner=False)
def line_choices() -> list[str]:
    """The product lines of the catalogue (an import of products clears "deals")."""
    with read() as session:
        return product_lines(session)


@cached("targets", "settings", ttl=300, show_spinner=False)
def revenue_stretch(fiscal_year: int) -> list[Decimal]:
    """The stretch levels of the year's active company revenue plan (percent)."""
    with read() as session:
        return stretch_levels(session, fiscal_year, Measure.REVENUE)


@cached(*TAGS, ttl=60, show_spinner="Computing attainment…")
def measure_data(
    person_id: int,
    scope_key: str,
    period_label: str,
    measure: str,
    product_line: str,
    part_kind: str | None,
    today: date,
) -> core_views.MeasureView:
    with read() as session:
        actor = load_actor(session, person_id)
        period = parse_period(period_label, fiscal_start_month(session))
        return core_views.measure_view(
            session,
            actor,
            scope_key,
            period,
            measure,
            product_line=product_line,
            part_kind=part_kind,
            today=today,
        )


@cached(*TAGS, ttl=60, show_spinner=False)
def other_rows(person_id: int, today: date) -> list[MeasureRow]:
    with read() as session:
        actor = load_actor(session, person_id)
        period = quarter_of(today, fiscal_start_month(session))
        return core_views.other_targets(session, actor, period, today=today)


def measure_filters() -> tuple[Measure, str]:
    """The "Measure" and "Product line" boxes (the line only for revenue and units)."""
    lines = line_choices()
    if st.session_state.get("att_measure") not in list(Measure):
        st.session_state["att_measure"] = Measure.REVENUE
    measure = Measure(st.session_state["att_measure"])
    by_line = measure in core_views.LINE_MEASURES
    if not by_line or st.session_state.get("att_line") not in [ALL_LINES, *lines]:
        st.session_state["att_line"] = ALL_LINES
    measure_col, line_col = st.columns([1, 2])
    picked = measure_col.selectbox(
        "Measure", list(Measure), key="att_measure", format_func=lambda m: MEASURE_LABELS[m]
    )
    measure = Measure(picked or Measure.REVENUE)
    line = line_col.selectbox(
        "Product line",
        [ALL_LINES, *lines],
        key="att_line",
        format_func=lambda v: v or "All lines",
        disabled=measure not in core_views.LINE_MEASURES or not lines,
        help="Revenue and units can be planned and read by product line; visits and deals "
        "created cannot.",
    )
    return measure, line if measure in core_views.LINE_MEASURES else ALL_LINES


def week_note(period: Period) -> None:
    """Which working days a week's target covers (nothing for longer periods)."""
    parts = core_views.week_parts(period)
    if not parts:
        return
    days = sum(p.working_days for p in parts)
    lines = [
        f"{period.label} runs from {period.start:%a %d %b} to {period.end:%a %d %b %Y}. "
        f"Its target is the part of each month's target that falls on its {days} working "
        "days (Monday to Friday):"
    ]
    for part in parts:
        if part.working_days == 1:
            lines.append(
                f"- 1 of the {part.month_working_days} working days of {part.month:%B %Y} "
                f"({part.first:%a %d %b})."
            )
        else:
            lines.append(
                f"- {part.working_days} of the {part.month_working_days} working days of "
                f"{part.month:%B %Y} ({part.first:%a %d %b} to {part.last:%a %d %b})."
            )
    st.caption("\n".join(lines))


def _head_metrics(view: core_views.MeasureView) -> None:
    head, measure = view.head, view.measure
    first, second = st.columns(3), st.columns(3)
    first[0].metric("Target", amount(measure, head.target), help="From the approved plan")
    first[1].metric(
        ACHIEVED_LABELS[measure], amount(measure, head.achieved), help=ACHIEVED_HELP[measure]
    )
    first[2].metric("Attainment", percent(head.attainment), help="Achieved ÷ target")
    second[0].metric(
        "Expected to date",
        amount(measure, head.expected_to_date),
        help="The targets of the months that have passed, and of this month by day (a week: "
        "by working day).",
    )
    delta = (
        amount(measure, head.achieved - head.expected_to_date)
        if head.expected_to_date is not None
        else None
    )
    second[1].metric(
        "Pace",
        percent(head.pace),
        delta=delta,
        help="Achieved ÷ expected to date. The delta is achieved minus expected to date.",
    )
    second[2].metric(
        "Gap", amount(measure, head.gap), help="Target − achieved; negative when it is beaten"
    )
    if head.stretch:
        levels = ", ".join(
            f"{level_text(level)}%: {amount(measure, value)}"
            for level, value in zip(view.stretch_levels, head.stretch, strict=False)
        )
        st.caption(f"Stretch targets of the plan ({levels}).")


def _table(view: core_views.MeasureView, rows: list[MeasureRow], part: str) -> None:
    measure = view.measure
    stretch_names = [f"Stretch {level_text(level)}%" for level in view.stretch_levels]
    exact = pd.DataFrame(
        [
            {
                part.capitalize(): row.label,
                "target": row.target,
                "achieved": row.achieved,
                "attainment": row.attainment,
                "expected_to_date": row.expected_to_date,
                "pace": row.pace,
                "gap": row.gap,
                **{
                    name: (row.stretch[i] if i < len(row.stretch) else None)
                    for i, name in enumerate(stretch_names)
                },
            }
            for row in rows
        ]
    )
    shown = exact.copy()
    for column in ["target", "achieved", "expected_to_date", "gap", *stretch_names]:
        shown[column] = [amount(measure, v) for v in exact[column]]
    for column in ["attainment", "pace"]:
        shown[column] = [percent(v) for v in exact[column]]
    right = {
        "target": "Target",
        "achieved": ACHIEVED_LABELS[measure],
        "attainment": "Attainment",
        "expected_to_date": "Expected to date",
        "pace": "Pace",
        "gap": "Gap",
        **{name: name for name in stretch_names},
    }
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            c: st.column_config.TextColumn(t, alignment="right") for c, t in right.items()
        },
    )
    name = f"{measure.value}-{view.product_line or 'all'}-{view.period.label}".replace(" ", "_")
    download_buttons(exact, f"attainment-{name}", key=f"att_measure_{name}")


def measure_section(
    person_id: int, scope_key: str, period_label: str, measure: Measure, line: str, today: date
) -> None:
    """The attainment of the scope on a measure (or product line): row, parts, chart, table."""
    parts_key = "att_measure_parts"
    try:
        view = measure_data(
            person_id,
            scope_key,
            period_label,
            measure.value,
            line,
            st.session_state.get(parts_key),
            today,
        )
    except (DomainError, ValidationError) as exc:
        st.error(str(exc))
        return
    period, head = view.period, view.head
    what = MEASURE_LABELS[measure] if not line else f"{MEASURE_LABELS[measure]} · {line}"
    st.caption(
        f"{what} · {view.scope_label} · {period.label} ({period.start:%d %b %Y} – "
        f"{period.end:%d %b %Y}) · as of {today:%d %b %Y}"
    )
    week_note(period)
    if not view.has_plan:
        st.info(no_plan_message(measure, line, period.fiscal_year))
    elif head.target is None:
        st.info(
            f"The approved plan has no target for {view.scope_label} in {period.label}, so "
            "attainment and pace cannot be computed."
        )
    _head_metrics(view)

    part = view.part_kind or "rep"
    if view.part_kinds:
        if st.session_state.get(parts_key) not in view.part_kinds:
            st.session_state[parts_key] = view.part_kind
        st.radio(
            "Break down by",
            view.part_kinds,
            key=parts_key,
            horizontal=True,
            format_func=lambda k: {"region": "Region", "rep": "Rep"}[k],
            disabled=len(view.part_kinds) == 1,
        )
    chart_rows = view.parts if view.part_kinds else [head]
    st.subheader(
        f"{MEASURE_LABELS[measure]} by {part}" if view.part_kinds else "Achieved vs target"
    )
    if not chart_rows or (
        all(r.target is None for r in chart_rows) and not any(r.achieved for r in chart_rows)
    ):
        st.info(f"No {part} has a target or anything achieved on this measure in {period.label}.")
    else:
        frame = pd.DataFrame([row.model_dump() for row in chart_rows])
        st.altair_chart(
            attainment_charts.measure_bars(frame, part=part, measure=MEASURE_LABELS[measure]),
            width="stretch",
        )
        legend = "Bars: achieved · black tick: target · blue tick: expected by today"
        if view.stretch_levels:
            legend += " · brown ticks: the stretch targets"
        st.caption(legend)
        st.caption(PACE_RULE)
    _table(view, [head, *view.parts], part)


def other_targets_strip(person_id: int, today: date) -> None:
    """Home: achieved / target and pace on each count measure planned this year (nothing
    when there is none)."""
    try:
        rows = other_rows(person_id, today)
    except (DomainError, ValidationError) as exc:
        st.info(str(exc))
        return
    if not rows:
        return
    st.subheader("Other targets")
    columns = st.columns(len(rows))
    for column, row in zip(columns, rows, strict=True):
        measure = row.measure
        column.metric(
            f"{MEASURE_LABELS[measure]}: achieved / target",
            f"{amount(measure, row.achieved)} / {amount(measure, row.target)}",
            help=ACHIEVED_HELP[measure],
        )
        column.caption(f"Attainment {percent(row.attainment)} · pace {percent(row.pace)}")
    st.caption(
        "This quarter, from the approved plans of each measure. Attainment & forecast reads "
        "them by region, rep and week."
    )
