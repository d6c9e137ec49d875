"""Home: where my scope stands this quarter (target, won, attainment, open pipeline)."""

from datetime import date

import pandas as pd
import streamlit as st

from core.models import BreakdownRow, Period, Role, ScopeFigures
from core.org.company import fiscal_start_month
from core.periods import quarter_of
from core.progress import attainment as evaluation
from core.progress import scopes, views
from core.progress.forecast import elapsed_days
from core.progress.views import BudgetNote, NotPricedBeside
from ui import charts, measure_views, not_priced
from ui.auth import current_actor
from ui.data import cached, read
from ui.downloads import download_buttons
from ui.format import as_text, money, percent

PARTS = {Role.REP: "month", Role.MANAGER: "rep", Role.DIRECTOR: "region", Role.ADMIN: "region"}


@cached("deals", "targets", "org", "settings")
def home_figures(person_id: int, today: date) -> tuple[ScopeFigures, list[BreakdownRow], Period]:
    from core.org.access import load_actor

    with read() as session:
        actor = load_actor(session, person_id)
        period = quarter_of(today, fiscal_start_month(session))
        scope = scopes.default_scope(session, actor)
        figures = evaluation.scope_figures(session, scope, period, today=today)
        parts = evaluation.breakdown(session, scope, period, today=today)
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
today = date.today()
figures, parts, period = home_figures(actor.id, today)
unpriced, budget = beside_figures(actor.id, today)
part = PARTS[actor.role]

st.title(f"Hello, {actor.name.split()[0]}")
st.caption(f"{figures.scope} · quarter {figures.period} · figures from the database, live")

target, won, attainment, pipeline = st.columns(4)
target.metric("Target", money(figures.target), help="Sum of the approved plan's monthly targets")
won.metric("Won", money(figures.won), help=f"{figures.won_deals} deals won this quarter")
attainment.metric("Attainment", percent(figures.attainment), help="Won ÷ target")
pipeline.metric(
    "Open pipeline",
    money(figures.open_pipeline),
    help=f"{figures.open_deals} open deals expected to close between today and the end of "
    f"the quarter; weighted by stage probability: {money(figures.weighted_pipeline)}. "
    "A deal whose expected close has passed is overdue and counts in no period.",
)
not_priced.mark(won, unpriced.won)
not_priced.mark(pipeline, unpriced.open_pipeline)
not_priced.show_budget(budget)
not_priced.show_beside(unpriced)
if figures.overdue_deals == 1:
    st.warning(
        f"1 open deal worth {money(figures.overdue)} is overdue: its expected close has passed, "
        "so it is not in the open pipeline until a new expected close is set."
    )
elif figures.overdue_deals:
    st.warning(
        f"{figures.overdue_deals} open deals worth {money(figures.overdue)} are overdue: their "
        "expected close has passed, so they are not in the open pipeline until a new expected "
        "close is set."
    )
if figures.target is None:
    st.info(
        f"No approved target plan covers {figures.period} yet, so attainment cannot be "
        "computed. A director approves the plan on the Targets page."
    )

measure_views.other_targets_strip(actor.id, today)

frame = pd.DataFrame([row.model_dump() for row in parts])
st.subheader(f"Won vs target by {part}")
if frame.empty or (frame["won"].sum() == 0 and frame["target"].isna().all()):
    st.info(f"Nothing won and no targets by {part} in {figures.period} yet.")
else:
    st.altair_chart(charts.won_vs_target(frame, part=part), width="stretch")
    st.caption("Bars: won · black tick: target · blue tick: expected by today. " + charts.PACE_RULE)
    elapsed = elapsed_days(period.start, period.end, today)
    total = (period.end - period.start).days + 1
    if elapsed < total:
        st.caption(
            f"{figures.period} is still running: {elapsed} of {total} days have passed. "
            "Attainment & forecast shows pace, the gap and the chance of making the number."
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
            "won": st.column_config.NumberColumn("Won", format="localized"),
            "target": st.column_config.TextColumn("Target", alignment="right"),
            "attainment": st.column_config.TextColumn("Attainment", alignment="right"),
        },
    )
    download_buttons(table, f"won-vs-target-{figures.period}")
