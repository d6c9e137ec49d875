"""Who a deal's revenue credit goes to: 100 % to the owner, or split between people.

Rules (core.currency holds the arithmetic):
- The owner's manager (for a deal in their area), directors and administrators set a split;
  the owner proposes one, and it counts only once one of them applies it.
- Percentages have at most two decimals and add up to exactly 100; a split of 100 % to the
  owner is no split.
- Each person's share is credited to the region of that person: today's while the deal is
  open, frozen when it closes (the owner's share to the deal's own credited region).
- A split change is audited and versions the deal like any other edit, so an edit made on an
  older copy of the deal is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from core import currency
from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.i18n import _
from core.models import Actor, Role
from core.org import audit
from core.org.access import ensure_active, in_scope
from core.pipeline import pricing
from core.pipeline.deals import check_version, ensure_can_view_deal, load_deal, save_deal
from core.pipeline.rules import EditConflict
from db.results import affected_rows
from db.schema import CreditSplit, CreditSplitProposal, Deal, Person


@dataclass(frozen=True)
class CreditLine:
    """One person's part of a deal's credit."""

    person_id: int
    name: str
    region_id: int | None
    percent: Decimal
    amount: Decimal | None
    """In the company currency (None while the deal is not priced)."""


@dataclass(frozen=True)
class Proposal:
    """A split the owner proposed, waiting for a manager."""

    proposed_by: str
    proposed_at: datetime
    percents: dict[int, Decimal]
    note: str | None


def credit_lines(session: Session, actor: Actor, deal_id: int) -> list[CreditLine]:
    """The deal's credit, one line per person (the owner at 100 % for a deal not split)."""
    deal = load_deal(session, deal_id)
    ensure_can_view_deal(session, actor, deal)
    if not deal.credit_shared:
        owner = session.get(Person, deal.owner_id)
        name = owner.name if owner else ""
        return [CreditLine(deal.owner_id, name, deal.region_id, Decimal(100), deal.company_amount)]
    rows = session.execute(
        select(CreditSplit, Person.name)
        .join(Person, Person.id == CreditSplit.person_id)
        .where(CreditSplit.deal_id == deal_id)
        .order_by(CreditSplit.percent.desc(), Person.name)
    )
    return [
        CreditLine(s.person_id, name, s.region_id, Decimal(s.percent), s.amount) for s, name in rows
    ]


def ensure_can_set_split(actor: Actor, deal: Deal) -> None:
    """The owner's manager (deal in their area), directors and administrators."""
    ensure_active(actor)
    if actor.sees_everything:
        return
    if actor.role == Role.MANAGER and in_scope(actor, deal.region_id):
        return
    if actor.id == deal.owner_id:
        raise PermissionDenied(
            _(
                "Your manager sets how a deal's credit is split; propose a split and "
                "they can apply it."
            )
        )
    raise PermissionDenied(_("Only the owner's manager, a director or an admin can split credit."))


def _checked(session: Session, deal: Deal, percents: Mapping[int, object]) -> dict[int, Decimal]:
    shares = currency.split_percents(dict(percents))
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(set(shares))))}
    for person_id in shares:
        person = people.get(person_id)
        if person is None:
            raise NotFound(_("No person with id {person_id}.").format(person_id=person_id))
        if not person.active and person_id != deal.owner_id:
            raise ValidationFailed(
                _("{name} is no longer active and cannot get credit.").format(name=person.name)
            )
        if person.region_id is None and person_id != deal.owner_id:
            raise ValidationFailed(
                _("{name} has no region, so their credit has nowhere to go.").format(
                    name=person.name
                )
            )
    return shares


def _lines_text(session: Session, deal_id: int) -> dict[str, str]:
    rows = session.execute(
        select(Person.name, CreditSplit.percent)
        .join(Person, Person.id == CreditSplit.person_id)
        .where(CreditSplit.deal_id == deal_id)
        .order_by(Person.name)
    )
    return {name: f"{Decimal(pct):.2f}" for name, pct in rows}


