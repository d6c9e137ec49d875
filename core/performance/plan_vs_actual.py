"""Plan vs actual for a closed period, by region, rep, segment, industry or product line, with
the variance split into its drivers so the director can judge the strategy, not just people.

Rules:
- Actual (won) = amount of deals won with a close date in the period; closed deals = won + lost
  with a close date in the period; win rate = won deals / closed deals (counts); average deal =
  won amount / won deals.
- Target: regions and reps have plan targets (active plan). Segments, industries and product
  lines have none in the plan, so their target is *implied*: the scope's target split by each
  one's share of the amount won in the same period a year earlier (the plan was built from
  history). The shares are rounded to cents by the plan's own largest-remainder rule
  (core.planning.allocate), so the parts add up exactly to the scope's target.
- Baseline = the same period a year earlier (its win rate w0 and average deal s0; when a row has
  no history, the whole scope's). The plan then implies N_plan = target / (w0 x s0) closed deals.
- Decomposition of variance = won - target = N x w x s - N_plan x w0 x s0 into three effects that
  add up exactly:
    deal volume ("fewer deals")  = (N - N_plan) x w0 x s0
    win rate ("lower win rate")   = N x (w - w0) x s0
    deal size ("smaller deals")   = N x w x (s - s0)
  The main driver is the effect that pushed most in the direction of the variance.
- A product line (`product_line`): only deals of the line's products count, in the year before
  too, and the targets are those of the line's own revenue plan (regions and reps; segments
  and industries imply theirs from it). By product line (every line), a line with its own
  active revenue plan has that plan's target (the scope's own rows of it); only when no line
  has a plan are the lines' targets implied from last year's shares.
- Other measures (units, visits, deals created) are read by core.performance.measure_review.
- Split credit: a split deal counts for each rep with the rep's share and for each region with
  the shares of its people; the company counts it once, at 100 %, and so do segments, industries
  and product lines for the whole company (within a manager's area: the area's shares, its win
  once for each credited rep of the area). Deals not priced count in no amount.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock, planning
from core.errors import PermissionDenied, ValidationFailed
from core.evaluation import (
    Outcome,
    decompose,
)
from core.i18n import N_, _
from core.models import Actor, Period, Role
from core.org.company import fiscal_start_month
from core.org.regions import load_region_tree
from core.performance.scorecard import comparable_regions
from core.periods import add_months, fiscal_year, month, quarter_of
from core.progress import counts, figures
from db.schema import Deal, Person

DIMENSIONS = {
    "region": N_("Region"),
    "rep": N_("Rep"),
    "segment": N_("Segment"),
    "industry": N_("Industry"),
    "product_line": N_("Product line"),
}
CENT = Decimal("0.01")


class ReviewRow(BaseModel):
    key: str
    label: str
    target: Decimal | None
    target_basis: str  # "plan" | "implied" | "none"
    won: Decimal
    variance: Decimal | None
    variance_pct: Decimal | None
    closed_deals: int
    won_deals: int
    win_rate: Decimal | None
    average_deal: Decimal | None
    baseline_win_rate: Decimal | None
    baseline_average_deal: Decimal | None
    planned_closed_deals: Decimal | None
    volume_effect: Decimal | None
    win_rate_effect: Decimal | None
    deal_size_effect: Decimal | None
    main_driver: str


def year_before(period: Period, fiscal_start: int = 1) -> Period:
    """The same period one year earlier."""
    if period.kind == "year":
        return fiscal_year(period.fiscal_year - 1, fiscal_start)
    start = add_months(period.start, -12)
    if period.kind == "quarter":
        return quarter_of(start, fiscal_start)
    return month(start.year, start.month, fiscal_start)


def review_scope(session: Session, actor: Actor) -> tuple[frozenset[int] | None, list[int]]:
    """Regions whose deals count (None = all) and the top regions whose target is the scope's."""
    if actor.role == Role.REP:
        raise PermissionDenied(_("The plan-vs-actual review is for managers and directors."))
    tree = load_region_tree(session)
    if actor.sees_everything:
        return None, [tree.root_id] if tree.root_id else []
    ids = actor.scope_region_ids or frozenset()
    return ids, [r for r in ids if tree.parents.get(r) not in ids]


def _outcomes(
    session: Session, period: Period, dimension: str, region_ids, product_line: str = ""
) -> dict:
    """Won amount and deals, lost deals, by the dimension (core.progress.figures), of one
    product line's deals when given."""
    by = "owner" if dimension == "rep" else dimension
    where: list = [Deal.region_id.in_(region_ids)] if region_ids is not None else []
    if product_line:
        where.append(counts.in_line(product_line))
    won = figures.won(session, period, by=by, where=where)
    lost = figures.lost(session, period, by=by, where=where)
    return {
        k: Outcome(
            won=won.get(k, figures.WonTally()).amount,
            won_deals=won.get(k, figures.WonTally()).deals,
            lost_deals=lost.get(k, figures.Tally()).deals,
        )
        for k in set(won) | set(lost)
    }


def _plan_targets(
    session: Session, period: Period, *, by_rep: bool, ids, product_line: str = ""
) -> dict:
    """Each rep's (or region's own) plan target of the period (of a product line's plan)."""
    if not ids:
        return {}
    read = figures.rep_target_totals if by_rep else figures.region_target_totals
    return read(session, [period], ids, product_line=product_line)[0]


