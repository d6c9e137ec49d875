"""Attainment & forecast: where a scope stands against target in a period, whether it is on
pace, what the pipeline can still bring, and the chance of making the number."""

from datetime import date

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from core.errors import DomainError
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
from ui.format import as_text, figures_as_text, money, percent


@cached("deals", "targets", "org", "settings", ttl=60, show_spinner=False)
def choices(person_id: int, today: date) -> tuple[list, list]:
    with read() as session:
        actor = load_actor(session, person_id)
        periods = period_choices(today, fiscal_start_month(session))
        return periods, scope_rules.scope_choices(session, actor)


@cached(
    "deals", "targets", "org", "settings", ttl=60, show_spinner="Computing attainment and forecast…"
)
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
        st.info("No deals won or expected to close in this period.")
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
            "deal": "Deal",
            "customer": "Customer",
            "stage": "Stage",
            "status": "Status",
            "forecast_category": "Forecast category",
            "deal_amount": st.column_config.TextColumn("Deal amount", alignment="right"),
            "currency": "Currency",
            "share": st.column_config.TextColumn(
                "Credit share", alignment="right", help="This rep's share of a split deal"
            ),
            "amount": st.column_config.TextColumn(
                "Credited amount", alignment="right", help="In the company currency"
            ),
            "weighted": st.column_config.TextColumn("Weighted", alignment="right"),
            "stage_probability": st.column_config.NumberColumn("Stage probability", format="%.2f"),
            "close_date": st.column_config.DateColumn("Closed / expected"),
        },
    )
    st.caption(
        "Deal amount is in the deal's currency; the credited amount is this rep's share of it "
        "in the company currency, so the won deals add up to the rep's won figure."
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
    st.subheader("Forecast as of")
    try:
        history = snapshot_history(person_id, scope_key, period_label)
    except (DomainError, ValidationError) as exc:
        st.info(str(exc))
        return
    if not history:
        st.info(
            "No snapshot of this forecast yet. Snapshots are taken for the company, each region "
            "and each rep at the start of every period and every week."
        )
        return
    by_day = {snapshot.taken_on: snapshot for snapshot in history}
    day = st.selectbox(
        "Snapshot taken on",
        list(by_day),
        format_func=lambda d: (
            f"{d:%d %b %Y} (start of the period)" if by_day[d].at_period_start else f"{d:%d %b %Y}"
        ),
        key=f"att_as_of_{scope_key}_{period_label}",
    )
    frozen = by_day[day]
    figures = [
        ("Won", money(frozen.won), money(head.won)),
        ("Commit", money(frozen.commit), money(head.commit)),
        ("Best case", money(frozen.best_case), money(head.best_case)),
        ("Pipeline", money(frozen.pipeline), money(head.pipeline)),
        ("Weighted pipeline", money(frozen.weighted), money(head.weighted_pipeline)),
        ("Forecast", money(frozen.forecast), money(head.forecast)),
        ("Probability", percent(frozen.probability), percent(head.probability)),
    ]
    st.dataframe(
        pd.DataFrame(figures, columns=["figure", "as_of", "today"]),
        hide_index=True,
        width="stretch",
        column_config={
            "figure": "Figure",
            "as_of": f"As of {day:%d %b %Y}",
            "today": "Today",
        },
    )
    st.caption("Frozen on the day the snapshot was taken; later changes do not alter it.")


actor = current_actor()
today = date.today()
periods, scopes = choices(actor.id, today)
period_labels = [label for label, _ in periods]
period_notes = dict(periods)
scope_labels = dict(scopes)
scope_keys = [key for key, _ in scopes]
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

st.title("Attainment & forecast")
period_col, scope_col = st.columns([1, 2])
period_label = period_col.selectbox(
    "Period",
    period_labels,
    key="att_period",
    format_func=lambda p: f"{p} ({period_notes[p]})" if period_notes.get(p) else p,
    accept_new_options=True,
    help="Pick a period or type one: a week (2026-W49), a month (2026-03), a quarter "
    "(2026Q1) or a fiscal year (FY2026).",
)
scope_key = scope_col.selectbox(
    "Scope",
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
    data = view(actor.id, scope_key, period_label, today)
except (DomainError, ValidationError) as exc:
    st.error(str(exc))
    st.stop()

head, period = data.head, data.period
st.caption(
    f"{data.scope_label} · {period.label} ({period.start:%d %b %Y} – {period.end:%d %b %Y}) · "
    f"as of {today:%d %b %Y}"
)
measure_views.week_note(period)
stretch = measure_views.revenue_stretch(period.fiscal_year)

first, second, third = st.columns(4), st.columns(4), st.columns(4)
first[0].metric("Target", money(head.target), help="Sum of the approved plan's monthly targets")
first[1].metric("Won", money(head.won), help=f"{head.won_deals} deals won in the period")
first[2].metric("Attainment", percent(head.attainment), help="Won ÷ target")
first[3].metric(
    "Pace",
    percent(head.pace),
    delta=money(head.won - head.expected_to_date) if head.expected_to_date is not None else None,
    help="Won ÷ expected to date: the targets of the months that have passed, and of this "
    "month by day. The delta is won minus expected to date.",
)
second[0].metric("Gap", money(head.gap), help="Target − won; negative when the target is beaten")
second[1].metric(
    "Forecast",
    money(head.forecast),
    help=f"Won + weighted pipeline; {percent(head.forecast_attainment)} of target",
)
second[2].metric(
    "Probability",
    percent(head.probability),
    help="Chance of reaching the target: Monte Carlo over the open deals of the period, "
    "each won with its stage's calibrated probability (see below).",
)
second[3].metric(
    "Coverage",
    f"{head.coverage:.2f}×" if head.coverage is not None else "–",
    help="Open pipeline ÷ remaining gap (none when the target is already made)",
)
if reason := probability_reason(head.probability, head.gap, head.open_pipeline):
    second[2].caption(reason)
third[0].metric("Expected to date", money(head.expected_to_date))
third[1].metric(
    "Run-rate projection", money(head.run_rate), help="Won so far ÷ days elapsed × days"
)
third[2].metric(
    "Open pipeline",
    money(head.open_pipeline),
    help=f"{head.open_deals} open deals expected to close between today and the end of the "
    "period. A deal whose expected close has passed is overdue and counts in no period.",
)
third[3].metric(
    "Weighted pipeline",
    money(head.weighted_pipeline),
    help="Open amount × the stage's configured probability",
)

not_priced.mark(first[1], data.not_priced.won)
not_priced.mark(third[2], data.not_priced.open_pipeline)
not_priced.show_budget(data.budget)
not_priced.show_beside(data.not_priced)

if head.ended:
    st.info(
        f"{period.label} has ended: these are its results. An ended period has no open "
        "pipeline and no forecast; the forecast it had is kept in its snapshots below."
    )
elif head.overdue_deals == 1:
    st.warning(
        f"1 open deal worth {money(head.overdue)} is overdue: its expected close has passed, so "
        "it counts in no period's pipeline until its owner sets a new expected close (My deals "
        "lists it first)."
    )
elif head.overdue_deals:
    st.warning(
        f"{head.overdue_deals} open deals worth {money(head.overdue)} are overdue: their "
        "expected close has passed, so they count in no period's pipeline until their owner "
        "sets a new expected close (My deals lists them first)."
    )
if head.target is None:
    st.info(
        f"No approved target plan covers {period.label} for {data.scope_label}, so attainment, "
        "pace and probability cannot be computed. A director approves the plan on the Targets "
        "page."
    )

st.altair_chart(
    attainment_charts.forecast_buildup(
        head.won, head.commit, head.best_case, head.pipeline, head.target, stretch=stretch
    ),
    width="stretch",
)
st.caption(
    "Won, then open deals of the period by forecast category (omitted ones left out); "
    "red mark: the target."
    + (" Brown marks: the plan's stretch targets." if stretch and head.target else "")
)

with st.expander("What the forecast rests on", expanded=False):
    simulated = f"{head.simulated_deals} open deals simulated one by one"
    if head.tail_deals:
        simulated += f", {head.tail_deals} smaller ones as one normal total (same mean and spread)"
    st.markdown(
        f"- **{data.trials:,} trials** with a fixed seed; {simulated}.\n"
        f"- Each open deal is won with its stage's probability **calibrated from the "
        f"stage history** of the most recent closed deals (share of deals that entered the "
        f"stage and were won, shrunk towards the configured probability when history is thin).\n"
        f"- Final attainment: P10 **{percent(head.p10)}**, P50 **{percent(head.p50)}**, "
        f"P90 **{percent(head.p90)}**.\n"
        f"- Forecast categories of the open pipeline: commit **{money(head.commit)}**, best case "
        f"**{money(head.best_case)}**, pipeline **{money(head.pipeline)}**, omitted "
        f"**{money(head.omitted)}**."
    )
    calibration = pd.DataFrame([c.model_dump() for c in data.calibration])
    if not calibration.empty:
        st.dataframe(
            calibration.drop(columns=["stage_id"]),
            hide_index=True,
            width="stretch",
            column_config={
                "stage": "Stage",
                "configured": st.column_config.NumberColumn("Configured", format="%.2f"),
                "entered": st.column_config.NumberColumn("Closed deals that entered"),
                "won": st.column_config.NumberColumn("Of which won"),
                "calibrated": st.column_config.NumberColumn("Calibrated", format="%.2f"),
            },
        )

parts = pd.DataFrame([row.model_dump() for row in data.parts])
part = data.part_kind or "rep"
if data.part_kind:
    st.subheader(f"Attainment by {part}")
    if parts.empty:
        st.info(f"No {part} has a target, a win or open pipeline in {period.label}.")
    else:
        st.altair_chart(
            attainment_charts.attainment_bars(parts, part=part, stretch=stretch), width="stretch"
        )
        st.caption(
            "Bars: attainment · black tick: expected by today · red line: 100% of target"
            + (" · brown lines: the plan's stretch levels" if stretch else "")
        )
        st.caption(charts.PACE_RULE)

st.subheader("Won vs target through the period")
cumulative = pd.DataFrame(data.cumulative)
st.altair_chart(attainment_charts.cumulative_won_vs_target(cumulative), width="stretch")

if data.heatmap:
    st.subheader(f"Monthly attainment by {part}")
    st.altair_chart(
        attainment_charts.attainment_heatmap(pd.DataFrame(data.heatmap), part=part),
        width="stretch",
    )

forecast_as_of_section(actor.id, scope_key, period_label, head)

st.subheader("Drill-down")
if not data.part_kind:
    st.markdown(f"**Deals of {data.scope_label}** won or expected to close in {period.label}")
    rep_id = int(head.key.removeprefix("rep:"))
    deals_table(deals_of(actor.id, rep_id, period.label), f"deals-{period.label}")
elif parts.empty:
    st.info("Nothing to drill into.")
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
        "target": "Target",
        "won": "Won",
        "expected_to_date": "Expected to date",
        "gap": "Gap",
        "run_rate": "Run-rate projection",
        "open_pipeline": "Open pipeline",
        "weighted_pipeline": "Weighted pipeline",
        "commit": "Commit",
        "best_case": "Best case",
        "forecast": "Forecast",
    }
    ratio_columns = {
        "attainment": "Attainment",
        "pace": "Pace",
        "probability": "Probability",
        "p10": "P10 attainment",
        "p50": "P50 attainment",
        "p90": "P90 attainment",
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
            "coverage": st.column_config.TextColumn("Coverage", alignment="right"),
            "probability_note": "Why the probability is nil",
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
        f"Drill into a {part}",
        [None, *options],
        format_func=lambda k: f"Choose a {part}…" if k is None else options[k],
        key=drill_key,
        on_change=drill_into_region,
    )
    if picked and picked.startswith("rep:"):
        st.markdown(f"**Deals of {options[picked]}** in {period.label}")
        deals_table(
            deals_of(actor.id, int(picked[4:]), period.label), f"deals-{picked[4:]}-{period.label}"
        )
