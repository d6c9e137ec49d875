"""Bottom-up figures: the commitments to the plan that managers and reps make, month by
month, set side by side with the top-down target.

Rules:
- A rep enters their own bottom-up figures; a manager those of the regions they manage and
  the reps in them; directors and administrators anyone's (see rules.commit_refusal).
- A rep's commitment to the plan is stored with the rep's region; a region's with person empty.
- A rep who has entered nothing has not committed yet; that is not a commitment of 0. A
  region's commitment is complete when entered for the region or when all its reps have
  committed; until then it is what was committed so far, with no gap.
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
from core.i18n import _
from core.models import Actor, to_amount
from core.org import audit
from core.org.company import fiscal_start_month
from core.org.regions import load_region_tree
from core.plans.cells import PlanCells, load_cells, plan_by_id, plan_months
from core.plans.grid import region_grid
from core.plans.rules import commit_refusal, ensure, view_region_refusal
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
            raise NotFound(_("No person with id {person_id}.").format(person_id=person_id))
        region_id = person.region_id
    if region_id is None:
        raise ValidationFailed(_("Say whose commitment this is: a rep or a region."))
    ensure(commit_refusal(actor, person_id, region_id))
    months = plan_months(fiscal_year, fiscal_start_month(session))
    checked: dict[int, Decimal] = {}
    for index, raw in amounts.items():  # every amount checked before anything is written
        if not 0 <= int(index) < 12:
            raise ValidationFailed(
                _("Month {index} is not in the fiscal year.").format(index=index)
            )
        checked[int(index)] = to_amount(
            raw, _("The commitment for {months:%b %Y}").format(months=months[index])
        )
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


COLUMNS = [
    "kind",
    "name",
    "target",
    "commitment",
    "reps",
    "reps_committed",
    "complete",
    "gap",
    "gap_pct",
]


def topdown_vs_bottomup(
    session: Session,
    actor: Actor,
    plan_id: int,
    region_id: int,
    *,
    cells: PlanCells | None = None,
) -> pd.DataFrame:
    """Per sub-region and rep of a region: yearly target, bottom-up figure and gap.

    A rep's commitment is the rep's own; a rep who has entered none has not committed yet
    (commitment empty), which is not the same as committing to 0. A sub-region's commitment
    is the one entered for it, else what its reps committed so far: complete only once every
    rep of the sub-region in the plan has committed. The gap (commitment - target, and as a
    share of the target) is given only for complete commitments, so one rep's early figure
    never reads as the whole region's shortfall. `cells` are the plan's as loaded, when the
    caller has them already.
    """
    ensure(view_region_refusal(actor, region_id))
    plan = plan_by_id(session, plan_id)
    if cells is None:
        cells = load_cells(session, plan)
    grid = region_grid(session, actor, plan_id, region_id, cells=cells)
    tree = load_region_tree(session)
    by_person = {
        person: Decimal(amount)
        for person, amount in session.execute(
            select(Commitment.person_id, func.sum(Commitment.amount))
            .where(Commitment.fiscal_year == plan.fiscal_year, Commitment.person_id.is_not(None))
            .group_by(Commitment.person_id)
        )
    }
    by_region_own = {
        region: Decimal(amount)
        for region, amount in session.execute(
            select(Commitment.region_id, func.sum(Commitment.amount))
            .where(Commitment.fiscal_year == plan.fiscal_year, Commitment.person_id.is_(None))
            .group_by(Commitment.region_id)
        )
    }
    rows = []
    for __, row in grid.rows.iterrows():
        kind, key = row["key"].split(":")
        ident = int(key)
        if kind == "rep":
            reps = {ident}
        else:
            below = tree.subtree(ident)
            reps = {pid for pid, region in cells.rep if region in below}
        committed_reps = [pid for pid in sorted(reps) if pid in by_person]
        committed: Decimal | None
        if kind == "region" and ident in by_region_own:
            committed, complete = by_region_own[ident], True
        elif committed_reps:
            committed = sum((by_person[pid] for pid in committed_reps), Decimal(0))
            complete = len(committed_reps) == len(reps)
        else:
            committed, complete = None, False
        target = Decimal(int(row["Total"]))
        gap = committed - target if complete and committed is not None else None
        rows.append(
            {
                "kind": kind,
                "name": row["name"],
                "target": target,
                "commitment": committed,
                "reps": len(reps),
                "reps_committed": len(committed_reps),
                "complete": complete,
                "gap": gap,
                "gap_pct": (gap / target).quantize(Decimal("0.0001"))
                if gap is not None and target
                else None,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)
