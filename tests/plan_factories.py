"""Helpers for plan tests: the demo people by username and an independent sum check."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from sqlalchemy import select

from core.models import Actor
from core.org.access import load_actor
from db.schema import Person, Region, Target


def actor_named(session, username: str) -> Actor:
    return load_actor(session, session.scalar(select(Person.id).where(Person.username == username)))


def target_rows(session, plan_id: int) -> pd.DataFrame:
    result = session.execute(
        select(Target.region_id, Target.person_id, Target.month, Target.amount, Target.locked)
        .where(Target.plan_id == plan_id)
        .order_by(Target.region_id, Target.person_id, Target.month)
    )
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    frame["amount"] = frame["amount"].map(Decimal)
    return frame


def sum_problems(session, plan_id: int, padding_pct: Decimal = Decimal(0)) -> list[str]:
    """Every (region, month) where the region row is not its sub-regions plus its reps (reps
    carrying the padded share), computed with pandas independently of core.plans."""
    rows = target_rows(session, plan_id)
    parents = dict(session.execute(select(Region.id, Region.parent_id)).all())
    regions = rows[rows.person_id.isna()]
    reps = rows[rows.person_id.notna()]
    region_amount = {(r, m): a for r, m, a in zip(regions.region_id, regions.month, regions.amount)}
    kids: dict = {}
    for (region, month), amount in region_amount.items():
        parent = parents.get(region)
        if parent is not None:
            kids[(parent, month)] = kids.get((parent, month), Decimal(0)) + amount
    rep_sum = reps.groupby(["region_id", "month"])["amount"].sum().to_dict()
    problems = []
    for (region, month), amount in region_amount.items():
        own = amount - kids.get((region, month), Decimal(0))
        has_reps = (region, month) in rep_sum
        has_kids = (region, month) in kids
        if not has_reps and not has_kids:
            continue
        if own < 0:
            problems.append(f"{region} {month}: sub-regions exceed the region")
        expected_reps = (own * (100 + padding_pct) / 100).to_integral_value(
            rounding="ROUND_CEILING"
        )
        if has_reps and rep_sum[(region, month)] != expected_reps:
            problems.append(f"{region} {month}: reps {rep_sum[(region, month)]} != {expected_reps}")
        if not has_reps and own != 0:
            problems.append(f"{region} {month}: {own} not given to anyone")
    for region, month in rep_sum:
        if (region, month) not in region_amount:
            problems.append(f"{region} {month}: reps without a region row")
    return problems
