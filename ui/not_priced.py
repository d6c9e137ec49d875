"""Beside a figure: the deals it leaves out because they are not priced (no exchange rate in
effect on their day), in the wording of core.performance.alert_pricing ("3 deals, 41,000 EUR,
not priced: no EUR rate before 2026-01-04."), and the budget rates a plan converts at. Nothing
shows when every deal is priced."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from core.i18n import N_, _, ngettext
from core.org.access import load_actor
from core.performance.alert_pricing import not_priced_message
from core.pipeline.views import PipelineFilter
from core.progress.figures import NotPriced
from core.progress.views import BudgetNote, NotPricedBeside, pipeline_not_priced
from ui.data import cached, read

WON = N_("**Not in Won**, for want of an exchange rate:")
NOT_IN_OPEN_PIPELINE = N_("**Not in Open pipeline**, for want of an exchange rate:")
ADD_RATES = N_("An admin adds the missing rates on the Exchange rates page.")
"""The headings above a list of deals not priced (whole lines, translated where shown)."""


def _lines(items: Sequence[NotPriced]) -> str:
    return "\n".join(f"- {not_priced_message(item)}" for item in items)


def mark(container, items: Sequence[NotPriced]) -> None:
    """A short note under a figure (in `container`, e.g. a metric's column) that it leaves out
    deals not priced; the list itself is `show_beside`'s."""
    count = sum(item.deals for item in items)
    if count:
        container.caption(
            ngettext(
                "💱 Leaves out {n} deal that is not priced (listed below).",
                "💱 Leaves out {n} deals that are not priced (listed below).",
                count,
            ).format(n=f"{count:,}")
        )


def show_beside(beside: NotPricedBeside) -> None:
    """The not-priced deals beside a scope's won figure and open pipeline."""
    if not beside:
        return
    parts = []
    if beside.won:
        parts.append(_(WON) + "\n" + _lines(beside.won))
    if beside.open_pipeline:
        parts.append(_(NOT_IN_OPEN_PIPELINE) + "\n" + _lines(beside.open_pipeline))
    parts.append(_(ADD_RATES))
    st.warning("\n\n".join(parts), icon="💱")


RANKED = N_("**Not in the attainment and scores above**, for want of an exchange rate:")


def show_won(items: Sequence[NotPriced], heading: str = WON) -> None:
    """The not-priced deals beside a won figure (a scorecard, a leaderboard, a review), under
    `heading` (WON, or RANKED where the figure shown is attainment and score)."""
    if not items:
        return
    st.warning(
        _(heading) + "\n" + _lines(items) + "\n\n" + _(ADD_RATES),
        icon="💱",
    )


def show_budget(note: BudgetNote | None) -> None:
    """One line saying the figures convert at the plan's budget rates, when it fixes some."""
    if note is None or not note.rates:
        return
    rates = ", ".join(f"{code} {rate.normalize():f}" for code, rate in note.rates.items())
    st.caption(
        _("Converted at the budget rates of {plan}: {rates}.").format(plan=note.plan, rates=rates)
    )


@cached("deals", "customers", "settings", "org", ttl=60, show_spinner=False)
def _pipeline(person_id: int, filters_json: str) -> list[NotPriced]:
    filters = PipelineFilter.model_validate_json(filters_json)
    with read() as session:
        return pipeline_not_priced(session, load_actor(session, person_id), filters)


def show_pipeline(person_id: int, filters_json: str) -> None:
    """The not-priced deals beside the Pipeline page's totals (its filters, the actor's area)."""
    items = _pipeline(person_id, filters_json)
    if not items:
        return
    st.warning(
        _("**Not in Amount**, for want of an exchange rate:")
        + "\n"
        + _lines(items)
        + "\n\n"
        + _(ADD_RATES),
        icon="💱",
    )
