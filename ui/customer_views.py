"""Small display helpers for the customers page: form messages and table shaping."""

from __future__ import annotations

import pandas as pd
from pydantic import ValidationError

from core.customers.duplicates import DuplicateCandidate
from core.i18n import N_, _
from ui.flash import error_message
from ui.format import amount_in, as_text, is_missing, not_priced

FIELD_LABELS = {
    "name": N_("Name"),
    "region_id": N_("Region"),
    "owner_id": N_("Owner"),
    "industry": N_("Industry"),
    "segment": N_("Segment"),
    "status": N_("Status"),
    "annual_potential": N_("Annual potential"),
    "external_id": N_("External id"),
    "title": N_("Title"),
    "email": N_("Email"),
    "phone": N_("Phone"),
}


def input_errors(exc: ValidationError) -> str:
    """One line per wrong field, named as on the form: "Email: enter an email address..."."""
    return error_message(exc, field_labels())


def field_labels() -> dict[str, str]:
    """The form's field names in the current language, for refusals naming a field."""
    return {field: _(label) for field, label in FIELD_LABELS.items()}


def duplicates_table(candidates: list[DuplicateCandidate]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                _("Customer"): c.name,
                _("Region"): c.region,
                _("Owner"): c.owner or "–",
                _("Similarity"): f"{c.similarity:.0%}",
                _("Why"): _("same name, same region")
                if c.blocking
                else (_("same name, other region") if c.exact else _("very similar name")),
            }
            for c in candidates
        ]
    )


HIDDEN = "—"
"""Shown for an amount the viewer's scope does not cover."""


def timeline_table(frame: pd.DataFrame, company_code: str) -> pd.DataFrame:
    """Dates without midnight times; dates and times where the time is known. Amounts as
    text in their currency's decimals, "—" where the entry has one the viewer may not see (as
    the core read model says), empty where it has none (an activity); a deal's own entries
    also in the company currency, or why the deal is not priced; "–" for who when no person
    made the change."""
    out = frame.copy()
    if "amount_hidden" in out:
        out["amount"] = [
            HIDDEN if hidden else ("" if is_missing(amount) else amount_in(amount, code))
            for amount, code, hidden in zip(out["amount"], out["currency"], out["amount_hidden"])
        ]
        out["currency"] = ["" if is_missing(code) else code for code in out["currency"]]
        out["company_amount"] = [
            not_priced(code, first)
            if unpriced
            else ("" if is_missing(value) else amount_in(value, company_code))
            for value, code, unpriced, first in zip(
                out["company_amount"], out["currency"], out["not_priced"], out["first_rate"]
            )
        ]
        out = out.drop(columns=["amount_hidden", "not_priced", "first_rate"])
    if "who" in out:  # a change made by the system (an import, a migration) has no person
        out["who"] = as_text(out["who"])
    out["when"] = (
        [
            w.strftime("%Y-%m-%d")
            if (w.hour, w.minute, w.second) == (0, 0, 0)
            else w.strftime("%Y-%m-%d %H:%M")
            for w in pd.to_datetime(out["when"])
        ]
        if not out.empty
        else []
    )
    return out
