"""What the deal page shows of a deal's credit, and what the viewer may do with it.

The rules live in core.pipeline.credit; this read model only carries them to the screen:
- everyone who may open the deal sees its credit lines (person, region, percent, share);
- the owner's manager, directors and administrators may set the split, and see a pending
  proposal with its lines to apply or decline;
- the owner (when they may not set it) may propose a split and sees their pending proposal;
- the people a split may credit are the active people of the company with a region (the owner
  always, even after leaving: their part stays theirs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.errors import PermissionDenied
from core.i18n import _
from core.models import Actor
from core.pipeline import credit, pricing
from core.pipeline.deals import ensure_can_view_deal, load_deal
from db.schema import Person, Region


@dataclass(frozen=True)
class ShownLine:
    """One person's part as the deal page shows it."""

    person_id: int
    name: str
    region: str | None
    percent: Decimal
    amount: Decimal | None
    """The share in the company currency (None while the deal is not priced)."""


@dataclass(frozen=True)
class ShownProposal:
    """The owner's pending proposal, with the names of the people it credits."""

    proposed_by: str
    proposed_at: datetime
    lines: list[ShownLine]
    """Percent per person (no amounts: a proposal is not priced until applied)."""
    note: str | None


@dataclass(frozen=True)
class CreditSection:
    """A deal's credit for one viewer, with the permission flags the page needs."""

    deal_id: int
    version: int
    owner_id: int
    owner: str
    amount: Decimal
    """The deal's amount in its own currency."""
    currency: str
    company_amount: Decimal | None
    """The amount in the company currency (None: no rate in effect, not priced)."""
    company_currency: str
    shared: bool
    lines: list[ShownLine]
    can_set: bool
    """May replace the split, and apply or decline a proposal."""
    can_propose: bool
    """The owner, who proposes a split for their manager to apply."""
    proposal: ShownProposal | None
    """Shown to those who may set or propose; None when there is none."""


def _may_set(actor: Actor, deal) -> bool:
    try:
        credit.ensure_can_set_split(actor, deal)
    except PermissionDenied:
        return False
    return True


def credit_section(session: Session, actor: Actor, deal_id: int) -> CreditSection:
    """The deal's credit lines, its pending proposal and what the actor may do with them."""
    deal = load_deal(session, deal_id)
    ensure_can_view_deal(session, actor, deal)
    lines = credit.credit_lines(session, actor, deal_id)
    can_set = _may_set(actor, deal)
    can_propose = not can_set and actor.active and actor.id == deal.owner_id
    pending = credit.proposal(session, actor, deal_id) if can_set or can_propose else None
    people = {deal.owner_id, *(line.person_id for line in lines)}
    people |= set(pending.percents) if pending else set()
    names: dict[int, tuple[str, int | None]] = {
        pid: (name, region)
        for pid, name, region in session.execute(
            select(Person.id, Person.name, Person.region_id).where(Person.id.in_(people))
        )
    }
    region_ids = {line.region_id for line in lines} | {r for __, r in names.values()}
    region_ids.discard(None)
    regions: dict[int | None, str] = dict(
        session.execute(select(Region.id, Region.name).where(Region.id.in_(region_ids))).all()
    )
    shown = [
        ShownLine(line.person_id, line.name, regions.get(line.region_id), line.percent, line.amount)
        for line in lines
    ]
    proposal = None
    if pending is not None:
        proposal = ShownProposal(
            pending.proposed_by,
            pending.proposed_at,
            [
                ShownLine(pid, names[pid][0], regions.get(names[pid][1]), percent, None)
                for pid, percent in sorted(pending.percents.items(), key=lambda kv: -kv[1])
                if pid in names
            ],
            pending.note,
        )
    return CreditSection(
        deal_id=deal.id,
        version=deal.version,
        owner_id=deal.owner_id,
        owner=names[deal.owner_id][0],
        amount=Decimal(deal.amount),
        currency=deal.currency,
        company_amount=None if deal.company_amount is None else Decimal(deal.company_amount),
        company_currency=pricing.company_currency(session),
        shared=bool(deal.credit_shared),
        lines=shown,
        can_set=can_set,
        can_propose=can_propose,
        proposal=proposal,
    )


def split_candidates(session: Session, actor: Actor, deal_id: int) -> list[tuple[int, str]]:
    """The people a split of this deal may credit, as (id, "Name (Region)"), by name: the
    active people of the company with a region, and the owner. Only for those who may set or
    propose the deal's split."""
    deal = load_deal(session, deal_id)
    if not _may_set(actor, deal) and not (actor.active and actor.id == deal.owner_id):
        raise PermissionDenied(
            _(
                "Only the owner's manager, a director or an admin can split credit, and the owner "
                "can propose a split."
            )
        )
    rows = session.execute(
        select(Person.id, Person.name, Region.name)
        .outerjoin(Region, Region.id == Person.region_id)
        .where(
            or_(
                Person.id == deal.owner_id,
                Person.active.is_(True) & Person.region_id.is_not(None),
            )
        )
        .order_by(Person.name, Person.id)
    )
    return [(pid, f"{name} ({region})" if region else name) for pid, name, region in rows]


__all__ = ["CreditSection", "ShownLine", "ShownProposal", "credit_section", "split_candidates"]
