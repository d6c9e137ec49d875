"""Bottom-up figures: the commitments to the plan that managers and reps make, month by
month, set side by side with the top-down target.

Rules:
- A rep enters their own bottom-up figures; a manager those of the regions they manage and
  the reps in them; directors and administrators anyone's (see rules.commit_refusal).
- A rep's commitment to the plan is stored with the rep's region; a region's with person empty.
- Gap = commitment - target (negative: the team commits to less than it was given).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import NotFound, ValidationFailed
from core.models import Actor, to_amount
from core.org import audit
from core.org.company import fiscal_start_month
from core.org.regions import load_region_tree
from core.plans.cells import plan_by_id, plan_months
from core.plans.grid import region_grid
from core.plans.rules import commit_refusal, ensure
from db.schema import Commitment, Person


def set_commitments(
    session: Session,
    actor: Actor,
    fiscal_year: int,
    amounts: Mapping[int, Decimal],
    *,
    person_id: int | None = None,
    region_id: int | None = None,
) -> int:
    """Store the monthly bottom-up figures (month index 0..11 -> amount) of one rep or
    region."""
    person = None
    if person_id is not None:
        person = session.get(Person, person_id)
        if person is None:
            raise NotFound(f"No person with id {person_id}.")
        region_id = person.region_id
    if region_id is None:
        raise ValidationFailed("Say whose commitment this is: a rep or a region.")
    ensure(commit_refusal(actor, person_id, region_id))
    months = plan_months(fiscal_year, fiscal_start_month(session))
    checked: dict[int, Decimal] = {}
    for index, raw in amounts.items():  # every amount checked before anything is written
        if not 0 <= int(index) < 12:
            raise ValidationFailed(f"Month {index} is not in the fiscal year.")
        checked[int(index)] = to_amount(raw, f"The commitment for {months[index]:%b %Y}")
    changed = 0
    for index, amount in checked.items():
        row = session.scalar(
            select(Commitment).where(
                Commitment.fiscal_year == fiscal_year,
                Commitment.region_id == region_id,
                Commitment.person_id.is_(None)
                if person_id is None
                else Commitment.person_id == person_id,
                Commitment.month == months[index],
            )
        )
        if row is None:
            row = Commitment(
                fiscal_year=fiscal_year,
                region_id=region_id,
                person_id=person_id,
                month=months[index],
                amount=amount,
                entered_by_id=actor.id,
            )
            session.add(row)
        else:
            row.amount = amount
            row.entered_by_id = actor.id
        changed += 1
    audit.record(
        session,
        actor,
        "commit",
        "commitment",
        person_id or region_id,
        after={
            "fiscal_year": fiscal_year,
            "person_id": person_id,
            "region_id": region_id,
            "amounts": {months[i].isoformat(): a for i, a in checked.items()},
        },
    )
    session.flush()
    return changed


def my_commitments(session: Session, actor: Actor, fiscal_year: int) -> dict[date, Decimal]:
    """The acting user's own bottom-up figures for the year, by month."""
    rows = session.execute(
        select(Commitment.month, Commitment.amount).where(
            Commitment.fiscal_year == fiscal_year, Commitment.person_id == actor.id
        )
    )
    return {month: Decimal(amount) for month, amount in rows}


def topdown_vs_bottomup(
    session: Session, actor: Actor, plan_id: int, region_id: int
) -> pd.DataFrame:
    """Per sub-region and rep of a region: yearly target, bottom-up figure and gap.

    A sub-region's commitment is the one entered for it, else the sum of what its reps
    committed; a rep's is the rep's own.
    """
    grid = region_grid(session, actor, plan_id, region_id)
    plan = plan_by_id(session, plan_id)
    tree = load_region_tree(session)
    by_person = dict(
        session.execute(
            select(Commitment.person_id, func.sum(Commitment.amount))
            .where(Commitment.fiscal_year == plan.fiscal_year, Commitment.person_id.is_not(None))
            .group_by(Commitment.person_id)
        ).all()
    )
    by_region_own = dict(
        session.execute(
            select(Commitment.region_id, func.sum(Commitment.amount))
            .where(Commitment.fiscal_year == plan.fiscal_year, Commitment.person_id.is_(None))
            .group_by(Commitment.region_id)
        ).all()
    )
    by_region_reps = dict(
        session.execute(
            select(Commitment.region_id, func.sum(Commitment.amount))
            .where(Commitment.fiscal_year == plan.fiscal_year, Commitment.person_id.is_not(None))
            .group_by(Commitment.region_id)
        ).all()
    )
    rows = []
    for _, row in grid.rows.iterrows():
        kind, key = row["key"].split(":")
        ident = int(key)
        committed: Decimal | None
        if kind == "rep":
            committed = by_person.get(ident)
        elif ident in by_region_own:
            committed = by_region_own[ident]
        else:
            values = [by_region_reps[r] for r in tree.subtree(ident) if r in by_region_reps]
            committed = sum(values, Decimal(0)) if values else None
        target = Decimal(int(row["Total"]))
        committed = None if committed is None else Decimal(committed)
        rows.append(
            {
                "kind": kind,
                "name": row["name"],
                "target": target,
                "commitment": committed,
                "gap": None if committed is None else committed - target,
            }
        )
    return pd.DataFrame(rows, columns=["kind", "name", "target", "commitment", "gap"])
