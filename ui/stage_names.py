"""The names of the pipeline's fixed vocabulary as people read them in their language.

The standard stages, their exit checklists and deal-team roles (core.pipeline.standard_stages)
and the standard lost reasons (core.pipeline.lost_reasons) are data: an empty database starts
with them and the administrator may rename them. They are marked here so the catalogues carry
their Chinese names; `shown()` reads a standard name in the current language and lets a
company's own names through unchanged. Deal statuses, forecast categories and the lead-to-cash
steps are enum values whose names are shown with the same helper.
"""

from __future__ import annotations

from datetime import datetime
from typing import overload

from core.i18n import N_, _, day, is_chinese

STANDARD_NAMES = (
    # the standard stages
    N_("Lead"),
    N_("Qualified"),
    N_("Technical exchange"),
    N_("Requirements and solution"),
    N_("Evaluation"),
    N_("Negotiation"),
    N_("Won"),
    N_("Lost"),
    # their exit checklists
    N_("Contact identified"),
    N_("Need confirmed"),
    N_("Budget confirmed"),
    N_("Decision maker known"),
    N_("Technical workshop held"),
    N_("Requirements documented"),
    N_("Solution proposed"),
    N_("Proof of value accepted"),
    N_("Terms agreed"),
    N_("Legal review done"),
    # the deal-team roles they require
    N_("pre-sales engineer"),
    N_("solution consultant"),
    N_("executive sponsor"),
    N_("finance"),
    N_("legal"),
    N_("executive"),
    # the standard lost reasons
    N_("Price"),
    N_("Competitor"),
    N_("No decision"),
    N_("Timing"),
    N_("Product fit"),
    N_("Budget cut"),
)
"""Every standard name of the pipeline, so extraction puts it into the catalogue."""

STATUS_NAMES = {"open": N_("open"), "won": N_("won"), "lost": N_("lost")}
"""A deal's status as the pipeline filter and table show it (the value stays the enum's)."""

FORECAST_NAMES = {
    "commit": N_("commit"),
    "best_case": N_("best case"),
    "pipeline": N_("pipeline"),
    "omitted": N_("omitted"),
}
"""A forecast category as people read it."""

CASH_NAMES = {
    "contract_signed": N_("contract signed"),
    "invoiced": N_("invoiced"),
    "paid": N_("paid"),
}
"""Where a won deal stands from contract to cash, as the pipeline table shows it."""

ACTIVITY_NAMES = {
    "visit": N_("visit"),
    "call": N_("call"),
    "meeting": N_("meeting"),
    "demo": N_("demo"),
    "email": N_("email"),
}
"""A kind of activity as a deal's activity table shows it."""


@overload
def shown(name: str) -> str: ...
@overload
def shown(name: None) -> None: ...
def shown(name: str | None) -> str | None:
    """A stage, checklist item, team role or lost reason in the current language: a standard
    name reads translated, a company's own name (and no name) as it is."""
    return _(name) if isinstance(name, str) and name else name


def status_name(value: object) -> str:
    return _(STATUS_NAMES.get(str(value), str(value)))


def forecast_name(value: object) -> str:
    return _(FORECAST_NAMES.get(str(value), str(value).replace("_", " ")))


def cash_name(value: object) -> str | None:
    if value is None or value != value:  # None or NaN: not won, or no step yet
        return None
    return _(CASH_NAMES.get(str(value), str(value)))


def activity_name(value: object) -> str:
    return _(ACTIVITY_NAMES.get(str(value), str(value)))


def moment(value: datetime, *, at: bool = False) -> str:
    """A moment as a sentence shows it: "01 Dec 2026 14:05" (with `at`: "01 Dec 2026 at
    14:05"), "2026年12月1日 14:05"."""
    if is_chinese():
        return f"{day(value)} {value:%H:%M}"
    return f"{value:%d %b %Y at %H:%M}" if at else f"{value:%d %b %Y %H:%M}"
