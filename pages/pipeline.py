"""Pipeline: the funnel of a manager's area or the whole company, by stage, with filters,
a board and a table view, and every deal's detail one click away."""

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from core.errors import DomainError
from core.i18n import _, ngettext, number
from core.models import DealStatus, ForecastCategory
from core.org.access import load_actor
from core.pipeline import views
from core.pipeline.views import PipelineFilter
from ui import not_priced
from ui.auth import current_actor
from ui.data import cached, read
from ui.deal_form import new_deal_form, open_created_deal
from ui.deal_view import company_code, error_text, render_deal, stage_choices
from ui.downloads import download_buttons
from ui.flash import show_flash
from ui.format import amount_in, as_text, deal_money, deal_money_columns, money, one_currency
from ui.links import open_record
from ui.pipeline_charts import pipeline_by_stage
from ui.stage_names import cash_name, forecast_name, shown, status_name

OPEN_KEY = "pipeline_open"
CARDS_PER_STAGE = 5
REASON_WIDTH = 260  # pixels of the "In USD" column when a deal in it says why it is not priced
VIEWS = {"Board": _("Board"), "Table": _("Table")}
ORDERS = {"soonest": _("Soonest close"), "largest": _("Largest in {currency} first")}
RAW_HEADERS = {
    # the table's other columns keep their names as headers in English
    "deal": _("deal"),
    "customer": _("customer"),
    "owner": _("owner"),
    "stage": _("stage"),
    "status": _("status"),
    "forecast_category": _("forecast_category"),
    "first_rate": _("first_rate"),
    "expected_close": _("expected_close"),
    "closed_on": _("closed_on"),
    "slips": _("slips"),
    "stage_entered_on": _("stage_entered_on"),
    "next_step": _("next_step"),
    "cash_status": _("cash_status"),
    "next_step_due": _("next_step_due"),
}


@cached("deals", "customers", "settings", "org", ttl=300, show_spinner=False)
def filter_options(person_id: int) -> dict[str, list[tuple[int, str]]]:
    with read() as session:
        return views.pipeline_filter_options(session, load_actor(session, person_id))


