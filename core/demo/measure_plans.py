"""Demo targets beyond revenue: two named seasonality profiles, an approved units plan and an
approved visits plan for every fiscal year that has a revenue plan (past years locked), and
this year's revenue broken down by product line, one approved plan per catalogue line.

The plans are allocated by the planning service's own arithmetic
(`core.plans.allocation.compute_allocation`, `line_shares`): each year's company figure is
sized from what the measure counted (last year's units sold or visits made plus a growth goal;
a past year's plan, what that year did give or take a little), and shared to reps by their own
history of the measure. Only the rows are written in bulk, like the rest of the demo.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import planning
from core.demo.build import DemoBuild
from core.demo.columns import day_number
from core.errors import ValidationFailed
from core.models import Measure
from core.periods import fiscal_year
from core.plans.allocation import compute_allocation
from core.plans.cells import PlanCells, series_of, write_cells
from core.plans.line_plans import line_shares
from core.progress import counts
from db.schema import SeasonalityPercent, TargetPlan

PROFILES = {
    "Retail": ["8"] * 10 + ["10", "10"],
    "Year-end push": ["6", "6", "8", "7", "7", "9", "6", "6", "9", "9", "11", "16"],
}
"""Named seasonality profiles, January to December: ERPNext's own "Retail" example (8 % a
month, 10 % in November and December) and a push at each quarter's and the year's end."""
GROWTH = {Measure.UNITS: 1.10, Measure.VISITS: 1.08}
"""This year's goal over what the measure counted last year."""
STRETCH = ["110", "125"]
"""This year's units and visits plans name two stretch levels."""


@dataclass
class _Plan:
    year: int
    measure: Measure
    product_line: str
    method: str
    seasonality: str
    target: Decimal
    cells: PlanCells
    notes: str
    weights: dict[int, Decimal] | None = None


def add_profiles(build: DemoBuild) -> None:
    """The two named seasonality profiles."""
    rows: dict[str, list] = {"name": [], "month": [], "percent": []}
    for name, percentages in PROFILES.items():
        rows["name"] += [build.words.profiles[name]] * 12
        rows["month"] += list(range(1, 13))
        rows["percent"] += percentages
    build.insert(SeasonalityPercent, rows)


def add_measure_plans(build: DemoBuild) -> None:
    """The seasonality profiles, then the units, visits and product-line plans."""
    add_profiles(build)
    session = Session(bind=build.conn)
    try:
        plans = [
            _count_plan(session, build, year, measure)
            for year in range(build.fy - 2, build.fy + 1)
            for measure in (Measure.UNITS, Measure.VISITS)
        ]
        plans += _line_plans(session, build.fy, build.words.locale == "zh_CN")
        first_id = (
            session.scalar(select(TargetPlan.id).order_by(TargetPlan.id.desc()).limit(1)) or 0
        ) + 1
        _insert_plans(build, plans, first_id)
        for offset, plan in enumerate(plans):
            rows = write_cells(session, first_id + offset, plan.cells)
            build.counts["target"] = build.counts.get("target", 0) + rows
    finally:
        session.close()


def _count_plan(session: Session, build: DemoBuild, year: int, measure: Measure) -> _Plan:
    """A units or visits plan of one year. The first year of the demo has no year before it
    to learn from: its reps are weighed equally, with a named profile. Later years weigh each
    rep by their own history of the 12 months before (last year's plan exactly so; this year's
    mixes in the average rep, see `_history_weights`, the ramp doing the rest for new hires)
    and take the history's seasonality (units: the year-end push)."""
    if year < build.fy:
        done = counts.achieved(session, fiscal_year(year), measure, by="company")
        exact = sum(done.values(), Decimal(0)) * Decimal(str(build.rng.uniform(0.98, 1.08)))
        how = "what the year was expected to bring"
    else:
        before = counts.achieved(session, fiscal_year(year - 1), measure, by="company")
        exact = sum(before.values(), Decimal(0)) * Decimal(str(GROWTH[measure]))
        how = "last year's figure plus a growth goal"
    whole = int(exact)
    target = Decimal(int(round(whole, -1)) if whole >= 1000 else whole)
    profiles = build.words.profiles
    seasonality = profiles["Year-end push"] if measure == Measure.UNITS else "history"
    weights = None
    if year == build.fy - 2:
        method = planning.Method.EQUAL.value
        seasonality = profiles["Year-end push" if measure == Measure.UNITS else "Retail"]
        shared = "shared equally"
    elif year < build.fy:
        method = planning.Method.HISTORY.value
        shared = "shared by each rep's own history"
    else:
        method = planning.Method.MANUAL.value
        weights = _history_weights(session, build, year, measure)
        shared = "shared by each rep's own history mixed with the average rep's"
    cells = compute_allocation(
        session,
        fiscal_year=year,
        company_target=target,
        method=method,
        seasonality=seasonality,
        manual_weights=weights,
        measure=measure,
    )
    what = "units sold" if measure == Measure.UNITS else "customer visits"
    notes = f"FY{year} {what}: {how}, {shared}."
    if build.words.locale == "zh_CN":
        notes = f"{year}财年{'销量' if measure == Measure.UNITS else '客户拜访'}计划。"
    return _Plan(year, measure, "", method, seasonality, target, cells, notes, weights)


