"""Manual weights: the director weighs each rep by hand (the "manual" method).

Business rules:
- Every active rep of the company's active regions carries a share of the plan; a rep's share
  is their weight over the sum of all weights (then ramped like any other method).
- Weights are zero or more and at least one is positive; a rep left out weighs 0.
- The weights entered are kept with the plan, so allocating again starts from them; a rep
  without a kept weight (hired since) starts at 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.errors import ValidationFailed
from core.i18n import _
from core.models import Actor, Role, to_amount
from core.org.regions import load_region_tree
from core.plans.allocation import carrying_reps
from core.plans.rules import allocate_refusal, ensure
from db.schema import Person

DEFAULT_WEIGHT = Decimal(1)


def weight_table(
    session: Session, actor: Actor, kept: Mapping[int, Decimal] | None = None
) -> pd.DataFrame:
    """The reps who would carry a plan, with a weight each to edit: person_id, rep, region,
    weight (the `kept` weight of the plan being allocated again, else 1). Directors only."""
    ensure(allocate_refusal(actor))
    tree = load_region_tree(session)
    reps = carrying_reps(session, tree)
    names = dict(
        session.execute(
            select(Person.id, Person.name).where(
                Person.id.in_([p for p, _region, _hire in reps] or [0])
            )
        ).all()
    )
    kept = kept or {}
    rows = [
        {
            "person_id": pid,
            "rep": names[pid],
            "region": tree.names.get(region_id, ""),
            "weight": kept.get(pid, DEFAULT_WEIGHT),
        }
        for pid, region_id, __ in reps
    ]
    frame = pd.DataFrame(rows, columns=["person_id", "rep", "region", "weight"])
    return frame.sort_values(["region", "rep"], kind="stable").reset_index(drop=True)


def weights_by_login(session: Session, rows: Iterable[Mapping[str, str]]) -> dict[int, Decimal]:
    """Weights from a table of `rep` (username or email) and `weight`, as person id -> weight.

    Every row is checked before anything is used: an unknown or inactive rep, a person who is
    not a rep, a rep named twice or a weight that is not a number is refused naming the row.
    """
    weights: dict[int, Decimal] = {}
    table = list(rows)
    logins = sorted({str(row.get("rep") or "").strip().lower() for row in table} - {""})
    found: dict[str, Any] = {}
    if logins:  # everyone named in the file, in one query
        for match in session.execute(
            select(
                Person.id,
                Person.name,
                Person.role,
                Person.active,
                func.lower(Person.username).label("username"),
                func.lower(Person.email).label("email"),
            )
            .where(
                or_(func.lower(Person.username).in_(logins), func.lower(Person.email).in_(logins))
            )
            .order_by(Person.id)
        ):
            for key in (match.username, match.email):
                if key in logins:
                    found.setdefault(key, match)
    for number, row in enumerate(table, start=2):  # row 1 is the header
        login = str(row.get("rep") or "").strip()
        if not login:
            raise ValidationFailed(
                _("Row {number}: say which rep (username or email).").format(number=number)
            )
        person = found.get(login.lower())
        if person is None:
            raise ValidationFailed(
                _("Row {number}: there is no person '{login}'.").format(number=number, login=login)
            )
        if person.role != Role.REP or not person.active:
            raise ValidationFailed(
                _("Row {number}: {name} is not an active rep.").format(
                    number=number, name=person.name
                )
            )
        if person.id in weights:
            raise ValidationFailed(
                _("Row {number}: {name} is named twice.").format(number=number, name=person.name)
            )
        weights[person.id] = to_amount(
            row.get("weight", ""),
            _("Row {number}: the weight of {name}").format(number=number, name=person.name),
        )
    if not weights:
        raise ValidationFailed(_("The weights file has no rows; give each rep a weight."))
    return weights
