"""Attainment & forecast: where a scope stands against target in a period, whether it is on
pace, what the pipeline can still bring, and the chance of making the number."""

from datetime import date

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from core import clock
from core.errors import DomainError
from core.i18n import N_, _, ngettext, period_name
from core.models import Measure
from core.org.access import load_actor
from core.org.company import fiscal_start_month
from core.periods import parse_period, period_choices
from core.progress import scopes as scope_rules
from core.progress import views
from core.progress.forecast import probability_reason
from core.progress.snapshot_views import forecast_history
from ui import attainment_charts, charts, measure_views, not_priced
from ui.auth import current_actor
from ui.data import cached, read
from ui.downloads import download_buttons
from ui.format import as_text, figures_as_text, money, percent, sentence_day

PERIOD_NOTES = (
    N_("this quarter"),
    N_("this month"),
    N_("this fiscal year"),
    N_("last quarter"),
    N_("next quarter"),
    N_("last month"),
    N_("last fiscal year"),
    N_("this week"),
    N_("last week"),
)
# The notes core.periods.period_choices puts beside a period (translated where shown).
HEADERS = (
    N_("Region"),
    N_("Rep"),
    N_("Target"),
    N_("Won"),
    N_("Attainment"),
    N_("Expected to date"),
    N_("Pace"),
    N_("Gap"),
    N_("Run-rate projection"),
    N_("Open pipeline"),
    N_("Weighted pipeline"),
    N_("Commit"),
    N_("Best case"),
    N_("Forecast"),
    N_("Probability"),
    N_("P10 attainment"),
    N_("P50 attainment"),
    N_("P90 attainment"),
)
# Headers of the drill-down (English in its download), translated on screen.


@cached("deals", "targets", "org", "settings", ttl=60, show_spinner=False)
def choices(person_id: int, today: date) -> tuple[list, list]:
    with read() as session:
        actor = load_actor(session, person_id)
        periods = period_choices(today, fiscal_start_month(session))
        return periods, scope_rules.scope_choices(session, actor)


@cached("deals", "targets", "org", "settings", ttl=60, show_spinner=False)
def view(person_id: int, scope_key: str, period_label: str, today: date):
    with read() as session:
        actor = load_actor(session, person_id)
        period = parse_period(period_label, fiscal_start_month(session))
        return views.attainment_view(session, actor, scope_key, period, today=today)


@cached("deals", "targets", "org", "settings", ttl=60, show_spinner=False)
def deals_of(person_id: int, rep_id: int, period_label: str) -> pd.DataFrame:
    with read() as session:
        actor = load_actor(session, person_id)
        period = parse_period(period_label, fiscal_start_month(session))
        return pd.DataFrame(views.rep_deals(session, actor, rep_id, period))


def deals_table(frame: pd.DataFrame, name: str) -> None:
    if frame.empty:
        st.info(_("No deals won or expected to close in this period."))
        return
    # what a rep is credited first, then the deal as entered, then its stage
    table = frame[
        [
            "deal",
            "customer",
            "status",
            "amount",
            "share",
            "deal_amount",
            "currency",
            "close_date",
            "stage",
            "forecast_category",
            "stage_probability",
            "weighted",
        ]
    ]
    shown = table.assign(
        # a deal not priced has no amount in the company currency: it reads "–"
        amount=as_text(table["amount"], money),
        weighted=as_text(table["weighted"], money),
        deal_amount=table["deal_amount"].map(money),
        share=table["share"].map(lambda v: f"{v:.2f}%".replace(".00%", "%")),
    )
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "deal": _("Deal"),
            "customer": _("Customer"),
            "stage": _("Stage"),
            "status": _("Status"),
            "forecast_category": _("Forecast category"),
            "deal_amount": st.column_config.TextColumn(_("Deal amount"), alignment="right"),
            "currency": _("Currency"),
            "share": st.column_config.TextColumn(
                _("Credit share"), alignment="right", help=_("This rep's share of a split deal")
            ),
            "amount": st.column_config.TextColumn(
                _("Credited amount"), alignment="right", help=_("In the company currency")
            ),
            "weighted": st.column_config.TextColumn(_("Weighted"), alignment="right"),
            "stage_probability": st.column_config.NumberColumn(
                _("Stage probability"), format="%.2f"
            ),
            "close_date": st.column_config.DateColumn(_("Closed / expected")),
        },
    )
    st.caption(
        _(
            "Deal amount is in the deal's currency; the credited amount is this rep's share of "
            "it in the company currency, so the won deals add up to the rep's won figure."
        )
    )
    download_buttons(table, name)