def _line_plan_targets(session: Session, period: Period, tops: list[int], lines) -> dict:
    """Each product line's target from its own active revenue plan (the scope's own rows);
    lines without a plan are left out."""
    out = {}
    for line in lines:
        if not line or figures.active_plan_id(session, period.fiscal_year, "revenue", line) is None:
            continue
        targets = _plan_targets(session, period, by_rep=False, ids=tops, product_line=line)
        if targets:
            out[line] = sum(targets.values(), Decimal(0))
    return out


def plan_vs_actual(
    session: Session,
    actor: Actor,
    period: Period,
    dimension: str,
    *,
    today: date | None = None,
    product_line: str = "",
) -> list[ReviewRow]:
    """Target vs won of each part of the actor's area for a closed period, with drivers (of
    one product line's deals and plan when given)."""
    if dimension not in DIMENSIONS:
        raise ValidationFailed(
            _("Unknown dimension '{dimension}': use {join}.").format(
                dimension=dimension, join=", ".join(DIMENSIONS)
            )
        )
    today = today or clock.today()
    if period.end >= today:
        raise ValidationFailed(
            _("{label} has not ended yet; the plan-vs-actual review is for closed periods.").format(
                label=period.label
            )
        )
    region_ids, tops = review_scope(session, actor)
    tree = load_region_tree(session)
    before = year_before(period, fiscal_start_month(session))
    line = " ".join((product_line or "").split())
    now = _outcomes(session, period, dimension, region_ids, line)
    then = _outcomes(session, before, dimension, region_ids, line)
    total_then = sum(then.values(), Outcome())
    scope_targets = _plan_targets(session, period, by_rep=False, ids=tops, product_line=line)
    scope_target = sum(scope_targets.values(), Decimal(0)) or None

    if dimension == "region":
        parts = comparable_regions(session, actor)

        def rollup(outcomes: dict) -> dict:
            return {
                r: sum((outcomes.get(n, Outcome()) for n in tree.subtree(r)), Outcome())
                for r in parts
            }

        now, then = rollup(now), rollup(then)
        targets = _plan_targets(session, period, by_rep=False, ids=parts, product_line=line)
        labels = {r: tree.names[r] for r in parts}
        basis = "plan"
    elif dimension == "rep":
        targets = _plan_targets(
            session,
            period,
            by_rep=True,
            ids=list(
                session.scalars(
                    select(Person.id).where(
                        Person.role == Role.REP,
                        *([Person.region_id.in_(region_ids)] if region_ids is not None else []),
                    )
                )
            ),
            product_line=line,
        )
        ids = sorted(set(now) | set(targets))
        labels = dict(
            session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all()
        )
        parts = sorted(ids, key=lambda pid: labels.get(pid, ""))
        basis = "plan"
    else:
        parts = sorted(set(now) | set(then), key=lambda k: (k is None, str(k)))
        targets = {}
        basis = "implied"
        if dimension == "product_line":
            if line:  # the one line shown: its own plan's target for the area
                targets = {line: scope_target} if scope_target is not None else {}
            else:
                targets = _line_plan_targets(session, period, tops, parts)
            basis = "plan" if targets else "implied"
        if basis == "implied" and scope_target is not None and total_then.won:
            targets = implied_targets(scope_target, {k: then.get(k, Outcome()).won for k in parts})
        labels = {k: str(k) if k is not None else "(none)" for k in parts}

    rows = []
    for key in parts:
        actual = now.get(key, Outcome())
        target = targets.get(key)
        target = target.quantize(CENT) if target is not None else None
        baseline = then.get(key, Outcome())
        if not baseline.win_rate or not baseline.average_deal:
            baseline = total_then
        drivers = decompose(actual, target, baseline) if target else None
        variance = (actual.won - target) if target is not None else None
        rows.append(
            ReviewRow(
                key=str(key),
                label=str(labels.get(key, key)),
                target=target,
                target_basis=basis if target is not None else "none",
                won=actual.won.quantize(CENT),
                variance=variance,
                variance_pct=(variance / target).quantize(Decimal("0.0001")) if target else None,
                closed_deals=actual.closed,
                won_deals=actual.won_deals,
                win_rate=_round(actual.win_rate, "0.0001"),
                average_deal=_round(actual.average_deal, "0.01"),
                baseline_win_rate=_round(baseline.win_rate, "0.0001"),
                baseline_average_deal=_round(baseline.average_deal, "0.01"),
                planned_closed_deals=drivers.planned_closed_deals if drivers else None,
                volume_effect=drivers.volume if drivers else None,
                win_rate_effect=drivers.win_rate if drivers else None,
                deal_size_effect=drivers.deal_size if drivers else None,
                main_driver=drivers.main_driver if drivers else "",
            )
        )
    return rows


def area_not_priced(session: Session, actor: Actor, period: Period) -> list[figures.NotPriced]:
    """The deals won in the period in the actor's area that are not priced, read with the
    review's own scope (its won figures leave them out)."""
    region_ids, __ = review_scope(session, actor)
    where = [Deal.region_id.in_(region_ids)] if region_ids is not None else []
    return figures.not_priced(session, [*figures.won_in(period), *where], period=period)


def implied_targets(scope_target: Decimal, history: dict) -> dict:
    """The scope's target shared out in proportion to each part's won amount a year earlier,
    in cents that add up exactly to the target (largest remainder, as in the plan)."""
    return planning.allocate(scope_target.quantize(CENT), history, unit=CENT)


def _round(value: Decimal | None, places: str) -> Decimal | None:
    return None if value is None else value.quantize(Decimal(places))


def last_closed_quarter(today: date, fiscal_start: int = 1) -> Period:
    """The most recent fiscal quarter that has ended."""
    return quarter_of(add_months(quarter_of(today, fiscal_start).start, -1), fiscal_start)