def _write(session: Session, actor: Actor, deal: Deal, shares: dict[int, Decimal]) -> None:
    before = _lines_text(session, deal.id) if deal.credit_shared else {}
    session.execute(delete(CreditSplit).where(CreditSplit.deal_id == deal.id))
    whole = shares == {deal.owner_id: Decimal(100)}
    if not whole:
        regions = dict(
            session.execute(
                select(Person.id, Person.region_id).where(Person.id.in_(set(shares)))
            ).all()
        )
        for person_id, percent in shares.items():
            region = deal.region_id if person_id == deal.owner_id else regions[person_id]
            session.add(
                CreditSplit(deal_id=deal.id, person_id=person_id, region_id=region, percent=percent)
            )
    deal.credit_shared = not whole
    save_deal(session, actor.id, deal)
    pricing.share_amounts(session, [deal.id])
    audit.record(
        session,
        actor,
        "deal.split",
        "deal",
        deal.id,
        before={"split": before or "100 % to the owner"},
        after={"split": _lines_text(session, deal.id) or "100 % to the owner"},
    )
    session.flush()


def set_split(
    session: Session,
    actor: Actor,
    deal_id: int,
    seen_version: int,
    percents: Mapping[int, object],
) -> None:
    """Replace the deal's split ({person id: percent}); a pending proposal is settled by it."""
    deal = load_deal(session, deal_id)
    ensure_can_set_split(actor, deal)
    check_version(session, actor, deal, seen_version)
    shares = _checked(session, deal, percents)
    session.execute(delete(CreditSplitProposal).where(CreditSplitProposal.deal_id == deal_id))
    _write(session, actor, deal, shares)


def propose_split(
    session: Session,
    actor: Actor,
    deal_id: int,
    percents: Mapping[int, object],
    note: str | None = None,
) -> None:
    """The owner proposes a split (it replaces an earlier proposal); it counts once applied."""
    deal = load_deal(session, deal_id)
    ensure_active(actor)
    if actor.id != deal.owner_id:
        raise PermissionDenied(_("Only the deal's owner proposes a split."))
    shares = _checked(session, deal, percents)
    note = (note or "").strip()[:300] or None
    session.execute(delete(CreditSplitProposal).where(CreditSplitProposal.deal_id == deal_id))
    lines = {str(k): f"{v:.2f}" for k, v in shares.items()}
    session.add(
        CreditSplitProposal(deal_id=deal_id, proposed_by_id=actor.id, lines=lines, note=note)
    )
    audit.record(
        session, actor, "deal.split_proposed", "deal", deal_id, after={"lines": lines, "note": note}
    )
    session.flush()


def proposal(session: Session, actor: Actor, deal_id: int) -> Proposal | None:
    """The pending proposal of a deal the actor may see (None when there is none)."""
    deal = load_deal(session, deal_id)
    ensure_can_view_deal(session, actor, deal)
    row = session.execute(
        select(CreditSplitProposal, Person.name)
        .join(Person, Person.id == CreditSplitProposal.proposed_by_id)
        .where(CreditSplitProposal.deal_id == deal_id)
    ).first()
    if row is None:
        return None
    found, name = row
    return Proposal(
        name,
        found.proposed_at,
        {int(k): Decimal(v) for k, v in (found.lines or {}).items()},
        found.note,
    )


def apply_proposal(session: Session, actor: Actor, deal_id: int, seen_version: int) -> None:
    """A manager applies the owner's proposal as the deal's split."""
    ensure_can_set_split(actor, load_deal(session, deal_id))
    found = proposal(session, actor, deal_id)
    if found is None:
        raise NotFound(_("This deal has no proposed split to apply."))
    set_split(session, actor, deal_id, seen_version, found.percents)


def reject_proposal(session: Session, actor: Actor, deal_id: int) -> None:
    """A manager declines the owner's proposal; the split stays as it is."""
    deal = load_deal(session, deal_id)
    ensure_can_set_split(actor, deal)
    removed = affected_rows(
        session.execute(delete(CreditSplitProposal).where(CreditSplitProposal.deal_id == deal_id))
    )
    if not removed:
        raise NotFound(_("This deal has no proposed split to decline."))
    audit.record(session, actor, "deal.split_declined", "deal", deal_id)
    session.flush()


