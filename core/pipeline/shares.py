"""Where split credit goes: each share to its person's region, frozen when the deal closes,
and who may open a deal because part of its credit is theirs (core.pipeline.credit sets
splits)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.schema import CreditSplit, Deal, Person


def freeze_regions(session: Session, deal: Deal) -> None:
    """When a split deal closes or reopens, each share goes to its person's region of that day
    (the owner's to the deal's credited region)."""
    if not deal.credit_shared:
        return
    regions = dict(
        session.execute(
            select(Person.id, Person.region_id)
            .join(CreditSplit, CreditSplit.person_id == Person.id)
            .where(CreditSplit.deal_id == deal.id)
        ).all()
    )
    for line in session.scalars(select(CreditSplit).where(CreditSplit.deal_id == deal.id)):
        if line.person_id == deal.owner_id:
            line.region_id = deal.region_id
        else:
            region = regions.get(line.person_id)
            if region is not None:
                line.region_id = region


def credited_to(session: Session, deal_id: int, person_id: int | None) -> bool:
    """Whether a person has a share of a split deal's credit (they may open the deal)."""
    if person_id is None:
        return False
    return (
        session.scalar(
            select(CreditSplit.id).where(
                CreditSplit.deal_id == deal_id, CreditSplit.person_id == person_id
            )
        )
        is not None
    )
