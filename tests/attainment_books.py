"""The attainment rules written again with pandas over the raw rows, independently of
core.evaluation, core.currency and core.pipeline.pricing: the reference that report, page and
core figures are compared with.

Money: each deal is converted here from the exchange_rate rows (a closed deal at the rate in
effect on its close date, an open one at its currency's latest rate, since no rate is dated
after today; half up to cents; no rate in effect: not priced, left out). Credit: `deals` counts
every deal once (the company), `credit` has one row per credited person (the owner of an
unsplit deal, or each credit_split row with its region and its share, rounded here by largest
remainder) for the figures of reps and regions."""

from __future__ import annotations

import bisect
import calendar
import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from sqlalchemy import select, update

from db.schema import (
    AppSetting,
    CreditSplit,
    Deal,
    DealStageHistory,
    ExchangeRate,
    Person,
    PlanBudgetRate,
    Region,
    Stage,
    Target,
    TargetPlan,
)

CENT, RATIO = Decimal("0.01"), Decimal("0.0001")


def _frame(session, query) -> pd.DataFrame:
    result = session.execute(query)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def priced(session, deals: pd.DataFrame) -> pd.DataFrame:
    """The priced deals of a frame read with Deal.id, amount, currency, status and closed_on:
    `amount` in the company currency, `original` the deal's own amount."""
    deals = deals.rename(columns={"amount": "original"})
    deals["amount"] = company_amounts(session, deals)
    return deals[deals.amount.notna()].reset_index(drop=True)


def credited(session, deals: pd.DataFrame) -> pd.DataFrame:
    """One row per credited person of the priced `deals` (same columns): owner_id = the
    person, region_id = the region credited, amount = their share (the owner of an unsplit
    deal at 100 %)."""
    splits = _frame(
        session,
        select(
            CreditSplit.deal_id, CreditSplit.person_id, CreditSplit.region_id, CreditSplit.percent
        ).order_by(CreditSplit.deal_id, CreditSplit.id),
    )
    whole = deals[~deals.id.isin(set(splits.deal_id))]
    by_id = deals.set_index("id", drop=False)
    rows = []
    for deal_id, lines in splits.groupby("deal_id", sort=False):
        if deal_id not in by_id.index:
            continue  # not priced (or not read): no credit anywhere
        deal = by_id.loc[deal_id].to_dict()
        shares = split_shares(deal["amount"], [Decimal(p) for p in lines.percent])
        for person, region, share in zip(lines.person_id, lines.region_id, shares):
            rows.append({**deal, "owner_id": person, "region_id": region, "amount": share})
    return pd.concat([whole, pd.DataFrame(rows, columns=list(deals.columns))], ignore_index=True)


def company_amounts(session, deals: pd.DataFrame) -> list[Decimal | None]:
    """Each deal's amount in the company currency, from the rates table (None: not priced)."""
    setting = session.scalar(select(AppSetting.value).where(AppSetting.key == "company_currency"))
    if isinstance(setting, str) and setting.startswith('"'):
        setting = json.loads(setting)
    company = setting or "USD"
    rates: dict[str, tuple[list, list]] = {}
    for code, valid_from, rate in session.execute(
        select(ExchangeRate.currency, ExchangeRate.valid_from, ExchangeRate.rate).order_by(
            ExchangeRate.currency, ExchangeRate.valid_from
        )
    ):
        days, values = rates.setdefault(code, ([], []))
        days.append(valid_from)
        values.append(Decimal(rate))
    out: list[Decimal | None] = []
    for amount, code, status, closed_on in zip(
        deals.original, deals.currency, deals.status, deals.closed_on
    ):
        if code == company:
            out.append(Decimal(amount).quantize(CENT))
            continue
        days, values = rates.get(code, ([], []))
        if status == "open" or closed_on is None or pd.isna(closed_on):
            at = len(days)  # the latest rate: none is dated after today
        else:
            at = bisect.bisect_right(days, closed_on)
        if not at:
            out.append(None)
            continue
        exact = Decimal(amount) * values[at - 1]
        out.append(exact.quantize(CENT, rounding=ROUND_HALF_UP))
    return out