@cached("deals", "targets", "org", "settings", ttl=60, show_spinner=False)
def snapshot_history(person_id: int, scope_key: str, period_label: str) -> list:
    with read() as session:
        actor = load_actor(session, person_id)
        period = parse_period(period_label, fiscal_start_month(session))
        return forecast_history(session, actor, scope_key, period)


def forecast_as_of_section(person_id: int, scope_key: str, period_label: str, head) -> None:
    """ "Forecast as of": a frozen weekly snapshot of this scope and period beside today's."""
    st.subheader(_("Forecast as of"))
    try:
        history = snapshot_history(person_id, scope_key, period_label)
    except (DomainError, ValidationError) as exc:
        st.info(str(exc))
        return
    if not history:
        st.info(
            _(
                "No snapshot of this forecast yet. Snapshots are taken for the company, each "
                "region and each rep at the start of every period and every week."
            )
        )
        return
    by_day = {snapshot.taken_on: snapshot for snapshot in history}
    day = st.selectbox(
        _("Snapshot taken on"),
        list(by_day),
        format_func=lambda d: (
            _("{day} (start of the period)").format(day=sentence_day(d))
            if by_day[d].at_period_start
            else sentence_day(d)
        ),
        key=f"att_as_of_{scope_key}_{period_label}",
    )
    frozen = by_day[day]
    figures = [
        (_("Won"), money(frozen.won), money(head.won)),
        (_("Commit"), money(frozen.commit), money(head.commit)),
        (_("Best case"), money(frozen.best_case), money(head.best_case)),
        (_("Pipeline"), money(frozen.pipeline), money(head.pipeline)),
        (_("Weighted pipeline"), money(frozen.weighted), money(head.weighted_pipeline)),
        (_("Forecast"), money(frozen.forecast), money(head.forecast)),
        (_("Probability"), percent(frozen.probability), percent(head.probability)),
    ]
    st.dataframe(
        pd.DataFrame(figures, columns=["figure", "as_of", "today"]),
        hide_index=True,
        width="stretch",
        column_config={
            "figure": _("Figure"),
            "as_of": _("As of {day}").format(day=sentence_day(day)),
            "today": _("Today"),
        },
    )
    st.caption(_("Frozen on the day the snapshot was taken; later changes do not alter it."))


actor = current_actor()
today = clock.today()
periods, scopes = choices(actor.id, today)
period_labels = [label for label, __ in periods]
period_notes = dict(periods)
scope_labels = dict(scopes)
scope_keys = [key for key, __ in scopes]
if st.session_state.get("att_scope") not in scope_keys:
    st.session_state["att_scope"] = (
        scope_keys[0]
        if actor.sees_everything
        else ("default" if "default" in scope_keys else scope_keys[0])
    )
if not st.session_state.get("att_period"):
    st.session_state["att_period"] = period_labels[0]
typed = st.session_state["att_period"]  # a period typed in the box, such as 2026-W49
if typed not in period_labels:
    period_labels.append(typed)

st.title(_("Attainment & forecast"))
period_col, scope_col = st.columns([1, 2])
period_label = period_col.selectbox(
    _("Period"),
    period_labels,
    key="att_period",
    format_func=lambda p: (
        _("{period} ({note})").format(period=period_name(p), note=_(period_notes[p]))
        if period_notes.get(p)
        else period_name(p)
    ),
    accept_new_options=True,
    help=_(
        "Pick a period or type one: a week (2026-W49), a month (2026-03), a quarter "
        "(2026Q1) or a fiscal year (FY2026)."
    ),
)
scope_key = scope_col.selectbox(
    _("Scope"),
    scope_keys,
    key="att_scope",
    format_func=scope_labels.get,
    disabled=len(scope_keys) == 1,
)
measure, product_line = measure_views.measure_filters()
if measure != Measure.REVENUE or product_line:
    measure_views.measure_section(actor.id, scope_key, period_label, measure, product_line, today)
    st.stop()

