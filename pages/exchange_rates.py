"""Exchange rates (administrators and directors): the company currency, the currencies the deals
use and which of their deals are not priced, each currency's rates over time, and adding or
deleting a rate. The rule itself is core.currency's; every change goes through
core.pipeline.exchange_rates, which re-prices the deals of the currency at once."""

from decimal import Decimal

import pandas as pd
import streamlit as st

from core import clock, currency
from core.i18n import _, currency_name, day, number
from core.models import Role
from core.org.access import ensure_role, load_actor
from core.performance.alert_pricing import not_priced_message
from core.pipeline import exchange_rates
from core.progress import figures
from ui import rate_chart
from ui.auth import current_actor
from ui.data import cached, read, save
from ui.downloads import download_buttons
from ui.flash import show_flash

VIEW = "exchange_rates"
IMPORT_PAGE = "pages/import.py"
ALL = "All currencies"
NOT_PRICED_COLOUR = "background-color: rgba(255, 193, 7, 0.25)"


@cached("deals", "settings")
def company_currency() -> str:
    with read() as session:
        return exchange_rates.company_currency(session)


@cached("deals", "settings")
def currencies_in_use(person_id: int) -> pd.DataFrame:
    with read() as session:
        uses = exchange_rates.currencies_in_use(session, load_actor(session, person_id))
    return pd.DataFrame(
        [
            {
                "Currency": u.currency,
                "Deals": u.deals,
                "Not priced": u.not_priced,
                "First rate from": u.first_rate.isoformat() if u.first_rate else "–",
                "Latest rate": rate_text(u.latest_rate) if u.latest_rate is not None else "–",
            }
            for u in uses
        ],
        columns=["Currency", "Deals", "Not priced", "First rate from", "Latest rate"],
    )


@cached("deals", "settings")
def not_priced_lines() -> list[str]:
    with read() as session:
        return [not_priced_message(item) for item in figures.not_priced(session, [])]


@cached("settings")
def rates(person_id: int) -> pd.DataFrame:
    with read() as session:
        rows = exchange_rates.rate_rows(session, load_actor(session, person_id))
    frame = pd.DataFrame(
        [
            {"id": r.id, "currency": r.currency, "valid_from": r.valid_from, "rate": r.rate}
            for r in rows
        ],
        columns=["id", "currency", "valid_from", "rate"],
    )
    return frame.sort_values(["valid_from", "currency"], ascending=[False, True], kind="stable")


def rate_text(rate: Decimal) -> str:
    """A rate as entered: 1.12943000 reads 1.12943."""
    return format(Decimal(rate).normalize(), "f")


def currency_label(code: str) -> str:
    """'EUR – Euro'."""
    name = currency_name(code)
    return f"{code} – {name}" if name != code else code


def rule_help(company: str) -> None:
    st.caption(
        _(
            "Every figure is in {company}, the company currency. A rate is how many {company} "
            "one unit of a currency is worth, from its date until that currency's next rate."
        ).format(company=company)
    )
    with st.expander(_("ℹ️ How deals are converted")):
        st.markdown(
            _(
                """
- A won or lost deal converts at the rate in effect on its close date.
- An open deal converts at the rate in effect today, which is its currency's latest rate.
- A deal in {company} needs no rate.
- A deal whose currency has no rate in effect on that day is **not priced**: it is never
  counted as if one unit were one {company}. It is left out of the figures, and they list it
  beside them instead.
- A plan may fix budget rates for its fiscal year (on the Targets page); attainment against
  that plan then converts at them.
- Each deal's converted amount is rounded to cents once, at the deal.
"""
            ).format(company=company)
        )


def company_currency_section(actor, company: str) -> None:
    with st.expander(_("🏦 Company currency: {company}").format(company=company)):
        st.caption(
            _(
                "The company currency can be changed only before any deal or rate is recorded: "
                "every amount already stated in it would otherwise change meaning."
            )
        )
        with st.form("company_currency_form"):
            codes = sorted(currency.CURRENCIES)
            chosen = st.selectbox(
                _("Company currency"),
                codes,
                index=codes.index(company) if company in codes else 0,
                format_func=currency_label,
                key="company_currency_code",
            )
            submitted = st.form_submit_button(_("Set the company currency"))
        if submitted:
            save(
                lambda s: exchange_rates.set_company_currency(s, actor, chosen),
                _("The company currency is now {code}.").format(code=chosen),
                affects=None,
            )


def in_use_section(uses: pd.DataFrame, company: str) -> None:
    st.subheader(_("Currencies in use"))
    foreign = uses[uses["Currency"] != company]
    missing = int(uses["Not priced"].sum()) if not uses.empty else 0
    a, b, c = st.columns(3)
    a.metric(_("Deals"), number(int(uses["Deals"].sum()) if not uses.empty else 0))
    b.metric(_("Deals in other currencies"), number(int(foreign["Deals"].sum())))
    c.metric(_("Deals not priced"), number(missing))
    if uses.empty:
        st.info(_("No deal is recorded yet."))
        return
    styled = uses.style.apply(
        lambda row: [NOT_PRICED_COLOUR if row["Not priced"] else ""] * len(row), axis=1
    )
    st.dataframe(
        styled,
        hide_index=True,
        width="stretch",
        key="rates_in_use",
        column_config={
            "Currency": st.column_config.TextColumn(_("Currency")),
            "Deals": st.column_config.NumberColumn(_("Deals"), format="localized"),
            "Not priced": st.column_config.NumberColumn(_("Not priced"), format="localized"),
            "First rate from": st.column_config.TextColumn(_("First rate from")),
            "Latest rate": st.column_config.TextColumn(_("Latest rate")),
        },
    )
    download_buttons(uses, f"currencies-in-use-{clock.today()}", key="in_use_download")
    if missing:
        st.warning("  \n".join(not_priced_lines()), icon="⚠️")
        st.markdown(
            _(
                "These deals are left out of every figure until their currency has a rate dated "
                "on or before their close date (an open deal: any rate up to today). Add the "
                "missing rates below, or load a rates file on the Import and export page."
            )
        )