def _who(deal: Deal) -> str:
    return deal.external_id or deal.name


def replace_splits(
    session: Session,
    actor: Actor,
    splits: Mapping[int, Mapping[int, object]],
    *,
    check_only: bool = False,
) -> int:
    """Replace the splits of many deals at once ({deal id: {person id: percent}}, an import):
    the rules of set_split for each deal, checked in a few queries for all of them before
    anything is written. A split of 100 % to the owner ends the deal's split. Each deal is
    versioned and audited ("deal.split"); returns how many deals were written (none when
    `check_only`)."""
    ensure_active(actor)
    ids = sorted(splits)
    if not ids:
        return 0
    checked = {d: currency.split_percents(dict(splits[d])) for d in ids}
    deals: dict[int, Deal] = {}
    for start in range(0, len(ids), pricing.BATCH):
        chunk = ids[start : start + pricing.BATCH]
        deals.update({d.id: d for d in session.scalars(select(Deal).where(Deal.id.in_(chunk)))})
    current = session.execute(
        select(CreditSplit.deal_id, CreditSplit.person_id, CreditSplit.percent).where(
            CreditSplit.deal_id.in_(ids)
        )
    ).all()
    person_ids = {p for shares in checked.values() for p in shares} | {r[1] for r in current}
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(person_ids)))}
    for deal_id in ids:
        deal = deals.get(deal_id)
        if deal is None:
            raise NotFound(_("No deal with id {deal_id}.").format(deal_id=deal_id))
        try:
            ensure_can_set_split(actor, deal)
        except PermissionDenied as exc:
            raise PermissionDenied(
                _("You may not split the credit of deal {who}. {exc}").format(
                    who=_who(deal), exc=exc
                )
            ) from None
        for person_id in checked[deal_id]:
            person = people.get(person_id)
            if person is None:
                raise NotFound(_("No person with id {person_id}.").format(person_id=person_id))
            if person_id == deal.owner_id:
                continue
            if not person.active:
                raise ValidationFailed(
                    _("{name} is no longer active and cannot get credit on deal {who}.").format(
                        name=person.name, who=_who(deal)
                    )
                )
            if person.region_id is None:
                raise ValidationFailed(
                    _(
                        "{name} has no region, so their credit on deal {who} has nowhere to go."
                    ).format(name=person.name, who=_who(deal))
                )
    if check_only:
        return 0
    before: dict[int, dict[str, str]] = {}
    for deal_id, person_id, percent in sorted(current, key=lambda r: people[r[1]].name):
        before.setdefault(deal_id, {})[people[person_id].name] = f"{Decimal(percent):.2f}"
    session.execute(delete(CreditSplit).where(CreditSplit.deal_id.in_(ids)))
    session.execute(delete(CreditSplitProposal).where(CreditSplitProposal.deal_id.in_(ids)))
    now = datetime.now().replace(microsecond=0)
    for deal_id in ids:
        deal, shares = deals[deal_id], checked[deal_id]
        whole = shares == {deal.owner_id: Decimal(100)}
        if not whole:
            for person_id, percent in shares.items():
                own = person_id == deal.owner_id
                region = deal.region_id if own else people[person_id].region_id
                session.add(
                    CreditSplit(
                        deal_id=deal_id, person_id=person_id, region_id=region, percent=percent
                    )
                )
        deal.credit_shared = not whole
        deal.updated_by_id = actor.id
        deal.updated_at = now
        flag_modified(deal, "updated_at")  # each split change versions its deal
        session.add(deal)
    try:
        session.flush()
    except StaleDataError as exc:
        raise EditConflict(
            _("Someone else saved one of these deals a moment ago; no split was saved. Try again.")
        ) from exc
    pricing.share_amounts(session, ids)
    for deal_id in ids:
        deal, shares = deals[deal_id], checked[deal_id]
        after = {people[p].name: f"{v:.2f}" for p, v in shares.items()}
        audit.record(
            session,
            actor,
            "deal.split",
            "deal",
            deal_id,
            before={"split": before.get(deal_id) or "100 % to the owner"},
            after={"split": "100 % to the owner" if not deal.credit_shared else after},
        )
    session.flush()
    return len(ids)