try:
    with st.spinner(_("Computing attainment and forecast…")):
        data = view(actor.id, scope_key, period_label, today)
except (DomainError, ValidationError) as exc:
    st.error(str(exc))
    st.stop()

head, period = data.head, data.period
st.caption(
    _("{scope} · {period} ({start} – {end}) · as of {today}").format(
        scope=data.scope_label,
        period=period_name(period.label),
        start=sentence_day(period.start),
        end=sentence_day(period.end),
        today=sentence_day(today),
    )
)
measure_views.week_note(period)
stretch = measure_views.revenue_stretch(period.fiscal_year)

first, second, third = st.columns(4), st.columns(4), st.columns(4)
first[0].metric(
    _("Target"), money(head.target), help=_("Sum of the approved plan's monthly targets")
)
first[1].metric(
    _("Won"),
    money(head.won),
    help=ngettext(
        "{n} deal won in the period", "{n} deals won in the period", head.won_deals
    ).format(n=head.won_deals),
)
first[2].metric(_("Attainment"), percent(head.attainment), help=_("Won ÷ target"))
first[3].metric(
    _("Pace"),
    percent(head.pace),
    delta=money(head.won - head.expected_to_date) if head.expected_to_date is not None else None,
    help=_(
        "Won ÷ expected to date: the targets of the months that have passed, and of this "
        "month by day. The delta is won minus expected to date."
    ),
)
second[0].metric(
    _("Gap"), money(head.gap), help=_("Target − won; negative when the target is beaten")
)
second[1].metric(
    _("Forecast"),
    money(head.forecast),
    help=_("Won + weighted pipeline; {share} of target").format(
        share=percent(head.forecast_attainment)
    ),
)
second[2].metric(
    _("Probability"),
    percent(head.probability),
    help=_(
        "Chance of reaching the target: Monte Carlo over the open deals of the period, "
        "each won with its stage's calibrated probability (see below)."
    ),
)
second[3].metric(
    _("Coverage"),
    f"{head.coverage:.2f}×" if head.coverage is not None else "–",
    help=_("Open pipeline ÷ remaining gap (none when the target is already made)"),
)
if reason := probability_reason(head.probability, head.gap, head.open_pipeline):
    second[2].caption(reason)
third[0].metric(_("Expected to date"), money(head.expected_to_date))
third[1].metric(
    _("Run-rate projection"), money(head.run_rate), help=_("Won so far ÷ days elapsed × days")
)
third[2].metric(
    _("Open pipeline"),
    money(head.open_pipeline),
    help=ngettext(
        "{n} open deal expected to close between today and the end of the period. A deal "
        "whose expected close has passed is overdue and counts in no period.",
        "{n} open deals expected to close between today and the end of the period. A deal "
        "whose expected close has passed is overdue and counts in no period.",
        head.open_deals,
    ).format(n=head.open_deals),
)
third[3].metric(
    _("Weighted pipeline"),
    money(head.weighted_pipeline),
    help=_("Open amount × the stage's configured probability"),
)

not_priced.mark(first[1], data.not_priced.won)
not_priced.mark(third[2], data.not_priced.open_pipeline)
not_priced.show_budget(data.budget)
not_priced.show_beside(data.not_priced)

if head.ended:
    st.info(
        _(
            "{period} has ended: these are its results. An ended period has no open "
            "pipeline and no forecast; the forecast it had is kept in its snapshots below."
        ).format(period=period_name(period.label))
    )