def _history_weights(
    session: Session, build: DemoBuild, year: int, measure: Measure
) -> dict[int, Decimal]:
    """Each rep's weight: three quarters their own count of the measure in the year before,
    one quarter the average rep's (so a rep who had a thin year still carries a target); a rep
    who was not there for all of that year weighs as the average rep."""
    done = counts.achieved(session, fiscal_year(year - 1), measure, by="owner")
    full_year = day_number(date(year - 1, 1, 1))
    rep_ids = [int(r) for r in build.rep_ids]
    veterans = [r for r, hired in zip(rep_ids, build.rep_hire.tolist()) if hired <= full_year]
    counted = [Decimal(done.get(r, 0)) for r in veterans]
    average = Decimal(1)
    if counted:
        average = (sum(counted, Decimal(0)) / len(counted)).quantize(Decimal("0.01"))
    return {
        r: (Decimal(3) * Decimal(done.get(r, 0)) + average) / 4 if hired <= full_year else average
        for r, hired in zip(rep_ids, build.rep_hire.tolist())
    }


def _line_plans(session: Session, year: int, chinese: bool = False) -> list[_Plan]:
    """This year's revenue plan broken down by product line as the service does it: each
    line's share of last year's won revenue (largest remainder, so the lines add up to the
    company figure), each line's plan allocated with the company plan's method and
    seasonality (equally where the line's reps have no history of their own)."""
    parent = session.scalars(
        select(TargetPlan)
        .where(*series_of(year, Measure.REVENUE, ""))
        .order_by(TargetPlan.version.desc())
    ).first()
    if parent is None:
        return []
    weights = line_shares(session, year, Measure.REVENUE, "history")
    out = []
    for line, amount in planning.allocate(Decimal(parent.company_target), weights).items():
        if not amount:
            continue
        method = parent.method
        seasonality = parent.seasonality or "flat"
        try:
            cells = _line_cells(session, year, amount, method, seasonality, line)
        except ValidationFailed:
            method = planning.Method.EQUAL.value
            cells = _line_cells(session, year, amount, method, seasonality, line)
        notes = f"FY{year} {line}: the line's share of last year's won revenue."
        if chinese:
            notes = f"{year}财年{line}：该产品线在上一年赢单收入中的份额。"
        out.append(_Plan(year, Measure.REVENUE, line, method, seasonality, amount, cells, notes))
    return out


def _line_cells(
    session: Session, year: int, amount: Decimal, method: str, seasonality: str, line: str
) -> PlanCells:
    return compute_allocation(
        session,
        fiscal_year=year,
        company_target=amount,
        method=method,
        seasonality=seasonality,
        measure=Measure.REVENUE,
        product_line=line,
    )


def _insert_plans(build: DemoBuild, plans: list[_Plan], first_id: int) -> None:
    """The plan rows: approved by the director in December before their year, past years
    locked, this year's units and visits plans with stretch levels."""
    columns: dict[str, list] = {
        k: []
        for k in (
            "id",
            "fiscal_year",
            "measure",
            "product_line",
            "stretch_levels",
            "version",
            "status",
            "method",
            "seasonality",
            "company_target",
            "padding_pct",
            "ramp_mode",
            "manual_inputs",
            "notes",
            "created_by_id",
            "approved_by_id",
            "approved_at",
            "lock_version",
        )
    }
    for offset, plan in enumerate(plans):
        current = plan.year == build.fy
        stretch = STRETCH if current and not plan.product_line else None
        inputs = (
            {"weights": {str(pid): str(w) for pid, w in plan.weights.items()}}
            if plan.weights
            else None
        )
        columns["id"].append(first_id + offset)
        columns["fiscal_year"].append(plan.year)
        columns["measure"].append(plan.measure.value)
        columns["product_line"].append(plan.product_line)
        columns["stretch_levels"].append(json.dumps(stretch) if stretch else None)
        columns["version"].append(1)
        columns["status"].append("approved" if current else "locked")
        columns["method"].append(plan.method)
        columns["seasonality"].append(plan.seasonality)
        columns["company_target"].append(str(plan.target))
        columns["padding_pct"].append("0")
        columns["ramp_mode"].append("spread")
        columns["manual_inputs"].append(json.dumps(inputs) if inputs else None)
        columns["notes"].append(plan.notes)
        columns["created_by_id"].append(build.director_id)
        columns["approved_by_id"].append(build.director_id)
        columns["approved_at"].append(datetime(plan.year - 1, 12, 15, 10, 0).isoformat(sep=" "))
        columns["lock_version"].append(1)
    build.insert(TargetPlan, columns)