@cached("deals", "customers", "settings", "org", ttl=60, show_spinner=_("Adding up the pipeline…"))
def board_and_deals(person_id: int, filters_json: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The board totals and, for the board, the largest deals of each stage."""
    filters = PipelineFilter.model_validate_json(filters_json)
    with read() as session:
        actor = load_actor(session, person_id)
        return views.pipeline_board(session, actor, filters), views.pipeline_top_deals(
            session, actor, filters, per_stage=CARDS_PER_STAGE
        )


@cached("deals", "customers", "settings", "org", ttl=60, show_spinner=_("Listing the deals…"))
def deal_table(person_id: int, filters_json: str, largest_first: bool) -> pd.DataFrame:
    filters = PipelineFilter.model_validate_json(filters_json)
    with read() as session:
        return views.pipeline_deals(
            session, load_actor(session, person_id), filters, largest_first=largest_first
        )


def open_deal(deal_id: int) -> None:
    st.session_state[OPEN_KEY] = int(deal_id)


actor = current_actor()
deal_id = open_record("deal", OPEN_KEY)  # /pipeline?deal=123 opens that deal
show_flash(f"pipe:{deal_id}")
open_new = open_created_deal(OPEN_KEY, lambda new_id: f"pipe:{new_id}")

if deal_id is not None:
    if st.button(_("← Back to the pipeline"), key="pipeline_back"):
        st.session_state.pop(OPEN_KEY, None)
        st.rerun()
    render_deal(actor, deal_id, key="pipe", open_deal=open_new)
    st.stop()

st.title(_("Pipeline"))
with st.expander(_("➕ New deal (for you or a rep of your area)")):
    new_deal_form(actor, key="pipe_new", on_created=open_new)
options = filter_options(actor.id)
stages = [(sid, name) for sid, name, __, ___ in stage_choices()]
with st.container(border=True):
    first = st.columns(3)
    region = first[0].selectbox(
        _("Region (with its teams)"),
        options["regions"],
        index=None,
        format_func=lambda r: r[1],
        placeholder=_("All my regions"),
        key="pipe_region",
    )
    rep = first[1].selectbox(
        _("Rep"),
        options["reps"],
        index=None,
        format_func=lambda r: r[1],
        placeholder=_("All reps"),
        key="pipe_rep",
    )
    period = first[2].text_input(
        _("Close period"), placeholder=_("2026Q4, 2026-11 or FY2026"), key="pipe_period"
    )
    second = st.columns(3)
    chosen_stages = second[0].multiselect(
        _("Stages"),
        stages,
        format_func=lambda s: shown(s[1]),
        placeholder=_("All stages"),
        key="pipe_stages",
    )
    categories = second[1].multiselect(
        _("Forecast category"),
        list(ForecastCategory),
        format_func=forecast_name,
        placeholder=_("All categories"),
        key="pipe_forecast",
    )
    statuses = second[2].multiselect(
        _("Status"),
        list(DealStatus),
        default=[DealStatus.OPEN],
        format_func=status_name,
        placeholder=_("All statuses"),
        key="pipe_status",
    )

try:
    filters = PipelineFilter(
        region_id=region[0] if region else None,
        owner_id=rep[0] if rep else None,
        stage_ids=tuple(s[0] for s in chosen_stages),
        close_period=period.strip() or None,
        forecast_categories=tuple(categories),
        statuses=tuple(statuses),
    )
    board, top = board_and_deals(actor.id, filters.model_dump_json())
except (DomainError, ValidationError) as exc:
    st.error(error_text(exc))
    st.stop()

total_deals = int(board["deals"].sum())
deals_metric, amount_metric, weighted_metric = st.columns(3)
deals_metric.metric(_("Deals"), number(total_deals))
company = company_code()
amount_metric.metric(
    _("Amount"),
    money(board["amount"].sum()),
    help=_(
        "In {currency}: each deal at the rate in effect for it, the not-priced deals left out"
    ).format(currency=company),
)
weighted_metric.metric(
    _("Weighted"),
    money(board["weighted"].sum()),
    help=_("In {currency}: the amount × the win probability of its stage").format(currency=company),
)
not_priced.show_pipeline(actor.id, filters.model_dump_json())
if total_deals == 0:
    st.info(_("No deals match these filters. Widen the period or clear a filter."))
    st.stop()

view = st.segmented_control(
    _("View"), list(VIEWS), default="Board", format_func=lambda v: VIEWS[v], key="pipe_view"
)
if view == "Table":
    order = st.segmented_control(
        _("Order"),
        list(ORDERS),
        default="soonest",
        format_func=lambda o: ORDERS[o].format(currency=company),
        key="pipe_order",
    )
    largest_first = order == "largest"
    table = deal_table(actor.id, filters.model_dump_json(), largest_first)
    display = deal_money_columns(table, company).assign(
        amount=table["amount"].astype(float),
        weighted=as_text(table["weighted"], lambda v: amount_in(v, company)),
        stage=table["stage"].map(shown),
        status=table["status"].map(status_name),
        forecast_category=table["forecast_category"].map(forecast_name),
        cash_status=table["cash_status"].map(cash_name),
    )
    hidden = ["id", "next_is_won"]
    if one_currency(table, company):  # one amount per deal, no "100 USD = 100 USD"
        hidden += ["currency", "company_amount"]
    display = display.drop(columns=hidden)
    money_first = ["deal", "customer", "amount", "currency", "company_amount", "weighted"]
    st.dataframe(
        display,
        hide_index=True,
        width="stretch",
        column_order=[
            *(c for c in money_first if c in display),
            *(c for c in display if c not in money_first),
        ],
        column_config={
            **{column: label for column, label in RAW_HEADERS.items() if column in display},
            "amount": st.column_config.NumberColumn(
                _("Amount")
                if "currency" not in hidden
                else _("Amount ({currency})").format(currency=company),
                format="localized",
                help=_("In the deal's own currency"),
            ),
            "currency": st.column_config.TextColumn(_("Currency")),
            "company_amount": st.column_config.TextColumn(
                _("In {currency}").format(currency=company),
                width=REASON_WIDTH if table["company_amount"].isna().any() else None,
                alignment="right",
                help=_(
                    "The amount in the company currency at the rate in effect: on the close "
                    "date for a won or lost deal, today for an open one"
                ),
            ),
            "weighted": st.column_config.TextColumn(
                _("Weighted ({currency})").format(currency=company),
                alignment="right",
                help=_("The amount in {currency} × the win probability of its stage").format(
                    currency=company
                ),
            ),
            "days_in_stage": st.column_config.NumberColumn(_("Days in stage")),
            "stalled": st.column_config.CheckboxColumn(
                _("Stalled"), help=_("Open and longer in its stage than the stage allows")
            ),
            "overdue": st.column_config.CheckboxColumn(
                _("Overdue"), help=_("Open and the expected close date has passed")
            ),
            "slipping": st.column_config.CheckboxColumn(
                _("Slipping"), help=_("The expected close date was moved later too often")
            ),
        },
    )
    if len(table) < total_deals and largest_first:
        st.caption(
            _("Showing the first {shown} of {total} deals, largest first.").format(
                shown=number(len(table)), total=number(total_deals)
            )
        )
    elif len(table) < total_deals:
        st.caption(
            _("Showing the first {shown} of {total} deals, soonest close.").format(
                shown=number(len(table)), total=number(total_deals)
            )
        )
    download_buttons(table.drop(columns=["next_is_won", "first_rate"]), "pipeline")
    choice = st.selectbox(
        _("Open a deal"),
        list(table.itertuples(index=False)),
        index=None,
        placeholder=_("Pick a deal to open it"),
        format_func=lambda r: (
            f"{r.deal} · {r.customer} · "
            + deal_money(r.amount, r.currency, r.company_amount, company, r.first_rate)
        ),
        key="pipe_pick",
    )
    if choice is not None:
        open_deal(choice.id)
        st.rerun()
else:
    st.altair_chart(pipeline_by_stage(board[board["deals"] > 0]), width="stretch")
    columns = board[board["deals"] > 0]
    for start in range(0, len(columns), 4):
        row = st.columns(4)
        for column, stage in zip(row, columns.iloc[start : start + 4].itertuples()):
            with column.container(border=True):
                st.markdown(f"**{shown(stage.stage)}**")
                st.caption(
                    ngettext(
                        "{n} deal · {amount} {currency}  \nweighted {weighted} {currency}",
                        "{n} deals · {amount} {currency}  \nweighted {weighted} {currency}",
                        int(stage.deals),
                    ).format(
                        n=number(stage.deals),
                        amount=money(stage.amount),
                        weighted=money(stage.weighted),
                        currency=company,
                    )
                )
                for card in top[top["stage"] == stage.stage].itertuples():
                    amounts = deal_money(
                        card.amount, card.currency, card.company_amount, company, card.first_rate
                    )
                    st.button(
                        f"{card.deal} · {amounts}",
                        key=f"pipe_card_{card.id}",
                        on_click=open_deal,
                        args=(card.id,),
                        width="stretch",
                    )
