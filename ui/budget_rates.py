"""Budget rates on the Targets page: the exchange rates a plan version fixes for its fiscal
year (directors and administrators). The rule is core.plans.budget_rates': a draft or
submitted plan's rates can change, an approved or locked plan keeps its own."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import streamlit as st

from core import currency
from core.errors import ValidationFailed
from core.i18n import N_, _, period_name
from core.models import Actor, Measure
from core.org.access import load_actor
from core.pipeline import exchange_rates
from core.plans import budget_rates
from core.plans.cells import PlanInfo
from core.plans.rules import OPEN
from ui.data import cached, read, save
from ui.plan_series import STATUS_NAMES

EXPLANATION = N_("Attainment against this plan converts deals in these currencies at these rates.")
COLUMNS = ["Currency", "Rate"]


@cached("targets")
def rates_of(person_id: int, plan_id: int) -> dict[str, Decimal]:
    with read() as session:
        return budget_rates.budget_rates_for(session, load_actor(session, person_id), plan_id)


@cached("deals", "settings")
def company_and_latest(person_id: int) -> tuple[str, dict[str, Decimal]]:
    """The company currency and the latest dated rate of each foreign currency in use."""
    with read() as session:
        company = exchange_rates.company_currency(session)
        latest = exchange_rates.latest_rates(session, load_actor(session, person_id))
    return company, latest


def _rate_text(rate: Decimal) -> str:
    return format(Decimal(rate).normalize(), "f")


def _rows(frame: pd.DataFrame) -> dict[str, str]:
    """The edited rows as {currency: rate}; blank rows are dropped, a currency twice refused."""
    out: dict[str, str] = {}
    for code, rate in zip(frame["Currency"], frame["Rate"], strict=True):
        code = "" if code is None or pd.isna(code) else str(code).strip().upper()
        rate = "" if rate is None or pd.isna(rate) else str(rate).strip()
        if not code and not rate:
            continue
        if not code:
            raise ValidationFailed(_("The rate {rate} needs its currency.").format(rate=rate))
        if code in out:
            raise ValidationFailed(_("{code} has two budget rates; keep one.").format(code=code))
        out[code] = rate
    return out


def budget_rates_section(actor: Actor, info: PlanInfo) -> None:
    """The selected version's budget rates: editable on a draft or submitted plan, read-only
    with the reason on an approved or locked one. Shown to directors and administrators, for
    the company's revenue plan only (other measures count things, not money)."""
    if not actor.sees_everything or info.measure != Measure.REVENUE:
        return  # only revenue is money
    if info.product_line:
        st.caption(
            _(
                "{plan} converts deals in other currencies at the budget rates of the "
                "{year} company revenue plan."
            ).format(plan=info.label, year=period_name(f"FY{info.fiscal_year}"))
        )
        return
    rates = rates_of(actor.id, info.id)
    company, latest = company_and_latest(actor.id)
    with st.expander(_("💱 Budget rates of {plan}").format(plan=info.label), expanded=bool(rates)):
        if rates or info.status in OPEN:
            st.markdown(_(EXPLANATION))
        st.caption(
            _(
                "A rate is how many {company} one unit of the currency is worth for the whole "
                "of {year}. A currency without a budget rate converts at its dated rates (the "
                "Exchange rates page); targets stay in {company}."
            ).format(company=company, year=period_name(f"FY{info.fiscal_year}"))
        )
        if latest:
            st.caption(
                _("Latest dated rates, for reference: {rates}.").format(
                    rates=", ".join(
                        f"{code} {_rate_text(rate)}" for code, rate in sorted(latest.items())
                    )
                )
            )
        frame = pd.DataFrame(
            [{"Currency": c, "Rate": _rate_text(r)} for c, r in rates.items()], columns=COLUMNS
        )
        if info.status not in OPEN:
            if frame.empty:
                st.info(
                    _("{plan} fixes no budget rate: every deal converts at its dated rate.").format(
                        plan=info.label
                    )
                )
            else:
                st.dataframe(
                    frame.rename(columns={"Currency": _("Currency"), "Rate": _("Rate")}),
                    hide_index=True,
                    width="stretch",
                )
            st.caption(
                _(
                    "{plan} is {status}: its budget rates are fixed. Start a new version to "
                    "change them."
                ).format(plan=info.label, status=_(STATUS_NAMES[info.status]))
            )
            return
        edited = st.data_editor(
            frame,
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            column_config={
                "Currency": st.column_config.SelectboxColumn(
                    _("Currency"),
                    options=sorted(currency.CURRENCIES - {company}),
                    required=True,
                ),
                "Rate": st.column_config.TextColumn(
                    _("Rate ({company} for one unit)").format(company=company),
                    help=_("For example 1.0842"),
                ),
            },
            key=f"budget_rates_{info.id}",
        )
        st.caption(_("Add a row per currency; delete a row to go back to the dated rates."))
        if st.button(_("Save the budget rates"), key=f"budget_rates_save_{info.id}"):
            save(
                lambda s: budget_rates.set_budget_rates(s, actor, info.id, _rows(edited)),
                lambda saved: (
                    _("{plan} now converts {currencies} at its budget rates.").format(
                        plan=info.label, currencies=", ".join(sorted(saved))
                    )
                    if saved
                    else _(
                        "{plan} has no budget rate: every deal converts at its dated rate."
                    ).format(plan=info.label)
                ),
                affects={"targets"},
                forget=[f"budget_rates_{info.id}"],
            )