def split_shares(total: Decimal, percents: list[Decimal]) -> list[Decimal]:
    """Shares in cents adding up to `total`: floor each, then one cent each to the largest
    remainders, ties to the earlier row."""
    cents = int(total * 100)
    exact = [cents * int(p * 100) for p in percents]  # in 1/10,000 of a cent
    floors = [e // 10_000 for e in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] % 10_000), i))
    for i in order[: cents - sum(floors)]:
        floors[i] += 1
    return [Decimal(f) / 100 for f in floors]


class Books:
    """The raw rows, read once, and the business rules written again with pandas."""

    def __init__(self, session, period, today):
        self.period, self.today = period, today
        deals = _frame(
            session,
            select(
                Deal.id,
                Deal.owner_id,
                Deal.region_id,
                Deal.amount,
                Deal.currency,
                Deal.status,
                Deal.closed_on,
                Deal.expected_close,
                Deal.stage_id,
                Stage.probability,
            ).join(Stage, Stage.id == Deal.stage_id),
        )
        self.all_deals = deals  # priced or not (the stage calibration counts every deal)
        self.deals = priced(session, deals)
        self.credit = credited(session, self.deals)
        plan = session.scalar(
            select(TargetPlan.id)
            .where(
                TargetPlan.fiscal_year == period.fiscal_year,
                TargetPlan.measure == "revenue",
                TargetPlan.product_line == "",
                TargetPlan.status.in_(["approved", "locked"]),
            )
            .order_by(TargetPlan.version.desc())
        )
        self.targets = _frame(
            session,
            select(
                Target.id, Target.region_id, Target.person_id, Target.month, Target.amount
            ).where(Target.plan_id == plan),
        )
        assert not session.scalar(
            select(PlanBudgetRate.currency).where(PlanBudgetRate.plan_id == plan)
        ), "these books convert at dated rates only"
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
        d = self.all_deals
        closed = d[d.status.isin(["won", "lost"]) & (d.closed_on <= self.today)].sort_values(
            ["closed_on", "id"], ascending=False
        )[:20_000]
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

    def figures(self, deal_mask, target_mask, *, credit: bool = False) -> dict:
        """The figures of the rows of `deals` (or, with `credit`, of `credit`) in the mask."""
        p, d = self.period, (self.credit if credit else self.deals)
        assert deal_mask.index.equals(d.index), "a mask of the other frame"
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
            # one trial per deal: the shares a deal credits to the entity win or lose together
            deals = pipe.groupby("id", sort=False).agg(
                amount=("amount", "sum"), stage_id=("stage_id", "first")
            )
            row["probability"] = self.exact_probability(won_amount, target, deals)
        return row

    def exact_probability(self, won, target, pipe) -> float:
        """P(won + wins >= target) by dynamic programming over amounts in tens (each rounded
        to the nearest ten: a converted amount has cents; the error is far inside the
        simulation's tolerance)."""
        amounts = [int((a / 10).quantize(Decimal(1), rounding=ROUND_HALF_UP)) for a in pipe.amount]
        dist = np.zeros(sum(amounts) + 1)
        dist[0] = 1.0
        for amount, stage_id in zip(amounts, pipe.stage_id):
            p = self.calibrated[stage_id]
            shifted = np.zeros_like(dist)
            shifted[amount:] = dist[: len(dist) - amount]
            dist = dist * (1 - p) + shifted * p
        needed = (target - won) / 10
        return float(dist[np.arange(len(dist)) >= float(needed)].sum())


def make_uncertain(session, period, today) -> tuple[str, str, list[tuple[int, Decimal]]]:
    """Moves two targets of `period` to their won plus weighted pipeline, where the outcome is
    uncertain on any day the demo ends (late in a quarter the demo leaves nearly every region
    and rep decided): the own target of the region below the company, and the target of the
    rep, with the most open deals due in the rest of the period. Returns the region's name,
    the rep's email and the rows' (id, amount) before the change; the caller commits or rolls
    back."""
    books = Books(session, period, today)
    c, t = books.credit, books.targets
    rest = (c.status == "open") & c.expected_close.between(max(period.start, today), period.end)
    in_period = t.month.between(period.start, period.end)
    below_top = set(books.regions[books.regions.parent_id.notna()].id)
    regions = {
        int(r): (c.region_id.isin(books.subtree(r)), t.person_id.isna() & (t.region_id == r))
        for r in set(t[in_period & t.person_id.isna()].region_id) & below_top
    }
    reps = {
        int(p): (c.owner_id == p, t.person_id == p)
        for p in set(t[in_period & t.person_id.notna()].person_id)
    }
    before = []
    chosen = []
    for entities in (regions, reps):
        best = max(entities, key=lambda e: c[rest & entities[e][0]].id.nunique())
        deal_mask, target_mask = entities[best]
        assert c[rest & deal_mask].id.nunique(), "open deals due this period"
        figures = books.figures(deal_mask, target_mask, credit=True)
        goal = figures["won"] + figures["weighted_pipeline"]
        ids = [int(i) for i in t[target_mask & in_period].index]
        rows = [(int(t.id[i]), Decimal(t.amount[i])) for i in ids]
        each = (goal / len(rows)).quantize(CENT)
        for n, (target_id, __) in enumerate(rows):
            amount = goal - each * (len(rows) - 1) if n == len(rows) - 1 else each
            session.execute(update(Target).where(Target.id == target_id).values(amount=amount))
        before += rows
        chosen.append(best)
    region, rep = chosen
    return (
        str(books.regions[books.regions.id == region].name.iloc[0]),
        str(books.people[books.people.id == rep].email.iloc[0]),
        before,
    )


def restore_targets(session, rows: list[tuple[int, Decimal]]) -> None:
    """Puts back the target rows `make_uncertain` changed."""
    for target_id, amount in rows:
        session.execute(update(Target).where(Target.id == target_id).values(amount=amount))
