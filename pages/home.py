"""Home: where my scope stands this quarter (target, won, attainment, open pipeline)."""

from datetime import date

import pandas as pd
import streamlit as st

from core import clock
from core.i18n import N_, _, period_name
from core.models import BreakdownRow, Period, Role, ScopeFigures
from core.org.company import fiscal_start_month
from core.org.regions import load_region_tree
from core.periods import quarter_of
from core.progress import attainment as evaluation
from core.progress import scopes, views
from core.progress.forecast import elapsed_days
from core.progress.views import BudgetNote, NotPricedBeside
from ui import charts, measure_views, not_priced
from ui.auth import current_actor
from ui.data import cached, read
from ui.digest_view import show_this_week
from ui.downloads import download_buttons
from ui.format import as_text, money, percent

PARTS = {Role.REP: "month", Role.MANAGER: "rep", Role.DIRECTOR: "region", Role.ADMIN: "region"}
PART_HEADINGS = {
    "month": N_("Won vs target by month"),
    "rep": N_("Won vs target by rep"),
    "region": N_("Won vs target by region"),
}
PART_EMPTY = {
    "month": N_("Nothing won and no targets by month in {period} yet."),
    "rep": N_("Nothing won and no targets by rep in {period} yet."),
    "region": N_("Nothing won and no targets by region in {period} yet."),
}
PART_COLUMNS = {"month": N_("Month"), "rep": N_("Rep"), "region": N_("Region")}


@cached("deals", "targets", "org", "settings")
def home_figures(person_id: int, today: date) -> tuple[ScopeFigures, list[BreakdownRow], Period]:
    from core.org.access import load_actor

    with read() as session:
        actor = load_actor(session, person_id)
        period = quarter_of(today, fiscal_start_month(session))
        scope = scopes.default_scope(session, actor)
        tree = load_region_tree(session)
        figures = evaluation.scope_figures(session, scope, period, today=today, tree=tree)
        parts = evaluation.breakdown(session, scope, period, today=today, tree=tree)
        return figures, parts, period


@cached("deals", "targets", "org", "settings")
def beside_figures(person_id: int, today: date) -> tuple[NotPricedBeside, BudgetNote | None]:
    """What the headline leaves out (deals not priced) and the budget rates it converts at."""
    from core.org.access import load_actor

    with read() as session:
        actor = load_actor(session, person_id)
        period = quarter_of(today, fiscal_start_month(session))
        scope = scopes.default_scope(session, actor)
        return (
            views.not_priced_beside(session, scope, period, today=today),
            views.budget_note(session, period),
        )


actor = current_actor()
today = clock.today()
figures, parts, period = home_figures(actor.id, today)
unpriced, budget = beside_figures(actor.id, today)
part = PARTS[actor.role]

st.title(_("Hello, {name}").format(name=actor.name.split()[0]))
st.caption(
    _("{scope} · quarter {period} · figures from the database, live").format(
        scope=figures.scope, period=period_name(figures.period)
    )
)

target, won, attainment, pipeline = st.columns(4)
target.metric(
    _("Target"), money(figures.target), help=_("Sum of the approved plan's monthly targets")
)
won.metric(
    _("Won"),
    money(figures.won),
    help=_("{count} deals won this quarter").format(count=figures.won_deals),
)
attainment.metric(_("Attainment"), percent(figures.attainment), help=_("Won ÷ target"))
pipeline.metric(
    _("Open pipeline"),
    money(figures.open_pipeline),
    help=_(
        "{count} open deals expected to close between today and the end of the quarter; "
        "weighted by stage probability: {weighted}. A deal whose expected close has passed is "
        "overdue and counts in no period."
    ).format(count=figures.open_deals, weighted=money(figures.weighted_pipeline)),
)
not_priced.mark(won, unpriced.won)
not_priced.mark(pipeline, unpriced.open_pipeline)
not_priced.show_budget(budget)
not_priced.show_beside(unpriced)
if figures.overdue_deals == 1:
    st.warning(
        _(
            "1 open deal worth {amount} is overdue: its expected close has passed, so it is not "
            "in the open pipeline until a new expected close is set."
        ).format(amount=money(figures.overdue))
    )
elif figures.overdue_deals:
    st.warning(
        _(
            "{count} open deals worth {amount} are overdue: their expected close has passed, so "
            "they are not in the open pipeline until a new expected close is set."
        ).format(count=figures.overdue_deals, amount=money(figures.overdue))
    )
if figures.target is None:
    st.info(
        _(
            "No approved target plan covers {period} yet, so attainment cannot be computed. A "
            "director approves the plan on the Targets page."
        ).format(period=period_name(figures.period))
    )

measure_views.other_targets_strip(actor.id, today)

frame = pd.DataFrame([row.model_dump() for row in parts])
st.subheader(_(PART_HEADINGS[part]))
if frame.empty or (frame["won"].sum() == 0 and frame["target"].isna().all()):
    st.info(_(PART_EMPTY[part]).format(period=period_name(figures.period)))
else:
    st.altair_chart(charts.won_vs_target(frame, part=part), width="stretch")
    st.caption(
        _("Bars: won · black tick: target · blue tick: expected by today. {pace_rule}").format(
            pace_rule=_(charts.PACE_RULE)
        )
    )
    elapsed = elapsed_days(period.start, period.end, today)
    total = (period.end - period.start).days + 1
    if elapsed < total:
        st.caption(
            _(
                "{period} is still running: {elapsed} of {total} days have passed. Attainment & "
                "forecast shows pace, the gap and the chance of making the number."
            ).format(period=period_name(figures.period), elapsed=elapsed, total=total)
        )
    table = frame.rename(columns={"label": part.capitalize()}).drop(
        columns=["key", "expected_to_date"]
    )
    table["attainment"] = table["attainment"].map(percent)
    table["target"] = as_text(table["target"], money)  # a part without a target reads "–"
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            part.capitalize(): st.column_config.TextColumn(_(PART_COLUMNS[part])),
            "won": st.column_config.NumberColumn(_("Won"), format="localized"),
            "target": st.column_config.TextColumn(_("Target"), alignment="right"),
            "attainment": st.column_config.TextColumn(_("Attainment"), alignment="right"),
        },
    )
    download_buttons(table, f"won-vs-target-{figures.period}")

show_this_week(actor.id, actor.role, today)
