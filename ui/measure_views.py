"""Targets on every measure, on the Attainment and Home pages: the measure and product-line
selectors, the measure view (the scope's row, its parts, a chart and a table with a download),
the working days a week's target covers, and Home's "Other targets" strip.

Every figure comes from core.progress.measure_views (rows of core.progress.measures)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import pandas as pd
import streamlit as st
from babel.dates import format_date
from pydantic import ValidationError

from core.errors import DomainError
from core.i18n import N_, _, babel_locale, is_chinese, period_name
from core.i18n import day as chinese_day
from core.models import COUNT_MEASURES, Measure, Period
from core.org.access import load_actor
from core.org.company import fiscal_start_month
from core.periods import parse_period, quarter_of
from core.plans.lines import product_lines
from core.progress import measure_views as core_views
from core.progress.measures import MeasureRow, stretch_levels
from ui import attainment_charts
from ui.charts import part_name
from ui.data import cached, read
from ui.downloads import download_buttons
from ui.format import money, percent, sentence_day

MEASURE_LABELS = {
    Measure.REVENUE: N_("Revenue"),
    Measure.UNITS: N_("Units"),
    Measure.VISITS: N_("Visits"),
    Measure.DEALS_CREATED: N_("Deals created"),
}
"""Measure names (constants: translated where shown, `_(MEASURE_LABELS[m])`, as the others)."""
ACHIEVED_LABELS = {
    Measure.REVENUE: N_("Won"),
    Measure.UNITS: N_("Units sold"),
    Measure.VISITS: N_("Visits made"),
    Measure.DEALS_CREATED: N_("Deals created"),
}
ACHIEVED_HELP = {
    Measure.REVENUE: N_("Revenue won in the period, in the company currency (split credit)."),
    Measure.UNITS: N_("The quantity of the deals won in the period."),
    Measure.VISITS: N_("Customer visits logged in the period, by the person who made them."),
    Measure.DEALS_CREATED: N_("Deals created in the period, by their owner."),
}
ALL_LINES = ""
PACE_RULE = N_(
    "Green: what was achieved is at least what the targets expect by today (past months in "
    "full, this month by day, a week by working day), the rule revenue is coloured by."
)


def short_day(value: date) -> str:
    """A day of a week: "Tue 01 Dec" in English, "12月1日周二" in Chinese."""
    if is_chinese():
        return format_date(value, "M月d日EEE", locale=babel_locale())
    return f"{value:%a %d %b}"


def month_year(value: date) -> str:
    """A month: "December 2026" in English, "2026年12月" in Chinese."""
    if is_chinese():
        return _("{year}-{month}").format(year=value.year, month=value.month)
    return f"{value:%B %Y}"


def level_text(level: Decimal) -> str:
    """A stretch level as people write it: 110, 112.5."""
    return f"{level.normalize():f}"


TAGS = ("deals", "activities", "targets", "org", "settings")
"""What a measure view reads: deals (units, deals created, revenue), activities (visits),
the plans, the region tree and the fiscal year."""


def no_plan_message(measure: Measure, line: str, fiscal_year: int) -> str:
    """Why a measure view has no targets, as one sentence."""
    if line and measure == Measure.REVENUE:
        text = _(
            "No revenue targets for the {line} line in FY{year}: a director plans them on Targets."
        )
    elif line:
        text = _(
            "No units targets for the {line} line in FY{year}: a director plans them on Targets."
        )
    elif measure == Measure.UNITS:
        text = _("No units targets for FY{year}: a director plans them on Targets.")
    elif measure == Measure.VISITS:
        text = _("No visits targets for FY{year}: a director plans them on Targets.")
    elif measure == Measure.DEALS_CREATED:
        text = _("No deals created targets for FY{year}: a director plans them on Targets.")
    else:
        text = _("No revenue targets for FY{year}: a director plans them on Targets.")
    return text.format(line=line, year=fiscal_year)


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


@cached(*TAGS, ttl=60, show_spinner=False)
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
        _("Measure"), list(Measure), key="att_measure", format_func=lambda m: _(MEASURE_LABELS[m])
    )
    measure = Measure(picked or Measure.REVENUE)
    line = line_col.selectbox(
        _("Product line"),
        [ALL_LINES, *lines],
        key="att_line",
        format_func=lambda v: v or _("All lines"),
        disabled=measure not in core_views.LINE_MEASURES or not lines,
        help=_(
            "Revenue and units can be planned and read by product line; visits and deals "
            "created cannot."
        ),
    )
    return measure, line if measure in core_views.LINE_MEASURES else ALL_LINES


def week_note(period: Period) -> None:
    """Which working days a week's target covers (nothing for longer periods)."""
    parts = core_views.week_parts(period)
    if not parts:
        return
    days = sum(p.working_days for p in parts)
    end = chinese_day(period.end) if is_chinese() else f"{period.end:%a %d %b %Y}"
    lines = [
        _(
            "{period} runs from {start} to {end}. Its target is the part of each month's target "
            "that falls on its {days} working days (Monday to Friday):"
        ).format(
            period=period_name(period.label), start=short_day(period.start), end=end, days=days
        )
    ]
    for part in parts:
        if part.working_days == 1:
            lines.append(
                _("- 1 of the {total} working days of {month} ({day}).").format(
                    total=part.month_working_days,
                    month=month_year(part.month),
                    day=short_day(part.first),
                )
            )
        else:
            lines.append(
                _("- {days} of the {total} working days of {month} ({first} to {last}).").format(
                    days=part.working_days,
                    total=part.month_working_days,
                    month=month_year(part.month),
                    first=short_day(part.first),
                    last=short_day(part.last),
                )
            )
    st.caption("\n".join(lines))