elif head.overdue_deals:
    st.warning(
        ngettext(
            "{n} open deal worth {amount} is overdue: its expected close has passed, so it "
            "counts in no period's pipeline until its owner sets a new expected close (My deals "
            "lists it first).",
            "{n} open deals worth {amount} are overdue: their expected close has passed, so "
            "they count in no period's pipeline until their owner sets a new expected close (My "
            "deals lists them first).",
            head.overdue_deals,
        ).format(n=head.overdue_deals, amount=money(head.overdue))
    )
if head.target is None:
    st.info(
        _(
            "No approved target plan covers {period} for {scope}, so attainment, pace and "
            "probability cannot be computed. A director approves the plan on the Targets page."
        ).format(period=period_name(period.label), scope=data.scope_label)
    )

st.altair_chart(
    attainment_charts.forecast_buildup(
        head.won, head.commit, head.best_case, head.pipeline, head.target, stretch=stretch
    ),
    width="stretch",
)
st.caption(
    _(
        "Won, then open deals of the period by forecast category (omitted ones left out); "
        "red mark: the target. Brown marks: the plan's stretch targets."
    )
    if stretch and head.target
    else _(
        "Won, then open deals of the period by forecast category (omitted ones left out); "
        "red mark: the target."
    )
)

with st.expander(_("What the forecast rests on"), expanded=False):
    if head.tail_deals:
        simulated = _(
            "- **{trials} trials** with a fixed seed; {deals} open deals simulated one by one, "
            "{tail} smaller ones as one normal total (same mean and spread)."
        )
    else:
        simulated = _(
            "- **{trials} trials** with a fixed seed; {deals} open deals simulated one by one."
        )
    st.markdown(
        simulated.format(
            trials=f"{data.trials:,}", deals=head.simulated_deals, tail=head.tail_deals
        )
        + "\n"
        + _(
            "- Each open deal is won with its stage's probability **calibrated from the "
            "stage history** of the most recent closed deals (share of deals that entered the "
            "stage and were won, shrunk towards the configured probability when history is thin)."
        )
        + "\n"
        + _("- Final attainment: P10 **{p10}**, P50 **{p50}**, P90 **{p90}**.").format(
            p10=percent(head.p10), p50=percent(head.p50), p90=percent(head.p90)
        )
        + "\n"
        + _(
            "- Forecast categories of the open pipeline: commit **{commit}**, best case "
            "**{best_case}**, pipeline **{pipeline}**, omitted **{omitted}**."
        ).format(
            commit=money(head.commit),
            best_case=money(head.best_case),
            pipeline=money(head.pipeline),
            omitted=money(head.omitted),
        )
    )
    calibration = pd.DataFrame([c.model_dump() for c in data.calibration])
    if not calibration.empty:
        st.dataframe(
            calibration.drop(columns=["stage_id"]),
            hide_index=True,
            width="stretch",
            column_config={
                "stage": _("Stage"),
                "configured": st.column_config.NumberColumn(_("Configured"), format="%.2f"),
                "entered": st.column_config.NumberColumn(_("Closed deals that entered")),
                "won": st.column_config.NumberColumn(_("Of which won")),
                "calibrated": st.column_config.NumberColumn(_("Calibrated"), format="%.2f"),
            },
        )

parts = pd.DataFrame([row.model_dump() for row in data.parts])
part = data.part_kind or "rep"
by_region = part == "region"
if data.part_kind:
    st.subheader(_("Attainment by region") if by_region else _("Attainment by rep"))
    if parts.empty:
        nothing = (
            _("No region has a target, a win or open pipeline in {period}.")
            if by_region
            else _("No rep has a target, a win or open pipeline in {period}.")
        )
        st.info(nothing.format(period=period_name(period.label)))
    else:
        st.altair_chart(
            attainment_charts.attainment_bars(parts, part=part, stretch=stretch), width="stretch"
        )
        st.caption(
            _(
                "Bars: attainment · black tick: expected by today · red line: 100% of target · "
                "brown lines: the plan's stretch levels"
            )
            if stretch
            else _("Bars: attainment · black tick: expected by today · red line: 100% of target")
        )
        st.caption(_(charts.PACE_RULE))

