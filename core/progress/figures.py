"""THE figures: won, lost, open pipeline, weighted pipeline, created pipeline and targets.

Every screen, report, alert, email and benchmark reads these functions; nothing else in the
code queries a deal amount or a target row to compute one of these figures. Each is one grouped
query for any period, keyed by the dimension asked for (the deal's credited region, its owner,
the month, or a customer / product attribute), never a query per row.

Definitions (a sales director's reading):
- Credit. A deal counts for the region stored on it (the owner's region when it was won, or
  today's for an open deal) and for its owner. `credited_amount` is the one place where a
  deal's amount enters a figure, so currency conversion and a credit split are one change there.
- Won in a period: deals won whose close date falls in the period, at their amount.
- Lost in a period: deals lost whose close date falls in the period.
- Open pipeline of a period: open deals whose expected close falls in the part of the period
  still ahead, from today (included) to the period's end. An open deal whose expected close has
  already passed is *overdue*: it counts in no period's pipeline until its owner sets a new
  expected close, and it is shown apart as overdue. So a period that has ended has no open
  pipeline and no forecast: only its result.
- Weighted pipeline: each open deal's amount times its stage's configured probability.
- Created pipeline in a period: deals created in the period (whatever happened to them since),
  at their amount.
- Target of a period: the sum of the monthly target rows of the period in the active plan (the
  newest approved or locked version of the fiscal year's plan of the measure and product
  line). A region's target is its own rows (region rows, not its reps'); a rep's target is the
  rep's rows (optionally only those planned in some regions, for a rep who moved). A week's
  target is its working days' part of each month it touches.
- Other measures (`achieved`): units are the quantity of deals won, deals created the deals
  opened, visits the customer visits logged; a product line's figures count every product
  of the line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    Column,
    ColumnElement,
    SQLColumnExpression,
    case,
    event,
    false,
    func,
    literal,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors

from core.models import Period
from core.pipeline import pricing  # noqa: F401  (keeps every deal's company amount on write)
from core.pipeline.flags import overdue_sql

# Re-exported: every caller reads targets and counts from this module.
from core.progress.amounts import CENT as CENT
from core.progress.amounts import ZERO, money
from core.progress.spans import covering as covering
from core.progress.spans import period_index as period_index
from core.progress.targets_read import TargetParts as TargetParts
from core.progress.targets_read import _target_rows as _target_rows
from core.progress.targets_read import active_plan_id
from core.progress.targets_read import region_target_totals as region_target_totals
from core.progress.targets_read import region_targets_by_month as region_targets_by_month
from core.progress.targets_read import rep_target_parts as rep_target_parts
from core.progress.targets_read import rep_target_totals as rep_target_totals
from core.progress.targets_read import rep_targets_by_month as rep_targets_by_month
from db.schema import (
    CreditSplit,
    Customer,
    Deal,
    DealStatus,
    ExchangeRate,
    PlanBudgetRate,
    Product,
    Stage,
)
from db.sql_dates import days_between

KEYS: dict[str, Any] = {
    "company": None,
    "region": Deal.region_id,
    "owner": Deal.owner_id,
    "segment": Customer.segment,
    "industry": Customer.industry,
    "product_line": Product.product_line,
}
"""The dimensions a figure can be grouped by."""


def credited_amount() -> SQLColumnExpression[Decimal | None]:
    """The amount a deal contributes to a figure: its company amount (core.currency's rule),
    NULL when not priced, so no sum ever adds a foreign amount as if 1:1."""
    return Deal.company_amount


@dataclass(frozen=True)
class Tally:
    """An amount and the number of (priced) deals behind it."""

    amount: Decimal = ZERO
    deals: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.amount + other.amount, self.deals + other.deals)


@dataclass(frozen=True)
class WonTally(Tally):
    """Won amount and deals, with the days from creation to win added up (for cycle time)."""

    cycle_days: float = 0.0


# --- credit: who a deal counts for -------------------------------------------------------------

_SPLIT = CreditSplit.__table__.c
_CREDIT_COLUMNS = {"owner_id": _SPLIT.person_id, "region_id": _SPLIT.region_id}


_NO_OPTS: dict[str, Any] = {}


def _credit_column(element: Any, **_kw: Any) -> Any:
    if isinstance(element, Column) and element.table is Deal.__table__:
        return _CREDIT_COLUMNS.get(element.key)
    return None


def _names_credit(conditions: Sequence) -> bool:
    return any(
        _credit_column(element) is not None
        for condition in conditions
        for element in visitors.iterate(condition)
    )


def _to_split(conditions: Sequence) -> list:
    """Conditions on a deal's owner or region, read on the split's person and region."""
    return [
        visitors.replacement_traverse(cast(ColumnElement, condition), _NO_OPTS, _credit_column)
        for condition in conditions
    ]


BUDGET_KEY = "figures.budget_rates"


def budget_rates(session: Session, period: Period | None) -> dict[str, Decimal]:
    """The budget rates the active plan of the period's fiscal year fixes (often none). Read
    once per session and fiscal year (a page reads many figures of one period); any write in
    the session forgets them (see `_forget_budget_rates`)."""
    if period is None:
        return {}
    known: dict[int, dict[str, Decimal]] = session.info.setdefault(BUDGET_KEY, {})
    if period.fiscal_year not in known:
        plan_id = active_plan_id(session, period.fiscal_year)
        query = select(PlanBudgetRate.currency, PlanBudgetRate.rate).where(
            PlanBudgetRate.plan_id == plan_id
        )
        known[period.fiscal_year] = (
            {} if plan_id is None else {c: Decimal(r) for c, r in session.execute(query)}
        )
    return known[period.fiscal_year]


def _forget_budget_rates(session: Session, *_args: Any) -> None:
    """A flush may approve a plan or change its rates, a commit or rollback ends what was
    read: read them again."""
    session.info.pop(BUDGET_KEY, None)


for _moment in ("after_flush", "after_commit", "after_rollback"):
    event.listen(Session, _moment, _forget_budget_rates)


def _at_budget(budget: dict[str, Decimal], full: Any, at_rate: Any) -> Any:
    """`full` for deals in a currency without a budget rate, else the deal at the budget
    rate (core.currency.convert in SQL: half up to cents)."""
    if not budget:
        return full
    return case(
        *((Deal.currency == code, at_rate(rate)) for code, rate in sorted(budget.items())),
        else_=full,
    )


def _cents(value: Any) -> Any:
    return func.round(value, 2)


def _parts(by: str, conditions: Sequence, budget: dict[str, Decimal]) -> list[tuple]:
    """The queries a figure adds up: (key, amount, conditions, split?). Grouped by owner or
    region, or filtered on them, split deals count through their shares; the company and
    deal attributes count every deal once, at 100 %."""
    whole = _at_budget(budget, Deal.company_amount, lambda r: _cents(Deal.amount * r))
    key = KEYS[by]
    if by not in ("owner", "region") and not _names_credit(conditions):
        return [(key, whole, list(conditions), False)]
    share = _at_budget(
        budget,
        CreditSplit.amount,
        lambda r: _cents(_cents(Deal.amount * r) * CreditSplit.percent / 100),
    )
    split_key = _CREDIT_COLUMNS[key.key] if by in ("owner", "region") else key
    return [
        (key, whole, [Deal.credit_shared.is_(False), *conditions], False),
        (split_key, share, [Deal.credit_shared.is_(True), *_to_split(conditions)], True),
    ]


def credit_parts(
    session: Session, by: str, conditions: Sequence, period: Period | None = None
) -> list[tuple]:
    """The parts of a figure read deal by deal (the simulation's largest open deals): (key,
    amount, conditions, split?), as the sums below add them up."""
    return _parts(by, conditions, budget_rates(session, period))


def _sums(
    session: Session,
    by: str,
    conditions: Sequence,
    measures: Callable[[Any], list],
    *,
    groups: Sequence = (),
    period: Period | None = None,
) -> dict[tuple, list]:
    """(key, *groups) -> the measures of `measures(amount)` and a count of priced deals,
    added up over the parts of `_parts`. `period` picks the budget rates, if any."""
    out: dict[tuple, list] = {}
    for key, amount, where, split in _parts(by, conditions, budget_rates(session, period)):
        columns = [*measures(amount), func.count(amount)]
        query = select(key if key is not None else literal(None), *groups, *columns)
        query = query.select_from(Deal)
        if split:
            query = query.join(CreditSplit, CreditSplit.deal_id == Deal.id)
        if by in ("segment", "industry"):
            query = query.join(Customer, Customer.id == Deal.customer_id)
        elif by == "product_line":
            query = query.outerjoin(Product, Product.id == Deal.product_id)
        grouping = ([key] if key is not None else []) + list(groups)
        query = query.where(*where)
        if grouping:
            query = query.group_by(*grouping)
        for row in session.execute(query):
            values = list(row[1 + len(groups) :])
            if not values[-1]:
                continue  # no priced deal (an ungrouped aggregate still returns a row)
            index = (None if key is None else row[0], *row[1 : 1 + len(groups)])
            sums = out.setdefault(index, [0] * len(values))
            for i, value in enumerate(values):
                sums[i] += value or 0
    return out


def won_in(period: Period) -> list[ColumnElement[bool]]:
    """The SQL condition of "won in the period"."""
    return [Deal.status == DealStatus.WON, Deal.closed_on.between(period.start, period.end)]


def won(
    session: Session,
    period: Period,
    *,
    by: str = "region",
    where: Sequence = (),
    cycle_days: bool = False,
) -> dict[Any, WonTally]:
    """Won in the period by `by`: amount and deals, and with `cycle_days` the days from
    creation to win added up (it reads the creation date, so only the scorecard asks). A split
    deal counts once for each credited person, with that person's share."""

    def measures(amount: Any) -> list:
        days = days_between(session, Deal.closed_on, Deal.created_on)
        return [
            func.sum(amount),
            func.sum(case((amount.is_not(None), days))) if cycle_days else func.sum(0),
        ]

    rows = _sums(session, by, [*won_in(period), *where], measures, period=period)
    return {
        k: WonTally(money(amount), int(n), float(days or 0))
        for (k,), (amount, days, n) in rows.items()
    }


def won_by_month(
    session: Session, period: Period, *, by: str = "region", where: Sequence = ()
) -> dict[tuple[Any, date], Decimal]:
    """Won in the period by `by` and calendar month of the close date."""
    year, month_no = func.extract("year", Deal.closed_on), func.extract("month", Deal.closed_on)
    rows = _sums(
        session,
        by,
        [*won_in(period), *where],
        lambda amount: [func.sum(amount)],
        groups=[year, month_no],
        period=period,
    )
    return {(k, date(int(y), int(m), 1)): money(amount) for (k, y, m), (amount, _n) in rows.items()}


def won_by_day(session: Session, period: Period, *, where: Sequence = ()) -> dict[date, Decimal]:
    """Won in the period by close date."""
    rows = _sums(
        session,
        "company",
        [*won_in(period), *where],
        lambda amount: [func.sum(amount)],
        groups=[Deal.closed_on],
        period=period,
    )
    return {day: money(amount) for (__, day), (amount, _n) in rows.items() if day is not None}


def _tallies(
    session: Session, by: str, conditions: Sequence, period: Period | None
) -> dict[Any, Tally]:
    rows = _sums(session, by, conditions, lambda amount: [func.sum(amount)], period=period)
    return {k: Tally(money(amount), int(n)) for (k,), (amount, n) in rows.items()}


def lost(
    session: Session, period: Period, *, by: str = "region", where: Sequence = ()
) -> dict[Any, Tally]:
    """Lost in the period by `by` (deals lost with a close date in the period)."""
    conditions = [
        Deal.status == DealStatus.LOST,
        Deal.closed_on.between(period.start, period.end),
        *where,
    ]
    return _tallies(session, by, conditions, period)


def created(
    session: Session, period: Period, *, by: str = "region", where: Sequence = ()
) -> dict[Any, Tally]:
    """Pipeline created in the period by `by`: deals created in it, at their amount."""
    conditions = [Deal.created_on.between(period.start, period.end), *where]
    return _tallies(session, by, conditions, period)


# --- open pipeline ----------------------------------------------------------------------------


def open_window(period: Period, today: date) -> tuple[date, date] | None:
    """The expected-close dates whose open deals count in the period's pipeline: from today
    (or the period's start, if later) to its end; None once the period has ended."""
    start = max(period.start, today)
    return (start, period.end) if start <= period.end else None


def open_in(period: Period, today: date) -> list[ColumnElement[bool]]:
    """The SQL condition of "open and counting in the period's pipeline"."""
    window = open_window(period, today)
    if window is None:
        return [false()]
    return [Deal.status == DealStatus.OPEN, Deal.expected_close.between(*window)]


def overdue_on(today: date) -> list[ColumnElement[bool]]:
    """The SQL condition of "open, expected close already passed" (in no period's pipeline):
    the deal flag of the stage model (core.pipeline.flags)."""
    return [overdue_sql(today)]


@dataclass
class OpenPipeline:
    """Open deals of one key counting in a period: by stage (count, amount, sum of squared
    amounts, for the simulation) and by forecast category."""

    by_stage: dict[int, list] = field(default_factory=dict)
    by_category: dict[str, Decimal] = field(default_factory=dict)

    @property
    def amount(self) -> Decimal:
        return sum((total for __, total, __ in self.by_stage.values()), ZERO)

    @property
    def deals(self) -> int:
        return sum(n for n, __, __ in self.by_stage.values())

    def weighted(self, probabilities: dict[int, Decimal]) -> Decimal:
        """Amount x the stage's probability, summed, to the cent."""
        parts = (
            total * probabilities.get(stage, ZERO)
            for stage, (__, total, __) in self.by_stage.items()
        )
        return money(sum(parts, ZERO))

    def plus(self, other: OpenPipeline) -> OpenPipeline:
        out = OpenPipeline()
        for part in (self, other):
            for stage, (n, total, squares) in part.by_stage.items():
                sums = out.by_stage.setdefault(stage, [0, ZERO, 0.0])
                sums[0] += n
                sums[1] += total
                sums[2] += squares
            for category, total in part.by_category.items():
                out.by_category[category] = out.by_category.get(category, ZERO) + total
        return out


def open_pipeline(
    session: Session,
    period: Period,
    today: date,
    *,
    by: str = "region",
    where: Sequence = (),
    squares: bool = False,
) -> dict[Any, OpenPipeline]:
    """Open pipeline of the period by `by`, split by stage and forecast category (with
    `squares`, the sum of squared amounts too, which the simulation needs)."""

    def measures(amount: Any) -> list:
        return [func.sum(amount), func.sum(amount * amount) if squares else func.sum(0)]

    rows = _sums(
        session,
        by,
        [*open_in(period, today), *where],
        measures,
        groups=[Deal.stage_id, Deal.forecast_category],
        period=period,
    )
    out: dict[Any, OpenPipeline] = {}
    for (k, stage_id, category), (total, squared, n) in rows.items():
        group = out.setdefault(k, OpenPipeline())
        sums = group.by_stage.setdefault(stage_id, [0, ZERO, 0.0])
        sums[0] += int(n)
        sums[1] += money(total)
        sums[2] += float(squared or 0)
        group.by_category[category] = group.by_category.get(category, ZERO) + money(total)
    return out


def open_amounts(
    session: Session, period: Period, today: date, *, by: str = "region", where: Sequence = ()
) -> dict[Any, Decimal]:
    """The amount of `open_pipeline` by `by`, without its split by stage and category: when
    the period's plan fixes no budget rates, the same deals (`open_in`) at their company
    amounts are added up in one grouped sum (the alert badge reads it for every rep)."""
    if budget_rates(session, period):
        pipeline = open_pipeline(session, period, today, by=by, where=where)
        return {key: part.amount for key, part in pipeline.items()}
    tallies = all_open(session, by=by, where=[*open_in(period, today), *where])
    return {key: tally.amount for key, tally in tallies.items()}


def all_open(session: Session, *, by: str = "region", where: Sequence = ()) -> dict[Any, Tally]:
    """Every open deal, whatever its expected close, by `by` (plans split targets by it)."""
    return _tallies(session, by, [Deal.status == DealStatus.OPEN, *where], None)


def overdue(
    session: Session, today: date, *, by: str = "region", where: Sequence = ()
) -> dict[Any, Tally]:
    """Open deals whose expected close has passed, by `by`."""
    return _tallies(session, by, [*overdue_on(today), *where], None)


@dataclass(frozen=True)
class NotPriced:
    """Deals of one currency a figure could not count: no rate in effect on their day."""

    currency: str
    deals: int
    amount: Decimal
    """In the deals' own currency (a split deal with the scope's share of it)."""
    first_rate: date | None
    """The currency's first rate (None: the currency has no rate at all)."""


def not_priced(
    session: Session, conditions: Sequence, *, period: Period | None = None
) -> list[NotPriced]:
    """The deals matching `conditions` (a figure's own: `won_in(period)`, `open_in(...)`, and
    the scope's filters) that have no company amount, by currency."""
    budget = budget_rates(session, period)
    unpriced = [Deal.company_amount.is_(None)]
    if budget:
        unpriced.append(Deal.currency.not_in(sorted(budget)))
    rows: dict[str, list] = {}
    for _key, _amount, where, split in _parts("company", conditions, {}):
        share = _cents(Deal.amount * CreditSplit.percent / 100) if split else Deal.amount
        # a split deal with several shares in the scope is one deal
        deals = func.count(func.distinct(Deal.id))
        query = select(Deal.currency, func.sum(share), deals).select_from(Deal)
        if split:
            query = query.join(CreditSplit, CreditSplit.deal_id == Deal.id)
        query = query.where(*unpriced, *where).group_by(Deal.currency)
        for code, amount, n in session.execute(query):
            sums = rows.setdefault(code, [ZERO, 0])
            sums[0] += money(amount)
            sums[1] += int(n)
    if not rows:
        return []
    first = dict(
        session.execute(
            select(ExchangeRate.currency, func.min(ExchangeRate.valid_from))
            .where(ExchangeRate.currency.in_(rows))
            .group_by(ExchangeRate.currency)
        ).all()
    )
    return [
        NotPriced(code, n, amount, first.get(code)) for code, (amount, n) in sorted(rows.items())
    ]


def deals_by_stage(session: Session, *, where: Sequence = ()) -> dict[int, Tally]:
    """The deals matching `where` per stage: how many (priced or not: a board shows every
    card) and their company amount, each deal once at 100 % (the Pipeline board's totals)."""
    query = (
        select(Deal.stage_id, func.sum(credited_amount()), func.count())
        .where(*where)
        .group_by(Deal.stage_id)
    )
    return {stage: Tally(money(amount), int(n)) for stage, amount, n in session.execute(query)}


def stage_probabilities(session: Session) -> dict[int, Decimal]:
    """Each stage's configured win probability (weights the pipeline)."""
    return {sid: Decimal(p) for sid, p in session.execute(select(Stage.id, Stage.probability))}


# --- targets (core.progress.targets_read) and other measures (core.progress.counts) ------------


def total(monthly: dict[date, Decimal] | None) -> Decimal | None:
    """A target by month added up (None when there are no rows: no target)."""
    return None if monthly is None else money(sum(monthly.values(), ZERO))
