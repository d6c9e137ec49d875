"""The chance of making the number: stage calibration and the Monte Carlo inputs.

- A stage's calibrated win probability comes from the stage history of the most recently
  closed deals (core.progress.forecast.calibrated_probability shrinks it towards the configured
  probability when history is thin).
- Each entity's largest open deals of the period are simulated one by one; the smaller rest
  enters as one normal total per stage with the same mean and variance. The open deals are
  exactly those of the period's open pipeline (core.progress.figures.open_in).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from core.models import Period
from core.progress import figures, forecast
from db.schema import Deal, DealStageHistory, DealStatus, Stage

SIMULATED_DEALS = 200
"""Open deals per entity simulated one by one (the largest); the smaller rest is drawn as one
normal total per entity with the same mean and variance (central limit theorem)."""
CALIBRATION_DEALS = 20_000
"""Stage-to-won conversion is measured on this many of the most recently closed deals."""


class StageCalibration(BaseModel):
    """A stage's configured probability and the one calibrated from past deals."""

    stage_id: int
    stage: str
    configured: Decimal
    entered: int
    won: int
    calibrated: Decimal


def stage_calibration(
    session: Session, today: date | None = None, sample: int = CALIBRATION_DEALS
) -> list[StageCalibration]:
    """Per open stage: of the `sample` most recently closed deals (won or lost, closed up to
    today) that entered the stage, the share won, shrunk towards the configured probability
    (core.forecast.calibrated_probability). The sample bounds the work at any database size."""
    today = today or date.today()
    recent = (
        select(Deal.id, Deal.status)
        .where(Deal.closed_on <= today)  # status is checked outside: keeps the date index
        .order_by(Deal.closed_on.desc(), Deal.id.desc())
        .limit(sample)
        .subquery()
    )
    rows = session.execute(
        select(
            DealStageHistory.to_stage_id,
            recent.c.status,
            func.count(func.distinct(DealStageHistory.deal_id)),
        )
        .join(recent, recent.c.id == DealStageHistory.deal_id)
        .where(recent.c.status.in_([DealStatus.WON, DealStatus.LOST]))
        .group_by(DealStageHistory.to_stage_id, recent.c.status)
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for stage_id, status, n in rows:
        counts.setdefault(stage_id, {})[status] = int(n)
    out = []
    stages = session.execute(
        select(Stage.id, Stage.name, Stage.probability, Stage.is_won, Stage.is_lost).order_by(
            Stage.position
        )
    )
    for stage_id, name, configured, is_won, is_lost in stages:
        if is_won or is_lost:
            continue
        seen = counts.get(stage_id, {})
        won = seen.get(DealStatus.WON, 0)
        entered = won + seen.get(DealStatus.LOST, 0)
        configured = Decimal(configured)
        out.append(
            StageCalibration(
                stage_id=stage_id,
                stage=name,
                configured=configured,
                entered=entered,
                won=won,
                calibrated=forecast.calibrated_probability(entered, won, configured),
            )
        )
    return out


def largest_open(
    session: Session,
    period: Period,
    today: date,
    *,
    base: Any,
    where: Sequence,
    single: bool,
    largest: int = SIMULATED_DEALS,
) -> dict[Any, list[tuple[float, int]]]:
    """The `largest` open deals of the period per base key: (amount, stage id). One query: an
    ORDER BY ... LIMIT for a single entity, a window function otherwise."""
    out: dict[Any, list[tuple[float, int]]] = {}
    amount = figures.credited_amount()
    if base is None:  # the company: one entity, no key
        base, single = literal(None), True
    if single:
        rows = session.execute(
            select(base, amount, Deal.stage_id)
            .where(*figures.open_in(period, today), amount.is_not(None), *where)
            .order_by(amount.desc(), Deal.id)
            .limit(largest)
        )
    else:
        rank = (
            func.row_number()
            .over(partition_by=base, order_by=(amount.desc(), Deal.id))
            .label("rank")
        )
        ranked = (
            select(base.label("key"), amount.label("amount"), Deal.stage_id, rank)
            .where(*figures.open_in(period, today), amount.is_not(None), *where)
            .subquery()
        )
        rows = session.execute(
            select(ranked.c.key, ranked.c.amount, ranked.c.stage_id).where(ranked.c.rank <= largest)
        )
    for key, value, stage_id in rows:
        out.setdefault(key, []).append((float(value), stage_id))
    return out


def simulate_entity(
    won: Decimal,
    target: Decimal | None,
    groups: list[figures.OpenPipeline],
    candidates: list[tuple[float, int]],
    calibrated: dict[int, Decimal],
    largest: int,
) -> tuple[forecast.Simulation, int, int]:
    """The entity's largest open deals one by one, the rest as a normal total per stage."""
    candidates = sorted(candidates, key=lambda d: -d[0])[:largest]
    stage_totals: dict[int, list] = {}
    for group in groups:
        for stage_id, (n, total, squares) in group.by_stage.items():
            sums = stage_totals.setdefault(stage_id, [0, 0.0, 0.0])
            sums[0] += n
            sums[1] += float(total)
            sums[2] += squares
    for amount, stage_id in candidates:
        sums = stage_totals[stage_id]
        sums[0] -= 1
        sums[1] -= amount
        sums[2] -= amount * amount
    tail_mean = tail_variance = 0.0
    tail_deals = 0
    for stage_id, (n, total, squares) in stage_totals.items():
        if n <= 0:
            continue
        p = float(calibrated.get(stage_id, 0))
        tail_deals += n
        tail_mean += p * max(total, 0.0)
        tail_variance += p * (1 - p) * max(squares, 0.0)
    result = forecast.simulate(
        won,
        target,
        [a for a, _ in candidates],
        [float(calibrated.get(s, 0)) for _, s in candidates],
        tail_mean=tail_mean,
        tail_variance=tail_variance,
    )
    return result, len(candidates), tail_deals
