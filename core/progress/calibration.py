"""The chance of making the number: stage calibration and the Monte Carlo inputs.

- A stage's calibrated win probability comes from the stage history of the most recently
  closed deals (core.progress.forecast.calibrated_probability shrinks it towards the configured
  probability when history is thin).
- Each entity's largest open deals of the period are simulated one by one; the smaller rest
  enters as one normal total per stage with the same mean and variance. The open deals are
  exactly those of the period's open pipeline (core.progress.figures.open_in).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from core import clock, memo
from core.models import Period
from core.progress import figures, forecast
from db.schema import CreditSplit, Deal, DealStageHistory, DealStatus, Stage

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
    (core.forecast.calibrated_probability). The sample bounds the work at any database size.
    Remembered per session and day until the session next writes (core.memo: a page asks for
    it from its headline and from its table in the same read)."""
    today = today or clock.today()
    found = memo.remembered(
        session, ("stage_calibration", today, sample), lambda: _calibration(session, today, sample)
    )
    return list(found)


def _calibration(session: Session, today: date, sample: int) -> list[StageCalibration]:
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
) -> dict[Any, list[tuple[float, int, int]]]:
    """The `largest` open deals of the period per base key: (amount, stage id, deal id), a
    split deal at each credited person's (and region's) share, like the open pipeline. One
    query per part of the figure (unsplit deals, split shares): an ORDER BY ... LIMIT for a
    single entity, a window function otherwise."""
    found: dict[Any, list[tuple[float, int, int]]] = {}
    by = next((name for name, column in figures.KEYS.items() if column is base), "company")
    conditions = [*figures.open_in(period, today), *where]
    for key, amount, part_where, split in figures.credit_parts(session, by, conditions, period):
        if key is None:  # the company: one entity, no key
            key, single = literal(None), True
        source = Deal.__table__.join(CreditSplit.__table__) if split else Deal.__table__
        if single:
            rows = session.execute(
                select(key, amount, Deal.stage_id, Deal.id)
                .select_from(source)
                .where(amount.is_not(None), *part_where)
                .order_by(amount.desc(), Deal.id)
                .limit(largest)
            )
        else:
            rank = (
                func.row_number()
                .over(partition_by=key, order_by=(amount.desc(), Deal.id))
                .label("rank")
            )
            ranked = (
                select(key.label("key"), amount.label("amount"), Deal.stage_id, Deal.id, rank)
                .select_from(source)
                .where(amount.is_not(None), *part_where)
                .subquery()
            )
            rows = session.execute(
                select(ranked.c.key, ranked.c.amount, ranked.c.stage_id, ranked.c.id).where(
                    ranked.c.rank <= largest
                )
            )
        for found_key, value, stage_id, deal_id in rows:
            found.setdefault(found_key, []).append((float(value), deal_id, stage_id))
    out: dict[Any, list[tuple[float, int, int]]] = {}
    for k, rows_of_key in found.items():
        rows_of_key.sort(key=lambda r: (-r[0], r[1]))
        out[k] = [(value, stage_id, deal_id) for value, deal_id, stage_id in rows_of_key[:largest]]
    return out


Candidate = tuple[float, int, list[float]]
"""A deal simulated one by one: its amount for the entity, its stage, and the parts of the
open pipeline it stands for (one amount, or the shares credited to the entity's keys)."""


def by_deal(lists: Iterable[list[tuple[float, int, int]]]) -> list[Candidate]:
    """An entity's candidates from the lists of its base keys, one per deal: the shares of a
    deal credited to several of its keys are added up (the deal wins or loses once)."""
    merged: dict[int, Candidate] = {}
    for rows in lists:
        for amount, stage_id, deal_id in rows:
            total, stage, parts = merged.get(deal_id, (0.0, stage_id, []))
            merged[deal_id] = (total + amount, stage, [*parts, amount])
    return list(merged.values())


def simulate_entity(
    won: Decimal,
    target: Decimal | None,
    groups: list[figures.OpenPipeline],
    candidates: list[Candidate],
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
    for __, stage_id, parts in candidates:
        sums = stage_totals[stage_id]
        sums[0] -= len(parts)
        sums[1] -= sum(parts)
        sums[2] -= sum(part * part for part in parts)
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
        [a for a, _stage, _parts in candidates],
        [float(calibrated.get(s, 0)) for _amount, s, _parts in candidates],
        tail_mean=tail_mean,
        tail_variance=tail_variance,
    )
    return result, len(candidates), tail_deals