st.subheader(_("Won vs target through the period"))
cumulative = pd.DataFrame(data.cumulative)
st.altair_chart(attainment_charts.cumulative_won_vs_target(cumulative), width="stretch")

if data.heatmap:
    st.subheader(_("Monthly attainment by region") if by_region else _("Monthly attainment by rep"))
    st.altair_chart(
        attainment_charts.attainment_heatmap(pd.DataFrame(data.heatmap), part=part),
        width="stretch",
    )

forecast_as_of_section(actor.id, scope_key, period_label, head)

st.subheader(_("Drill-down"))
if not data.part_kind:
    st.markdown(
        _("**Deals of {name}** won or expected to close in {period}").format(
            name=data.scope_label, period=period_name(period.label)
        )
    )
    rep_id = int(head.key.removeprefix("rep:"))
    deals_table(deals_of(actor.id, rep_id, period.label), f"deals-{period.label}")
elif parts.empty:
    st.info(_("Nothing to drill into."))
else:
    columns = [
        "label",
        "target",
        "won",
        "attainment",
        "expected_to_date",
        "pace",
        "gap",
        "run_rate",
        "open_pipeline",
        "weighted_pipeline",
        "commit",
        "best_case",
        "forecast",
        "coverage",
        "probability",
        "p10",
        "p50",
        "p90",
    ]
    table = pd.concat([pd.DataFrame([head.model_dump()]), parts])[columns]
    table = table.rename(columns={"label": part.capitalize()})
    exact = table.copy()  # Decimals: the screen rounds them as the metrics above do
    table[columns[1:]] = table[columns[1:]].apply(pd.to_numeric)
    money_columns = {
        "target": _("Target"),
        "won": _("Won"),
        "expected_to_date": _("Expected to date"),
        "gap": _("Gap"),
        "run_rate": _("Run-rate projection"),
        "open_pipeline": _("Open pipeline"),
        "weighted_pipeline": _("Weighted pipeline"),
        "commit": _("Commit"),
        "best_case": _("Best case"),
        "forecast": _("Forecast"),
    }
    ratio_columns = {
        "attainment": _("Attainment"),
        "pace": _("Pace"),
        "probability": _("Probability"),
        "p10": _("P10 attainment"),
        "p50": _("P50 attainment"),
        "p90": _("P90 attainment"),
    }
    shown = figures_as_text(
        exact, amounts=money_columns, ratios=ratio_columns, multiples=["coverage"]
    )
    reasons = [
        probability_reason(row.probability, row.gap, row.open_pipeline)
        for row in [head, *data.parts]
    ]
    if any(reasons):
        shown["probability_note"] = [r or "" for r in reasons]
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            **{
                c: st.column_config.TextColumn(t, alignment="right")
                for c, t in {**money_columns, **ratio_columns}.items()
            },
            part.capitalize(): charts.part_name(part),
            "coverage": st.column_config.TextColumn(_("Coverage"), alignment="right"),
            "probability_note": _("Why the probability is nil"),
        },
    )
    download_buttons(table, f"attainment-{period.label}")
    options = {row.key: row.label for row in data.parts}
    drill_key = f"att_drill_{scope_key}_{period.label}"

    def drill_into_region() -> None:
        """Picking a region makes it the scope (the same as choosing it above)."""
        picked = st.session_state.get(drill_key)
        if picked and picked.startswith("region:"):
            st.session_state["att_scope"] = picked

    picked = st.selectbox(
        _("Drill into a region") if by_region else _("Drill into a rep"),
        [None, *options],
        format_func=lambda k: (
            (_("Choose a region…") if by_region else _("Choose a rep…"))
            if k is None
            else options[k]
        ),
        key=drill_key,
        on_change=drill_into_region,
    )
    if picked and picked.startswith("rep:"):
        st.markdown(
            _("**Deals of {name}** in {period}").format(
                name=options[picked], period=period_name(period.label)
            )
        )
        deals_table(
            deals_of(actor.id, int(picked[4:]), period.label), f"deals-{picked[4:]}-{period.label}"
        )
