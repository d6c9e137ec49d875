"""The attainment rules written again with pandas over the raw rows, independently of
core.evaluation: the reference that report, page and core figures are compared with."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
from sqlalchemy import select

from db.schema import Deal, DealStageHistory, Person, Region, Stage, Target, TargetPlan

CENT, RATIO = Decimal("0.01"), Decimal("0.0001")


def _frame(session, query) -> pd.DataFrame:
    result = session.execute(query)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


class Books:
    """The raw rows, read once, and the business rules written again with pandas."""

    def __init__(self, session, period, today):
        self.period, self.today = period, today
        self.deals = _frame(
            session,
            select(
                Deal.id,
                Deal.owner_id,
                Deal.region_id,
                Deal.amount,
                Deal.status,
                Deal.closed_on,
                Deal.expected_close,
                Deal.stage_id,
                Stage.probability,
            ).join(Stage, Stage.id == Deal.stage_id),
        )
        plan = session.scalar(
            select(TargetPlan.id)
            .where(
                TargetPlan.fiscal_year == period.fiscal_year,
                TargetPlan.status.in_(["approved", "locked"]),
            )
            .order_by(TargetPlan.version.desc())
        )
        self.targets = _frame(
            session,
            select(Target.region_id, Target.person_id, Target.month, Target.amount).where(
                Target.plan_id == plan
            ),
        )
        self.regions = _frame(session, select(Region.id, Region.name, Region.parent_id))
        self.people = _frame(session, select(Person.id, Person.email))
        self.history = _frame(
            session, select(DealStageHistory.deal_id, DealStageHistory.to_stage_id)
        )
        self.stages = _frame(session, select(Stage.id, Stage.probability))
        self.calibrated = self._calibrate()

    def subtree(self, region_id) -> set[int]:
        out, frontier = {region_id}, {region_id}
        while frontier:
            frontier = set(self.regions[self.regions.parent_id.isin(frontier)].id)
            out |= frontier
        return out

    def _calibrate(self) -> dict[int, float]:
        closed = self.deals[
            self.deals.status.isin(["won", "lost"]) & (self.deals.closed_on <= self.today)
        ].sort_values(["closed_on", "id"], ascending=False)[:20_000]
        joined = self.history.merge(closed[["id", "status"]], left_on="deal_id", right_on="id")
        out = {}
        for stage_id, configured in zip(self.stages.id, self.stages.probability):
            seen = joined[joined.to_stage_id == stage_id].drop_duplicates("deal_id")
            won = int((seen.status == "won").sum())
            value = (Decimal(won) + 20 * configured) / Decimal(len(seen) + 20)
            out[stage_id] = float(value.quantize(RATIO))
        return out

    def expected(self, monthly: pd.DataFrame) -> Decimal:
        total = Decimal(0)
        for month, amount in zip(monthly.month, monthly.amount):
            days = calendar.monthrange(month.year, month.month)[1]
            last = date(month.year, month.month, days)
            if last < self.today:
                share = Decimal(1)
            elif month > self.today:
                share = Decimal(0)
            else:
                share = Decimal(self.today.day) / Decimal(days)
            total += amount * share
        return total.quantize(CENT)

    def figures(self, deal_mask, target_mask) -> dict:
        p, d = self.period, self.deals
        won = d[deal_mask & (d.status == "won") & d.closed_on.between(p.start, p.end)]
        # Open pipeline: expected close in the rest of the period (overdue deals count nowhere);
        # an ended period has none, and no forecast.
        ended = p.end < self.today
        pipe = d[
            deal_mask
            & (d.status == "open")
            & d.expected_close.between(max(p.start, self.today), p.end)
        ]
        monthly = self.targets[target_mask & self.targets.month.between(p.start, p.end)]
        won_amount = sum(won.amount, Decimal(0))
        open_amount = sum(pipe.amount, Decimal(0))
        weighted = sum((a * q for a, q in zip(pipe.amount, pipe.probability)), Decimal(0))
        target = sum(monthly.amount, Decimal(0)) if len(monthly) else None
        row = {
            "target": target,
            "won": won_amount,
            "attainment": (won_amount / target).quantize(RATIO) if target else None,
            "expected_to_date": self.expected(monthly) if len(monthly) else None,
            "gap": target - won_amount if target is not None else None,
            "open_pipeline": open_amount,
            "weighted_pipeline": weighted.quantize(CENT),
            "forecast": None if ended else won_amount + weighted.quantize(CENT),
            "probability": None,
        }
        if target is not None and not ended:
            row["probability"] = self.exact_probability(won_amount, target, pipe)
        return row

    def exact_probability(self, won, target, pipe) -> float:
        """P(won + wins >= target), exactly, by dynamic programming over amounts in tens."""
        amounts = [int(a / 10) for a in pipe.amount]
        assert all(Decimal(a) * 10 == b for a, b in zip(amounts, pipe.amount))
        dist = np.zeros(sum(amounts) + 1)
        dist[0] = 1.0
        for amount, stage_id in zip(amounts, pipe.stage_id):
            p = self.calibrated[stage_id]
            shifted = np.zeros_like(dist)
            shifted[amount:] = dist[: len(dist) - amount]
            dist = dist * (1 - p) + shifted * p
        needed = (target - won) / 10
        return float(dist[np.arange(len(dist)) >= float(needed)].sum())