def _head_metrics(view: core_views.MeasureView) -> None:
    head, measure = view.head, view.measure
    first, second = st.columns(3), st.columns(3)
    first[0].metric(_("Target"), amount(measure, head.target), help=_("From the approved plan"))
    first[1].metric(
        _(ACHIEVED_LABELS[measure]),
        amount(measure, head.achieved),
        help=_(ACHIEVED_HELP[measure]),
    )
    first[2].metric(_("Attainment"), percent(head.attainment), help=_("Achieved ÷ target"))
    second[0].metric(
        _("Expected to date"),
        amount(measure, head.expected_to_date),
        help=_(
            "The targets of the months that have passed, and of this month by day (a week: "
            "by working day)."
        ),
    )
    delta = (
        amount(measure, head.achieved - head.expected_to_date)
        if head.expected_to_date is not None
        else None
    )
    second[1].metric(
        _("Pace"),
        percent(head.pace),
        delta=delta,
        help=_("Achieved ÷ expected to date. The delta is achieved minus expected to date."),
    )
    second[2].metric(
        _("Gap"),
        amount(measure, head.gap),
        help=_("Target − achieved; negative when it is beaten"),
    )
    if head.stretch:
        levels = ", ".join(
            f"{level_text(level)}%: {amount(measure, value)}"
            for level, value in zip(view.stretch_levels, head.stretch, strict=False)
        )
        st.caption(_("Stretch targets of the plan ({levels}).").format(levels=levels))


def _table(view: core_views.MeasureView, rows: list[MeasureRow], part: str) -> None:
    measure = view.measure
    stretch_names = [f"Stretch {level_text(level)}%" for level in view.stretch_levels]
    # the download keeps these English headers; the screen reads them translated
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
        "target": _("Target"),
        "achieved": _(ACHIEVED_LABELS[measure]),
        "attainment": _("Attainment"),
        "expected_to_date": _("Expected to date"),
        "pace": _("Pace"),
        "gap": _("Gap"),
        **{
            name: _("Stretch {level}%").format(level=level_text(level))
            for name, level in zip(stretch_names, view.stretch_levels, strict=True)
        },
    }
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            part.capitalize(): part_name(part),
            **{c: st.column_config.TextColumn(t, alignment="right") for c, t in right.items()},
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
        with st.spinner(_("Computing attainment…")):
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
    what = _(MEASURE_LABELS[measure]) if not line else f"{_(MEASURE_LABELS[measure])} · {line}"
    st.caption(
        _("{what} · {scope} · {period} ({start} – {end}) · as of {today}").format(
            what=what,
            scope=view.scope_label,
            period=period_name(period.label),
            start=sentence_day(period.start),
            end=sentence_day(period.end),
            today=sentence_day(today),
        )
    )
    week_note(period)
    if not view.has_plan:
        st.info(no_plan_message(measure, line, period.fiscal_year))
    elif head.target is None:
        st.info(
            _(
                "The approved plan has no target for {scope} in {period}, so attainment and pace "
                "cannot be computed."
            ).format(scope=view.scope_label, period=period_name(period.label))
        )
    _head_metrics(view)

    part = view.part_kind or "rep"
    if view.part_kinds:
        if st.session_state.get(parts_key) not in view.part_kinds:
            st.session_state[parts_key] = view.part_kind
        st.radio(
            _("Break down by"),
            view.part_kinds,
            key=parts_key,
            horizontal=True,
            format_func=part_name,
            disabled=len(view.part_kinds) == 1,
        )
    chart_rows = view.parts if view.part_kinds else [head]
    measure_name = _(MEASURE_LABELS[measure])
    if not view.part_kinds:
        st.subheader(_("Achieved vs target"))
    elif part == "region":
        st.subheader(_("{measure} by region").format(measure=measure_name))
    else:
        st.subheader(_("{measure} by rep").format(measure=measure_name))
    if not chart_rows or (
        all(r.target is None for r in chart_rows) and not any(r.achieved for r in chart_rows)
    ):
        nothing = (
            _("No region has a target or anything achieved on this measure in {period}.")
            if part == "region"
            else _("No rep has a target or anything achieved on this measure in {period}.")
        )
        st.info(nothing.format(period=period_name(period.label)))
    else:
        frame = pd.DataFrame([row.model_dump() for row in chart_rows])
        st.altair_chart(
            attainment_charts.measure_bars(frame, part=part, measure=measure_name),
            width="stretch",
        )
        if view.stretch_levels:
            legend = _(
                "Bars: achieved · black tick: target · blue tick: expected by today · brown "
                "ticks: the stretch targets"
            )
        else:
            legend = _("Bars: achieved · black tick: target · blue tick: expected by today")
        st.caption(legend)
        st.caption(_(PACE_RULE))
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
    st.subheader(_("Other targets"))
    columns = st.columns(len(rows))
    for column, row in zip(columns, rows, strict=True):
        measure = row.measure
        column.metric(
            _("{measure}: achieved / target").format(measure=_(MEASURE_LABELS[measure])),
            f"{amount(measure, row.achieved)} / {amount(measure, row.target)}",
            help=_(ACHIEVED_HELP[measure]),
        )
        column.caption(
            _("Attainment {attainment} · pace {pace}").format(
                attainment=percent(row.attainment), pace=percent(row.pace)
            )
        )
    st.caption(
        _(
            "This quarter, from the approved plans of each measure. Attainment & forecast reads "
            "them by region, rep and week."
        )
    )
