"""Deals not priced: the alert that tells administrators and directors which currencies lack
a rate.

A deal whose currency has no rate in effect on its day (close date when won or lost, today
when open) is left out of every figure (core.currency). One alert per such currency names how
many deals, their amount in that currency and the dates without a rate, and points to the
Exchange rates page. Reps and managers never see it: rates are kept by administrators and
directors.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from core.i18n import _, ngettext
from core.models import Actor
from core.performance.alert_settings import RULES, Alert, AlertThresholds
from core.progress import figures
from core.progress.figures import NotPriced

RULE = "not_priced"


def not_priced_message(item: NotPriced) -> str:
    """'3 deals, 41,000 EUR, not priced: no EUR rate before 2026-01-04.'"""
    amount = f"{item.amount:,.0f}"
    code = item.currency
    deals = f"{item.deals:,}"
    if item.first_rate is None:
        text = ngettext(
            "{deals} deal, {amount} {code}, not priced: no {code} rate.",
            "{deals} deals, {amount} {code}, not priced: no {code} rate.",
            item.deals,
        )
        return text.format(deals=deals, amount=amount, code=code)
    text = ngettext(
        "{deals} deal, {amount} {code}, not priced: no {code} rate before {first}.",
        "{deals} deals, {amount} {code}, not priced: no {code} rate before {first}.",
        item.deals,
    )
    return text.format(deals=deals, amount=amount, code=code, first=item.first_rate.isoformat())


def not_priced_alerts(
    session: Session,
    actor: Actor,
    today: date,
    limits: AlertThresholds,
    names: dict,
    limit: int | None,
    subjects=None,
) -> list[Alert]:
    """One alert per currency with deals not priced (administrators and directors only)."""
    if not actor.sees_everything:
        return []
    out = []
    for item in figures.not_priced(session, []):
        if subjects is not None and item.currency not in subjects:
            continue
        first = item.first_rate.isoformat() if item.first_rate else None
        out.append(
            Alert(
                key=f"{RULE}:currency:{item.currency}:{item.deals}:{first or 'none'}",
                rule=RULE,
                rule_label=_(RULES[RULE]),
                severity="high",
                subject_type="currency",
                subject_id=None,
                subject=item.currency,
                owner_id=None,
                owner="",
                region="",
                message=_(
                    "{not_priced} These deals are left out of every figure until the "
                    "Exchange rates page has a rate for them."
                ).format(not_priced=not_priced_message(item)),
                figures={
                    "currency": item.currency,
                    "deals": item.deals,
                    "amount": str(item.amount),
                    "first_rate": first,
                },
            )
        )
    return out[:limit] if limit else out


def not_priced_count(session: Session, actor: Actor) -> int:
    """How many not-priced alerts the actor has: one per currency, for those who see them."""
    return len(figures.not_priced(session, [])) if actor.sees_everything else 0
