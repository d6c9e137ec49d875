"""A customer's timeline: its deals, stage changes, activities and record changes, newest first.

Deals and activities outside the viewer's scope show as existence only (whose deal, its stage
and expected close; the kind of activity and who did it), see `core.org.access.deals_in_view`.

A deal's entries carry its amount in its own currency; the deal's own entries (opened, won,
lost) also its company amount, or `not_priced` with its currency's `first_rate` to say why
(`core.pipeline.deal_amounts`). A stage change keeps the amount of that moment, without a
conversion.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
from sqlalchemy import case, select
from sqlalchemy.orm import Session, aliased

from core.customers.archive import get_customer
from core.i18n import N_, _
from core.models import Actor, DealStatus
from core.org.access import activities_in_view, deals_in_view
from core.pipeline.deal_amounts import amount_columns
from db.schema import Activity, AuditLog, Deal, DealStageHistory, Person, Stage

TIMELINE_COLUMNS = [
    "when",
    "kind",
    "what",
    "amount",
    "currency",
    "company_amount",
    "not_priced",
    "first_rate",
    "who",
    "amount_hidden",
]
"""`amount` is in the deal's `currency`; `company_amount` in the company currency (a deal's own
entries only; `not_priced` True when it has none, `first_rate` then its currency's first rate);
`amount_hidden` is True where the entry has an amount the viewer may not see."""
NO_MONEY = (None, None, None, False, None)
"""The money columns of an entry without an amount (an activity, a record change)."""

_AUDIT_LABELS = {
    "create": N_("Customer created"),
    "edit": N_("Profile changed"),
    "add_contact": N_("Contact added"),
    "edit_contact": N_("Contact changed"),
    "remove_contact": N_("Contact removed"),
    "reassign": N_("Owner changed"),
    "merge": N_("Duplicate merged in"),
}


def _audit_text(action: str, before: dict | None, after: dict | None) -> str:
    before, after = before or {}, after or {}
    label = _(_AUDIT_LABELS[action]) if action in _AUDIT_LABELS else action
    if action in ("add_contact", "edit_contact"):
        return f"{label}: {after.get('name', '')}" + (
            f" ({after['title']})" if after.get("title") else ""
        )
    if action == "remove_contact":
        return f"{label}: {before.get('name', '')}"
    if action == "reassign":
        return f"{label}: {before.get('owner') or 'nobody'} → {after.get('owner')}"
    if action == "merge":
        return f"{label}: {before.get('name', '')}"
    if action == "edit":
        return f"{label}: " + ", ".join(sorted(after))
    return label


def customer_timeline(
    session: Session, actor: Actor, customer_id: int, *, limit: int = 200
) -> pd.DataFrame:
    """Deals, stage changes, activities and record changes of one customer, newest first.

    Deals and activities outside the actor's scope show as existence only: whose deal, its
    stage and expected close, the kind of activity and who did it; no deal name, amount,
    outcome or notes."""
    get_customer(session, customer_id)
    Owner, DealOwner = aliased(Person), aliased(Person)
    FromStage, ToStage = aliased(Stage), aliased(Stage)
    shown_deal = case((deals_in_view(actor), 1), else_=0)
    events: list[tuple] = []

    deals = session.execute(
        select(
            Deal.name,
            Deal.created_on,
            Deal.closed_on,
            Deal.expected_close,
            Deal.status,
            Deal.amount,
            *amount_columns(),
            Stage.name.label("stage"),
            Owner.name.label("owner"),
            shown_deal.label("shown"),
        )
        .join(Stage, Stage.id == Deal.stage_id)
        .join(Owner, Owner.id == Deal.owner_id)
        .where(Deal.customer_id == customer_id)
        .order_by(Deal.created_on.desc())
        .limit(limit)
    ).all()
    for row in deals:
        if row.shown:
            opened = _("{name} opened (now: {stage})").format(name=row.name, stage=row.stage)
            ended = f"{row.name} {row.status}"
            money = (
                row.amount,
                row.currency,
                row.company_amount,
                row.company_amount is None,
                row.first_rate,
            )
        else:
            expected = row.expected_close.isoformat()
            opened = _("A deal of {owner} (now: {stage}, expected close {expected})").format(
                owner=row.owner, stage=row.stage, expected=expected
            )
            ended = _("A deal of {owner} {status}").format(owner=row.owner, status=_(row.status))
            money = NO_MONEY
        hidden = not row.shown
        events.append((_at(row.created_on), _("Deal"), opened, *money, row.owner, hidden))
        if row.closed_on is not None and row.status != DealStatus.OPEN:
            events.append((_at(row.closed_on), _("Deal"), ended, *money, row.owner, hidden))

    changes = session.execute(
        select(
            DealStageHistory.changed_at,
            Deal.name,
            FromStage.name,
            ToStage.name,
            DealStageHistory.amount,
            Deal.currency,
            Owner.name,
            DealOwner.name,
            shown_deal,
        )
        .join(Deal, Deal.id == DealStageHistory.deal_id)
        .join(DealOwner, DealOwner.id == Deal.owner_id)
        .outerjoin(FromStage, FromStage.id == DealStageHistory.from_stage_id)
        .join(ToStage, ToStage.id == DealStageHistory.to_stage_id)
        .outerjoin(Owner, Owner.id == DealStageHistory.changed_by_id)
        .where(Deal.customer_id == customer_id)
        .order_by(DealStageHistory.changed_at.desc())
        .limit(limit)
    ).all()
    for changed_at, deal, from_stage, to_stage, amount, code, who, owner, shown in changes:
        move = f"{from_stage} → {to_stage}" if from_stage else f"entered {to_stage}"
        what = (
            f"{deal}: {move}"
            if shown
            else _("A deal of {owner}: {move}").format(owner=owner, move=move)
        )
        paid = (amount, code) if shown else (None, None)
        events.append(
            (_at(changed_at), _("Stage change"), what, *paid, None, False, None, who, not shown)
        )

    activities = session.execute(
        select(
            Activity.occurred_on,
            Activity.type,
            Activity.outcome,
            Activity.notes,
            Owner.name,
            case((activities_in_view(actor), 1), else_=0),
        )
        .join(Owner, Owner.id == Activity.person_id)
        .where(Activity.customer_id == customer_id)
        .order_by(Activity.occurred_on.desc(), Activity.id.desc())
        .limit(limit)
    ).all()
    for occurred, kind, outcome, notes, who, shown in activities:
        parts = (_(kind.capitalize()), outcome, notes) if shown else (_(kind.capitalize()),)
        text = " · ".join(p for p in parts if p)
        events.append((_at(occurred), _("Activity"), text, *NO_MONEY, who, False))

    entries = session.execute(
        select(AuditLog.at, AuditLog.action, AuditLog.before, AuditLog.after, AuditLog.actor_label)
        .where(AuditLog.entity == "customer", AuditLog.entity_id == customer_id)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit)
    ).all()
    for at, action, before, after, who in entries:
        events.append((at, _("Record"), _audit_text(action, before, after), *NO_MONEY, who, False))

    events.sort(key=lambda e: e[0], reverse=True)
    return pd.DataFrame(events[:limit], columns=TIMELINE_COLUMNS)


def _at(day: date | datetime) -> datetime:
    """Dates sort as the start of their day, so a change made today shows above today's deals."""
    if isinstance(day, datetime):
        return day
    return datetime.combine(day, datetime.min.time())