def rates_section(frame: pd.DataFrame, company: str) -> pd.DataFrame:
    """The chart and the table of the rates of one currency, or of all; returns those shown."""
    st.subheader(_("Rates over time"))
    if frame.empty:
        st.info(
            _(
                "There is no rate yet. Add one below, or load a rates file on the Import and "
                "export page; each currency's line then appears here."
            )
        )
        return frame
    codes = sorted(set(frame["currency"]))
    pick = st.selectbox(
        _("Currency"),
        [ALL, *codes],
        format_func=lambda c: _("All currencies") if c == ALL else c,
        key="rates_filter",
    )
    shown = frame if pick == ALL else frame[frame["currency"] == pick]
    st.altair_chart(rate_chart.rates_over_time(shown, company, clock.today()), width="stretch")
    if pick == ALL and len(codes) > 1:
        st.caption(_("Pick a currency to see its line on its own scale."))
    table = pd.DataFrame(
        {
            "Currency": shown["currency"],
            "Valid from": shown["valid_from"],
            "Rate": [rate_text(r) for r in shown["rate"]],
        }
    )
    st.caption(_("{count} rates, newest first.").format(count=number(len(table))))
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="rates_table",
        column_config={
            "Currency": st.column_config.TextColumn(_("Currency")),
            "Valid from": st.column_config.DateColumn(_("Valid from")),
            "Rate": st.column_config.TextColumn(_("Rate")),
        },
    )
    download_buttons(table, f"exchange-rates-{clock.today()}", key="rates_download")
    return shown


def add_form(actor, company: str, uses: pd.DataFrame) -> None:
    st.subheader(_("Add a rate"))
    codes = sorted(currency.CURRENCIES - {company})
    wanted = uses[(uses["Currency"] != company)].sort_values("Not priced", ascending=False)
    default = wanted["Currency"].iloc[0] if not wanted.empty else "EUR"
    with st.form("add_rate_form"):
        code_col, day_col, rate_col = st.columns(3)
        code = code_col.selectbox(
            _("Currency"),
            codes,
            index=codes.index(default) if default in codes else 0,
            format_func=currency_label,
            key="rate_code",
        )
        valid_from = day_col.date_input(
            _("Valid from"), value=clock.today(), max_value=clock.today(), key="rate_day"
        )
        rate = rate_col.text_input(
            _("Rate ({company} for one unit)").format(company=company),
            placeholder=_("for example 1.0842"),
            key="rate_value",
        )
        submitted = st.form_submit_button(_("Save the rate"), type="primary")
    st.caption(_("A rate on the same currency and date as an existing one replaces it."))
    if submitted:
        save(
            lambda s: exchange_rates.save_rates(s, actor, [(code, valid_from, rate)]),
            lambda done: _(
                "The {code} rate from {day} is saved; {count} deals were converted again."
            ).format(code=code, day=day(valid_from), count=number(done["repriced"])),
            affects={"deals", "settings"},
            forget=["rate_value"],
        )


def delete_form(actor, shown: pd.DataFrame) -> None:
    if shown.empty:
        return
    with st.expander(_("🗑️ Delete a rate")):
        labels = {
            int(row.id): _("{code} from {day}: {rate}").format(
                code=row.currency, day=day(row.valid_from), rate=rate_text(row.rate)
            )
            for row in shown.itertuples()
        }
        ids: list[int] = list(labels)
        rate_id: int = st.selectbox(
            _("Rate"), ids, format_func=lambda i: labels[i], key="delete_rate_id"
        )
        sure = st.checkbox(
            _(
                "Yes, delete this rate. Deals that relied on it convert at the rate before it, "
                "or become not priced."
            ),
            key="delete_rate_sure",
        )
        if st.button(_("Delete the rate"), disabled=not sure, key="delete_rate_go"):
            save(
                lambda s: exchange_rates.delete_rate(s, actor, rate_id),
                lambda repriced: _(
                    "The rate {rate} is deleted; {count} deals were converted again."
                ).format(rate=labels[rate_id], count=number(repriced)),
                affects={"deals", "settings"},
                forget=["delete_rate_sure", "delete_rate_id"],
            )


actor = current_actor()
ensure_role(actor, Role.ADMIN, action="manage exchange rates")
st.title(_("💱 Exchange rates"))
show_flash(VIEW)
company = company_currency()
rule_help(company)
company_currency_section(actor, company)

uses = currencies_in_use(actor.id)
frame = rates(actor.id)
if uses[uses["Currency"] != company].empty and frame.empty:
    st.info(
        _(
            "Every deal is in {company}, the company currency, so no rate is needed yet. When a "
            "deal in another currency is recorded (on the deal, or by importing deals with a "
            "currency column), add that currency's rates here or load a rates file on the "
            "Import and export page."
        ).format(company=company)
    )
in_use_section(uses, company)
shown = rates_section(frame, company)
add_form(actor, company, uses)
delete_form(actor, shown)

st.subheader(_("Load a rates file"))
st.markdown(
    _(
        "Many rates at once (a year of weekly rates, say) load from a CSV or Excel file with "
        "the columns currency, date (the day the rate takes effect, as 2026-01-31) and rate, as "
        "the exchange_rates kind on the Import and export page."
    )
)
st.page_link(IMPORT_PAGE, label=_("Open the Import and export page"), icon="📥")
