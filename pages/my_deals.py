"""My deals: a rep's open deals on a phone, soonest close first; one tap opens a deal to move
it forward, log a visit or call, or change the next step and the close date. New deals are
created here too."""

import pandas as pd
import streamlit as st

from core.errors import DomainError
from core.i18n import _, day, ngettext
from core.org.access import load_actor
from core.pipeline import views
from ui.auth import current_actor
from ui.data import cached, read
from ui.deal_form import new_deal_form, open_created_deal
from ui.deal_view import company_code, render_deal
from ui.flash import show_flash
from ui.format import deal_money, money
from ui.links import open_record
from ui.stage_names import shown

OPEN_KEY = "my_deals_open"
SHOWN = 25


@cached("deals", "customers", "activities", "settings", "org", ttl=60, show_spinner=False)
def open_deals(person_id: int) -> pd.DataFrame:
    with read() as session:
        return views.my_open_deals(session, load_actor(session, person_id))


actor = current_actor()
deal_id = open_record("deal", OPEN_KEY)  # /my_deals?deal=123 opens that deal
show_flash(f"my:{deal_id}")
open_new = open_created_deal(OPEN_KEY, lambda new_id: f"my:{new_id}")

if deal_id is not None:
    if st.button(_("← My deals"), key="my_deals_back"):
        st.session_state.pop(OPEN_KEY, None)
        st.rerun()
    render_deal(actor, deal_id, key="my", compact=True, open_deal=open_new)
    st.stop()

st.title(_("My deals"))
with st.expander(_("➕ New deal")):
    new_deal_form(actor, key="my_new", on_created=open_new)
try:
    frame = open_deals(actor.id)
except DomainError as exc:
    st.error(str(exc))
    st.stop()

if frame.empty:
    st.info(
        _(
            "You have no open deals. Deals you own show here, soonest expected close first; "
            "create one with New deal above."
        )
    )
    st.stop()

slipping = int(frame["slipping"].sum())
company = company_code()
priced = frame["company_amount"].dropna()
unpriced = len(frame) - len(priced)
summary = (
    ngettext(
        "{n} open deal · {amount} {currency} · soonest close first · ⚠️ {slipping} slipping",
        "{n} open deals · {amount} {currency} · soonest close first · ⚠️ {slipping} slipping",
        len(frame),
    )
    if slipping
    else ngettext(
        "{n} open deal · {amount} {currency} · soonest close first",
        "{n} open deals · {amount} {currency} · soonest close first",
        len(frame),
    )
)
st.caption(
    summary.format(n=len(frame), amount=money(priced.sum()), currency=company, slipping=slipping)
)
if unpriced == 1:
    st.caption(
        _(
            "The total in {currency} leaves out 1 deal in a currency without an exchange rate; "
            "the deal says so below."
        ).format(currency=company)
    )
elif unpriced:
    st.caption(
        _(
            "The total in {currency} leaves out {n} deals in a currency without an exchange "
            "rate; each says so below."
        ).format(currency=company, n=unpriced)
    )
search = st.text_input(
    _("Find a deal"),
    placeholder=_("🔎 Deal or customer"),
    label_visibility="collapsed",
    key="my_find",
)
if search:
    needle = search.casefold()
    frame = frame[
        frame["name"].str.casefold().str.contains(needle, regex=False)
        | frame["customer"].str.casefold().str.contains(needle, regex=False)
    ]
show_all = st.session_state.get("my_deals_all", False)
for row in (frame if show_all else frame.head(SHOWN)).itertuples():
    with st.container(border=True):
        warnings = [
            label
            for flag, label in (
                (row.overdue, _("⏰ overdue")),
                (
                    row.stalled,
                    ngettext(
                        "🐢 {n} day in stage", "🐢 {n} days in stage", int(row.days_in_stage or 0)
                    ).format(n=row.days_in_stage),
                ),
                (row.slipping, _("⚠️ slipping")),
            )
            if flag
        ]
        amounts = deal_money(row.amount, row.currency, row.company_amount, company, row.first_rate)
        st.markdown(
            f"**{row.name}**  \n{row.customer} · {shown(row.stage)}  \n"
            f"💰 {amounts} · 📅 {day(row.expected_close)}"
            + "".join(f" · {warning}" for warning in warnings)
        )
        if row.next_step:
            st.caption(_("Next: {step}").format(step=row.next_step))
        if st.button(_("Open"), key=f"my_open_{row.id}", width="stretch"):
            st.session_state[OPEN_KEY] = int(row.id)
            st.rerun()
if not show_all and len(frame) > SHOWN and st.button(_("Show all {n} deals").format(n=len(frame))):
    st.session_state["my_deals_all"] = True
    st.rerun()
