"""Demo target plans: one approved plan per fiscal year (past years locked), broken down with
the planning rules, and the scorecard weights of each year."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import numpy as np

from core.demo.build import DemoBuild
from core.demo.columns import date_of_day
from core.periods import add_months
from core.planning import allocate, ramp_factors
from db.schema import ScorecardWeight, Target, TargetPlan


def add_target_plans(build: DemoBuild) -> None:
    """One plan per fiscal year: company target from last year's won revenue and a growth
    goal, split to teams by last year's share, to reps by skill with a new-hire ramp, and
    to months by last year's seasonality. Every region row sums its reps exactly."""
    d = build.deal
    won = d["won"]
    won_month = d["closed_on"][won].astype("datetime64[D]").astype("datetime64[M]").astype(int)
    won_year = won_month // 12 + 1970
    won_amount = d["value"][won]  # in company money
    won_team = build.rep_team[d["rep"][won]]
    plans: dict[str, list] = {
        k: []
        for k in (
            "id",
            "fiscal_year",
            "version",
            "status",
            "method",
            "seasonality",
            "company_target",
            "padding_pct",
            "notes",
            "created_by_id",
            "approved_by_id",
            "approved_at",
            "lock_version",
        )
    }
    rows: dict[str, list] = {
        "plan_id": [],
        "region_id": [],
        "person_id": [],
        "month": [],
        "amount": [],
        "locked": [],
    }
    rng = build.rng
    for plan_id, year in enumerate(range(build.fy - 2, build.fy + 1), start=1):
        last_year = won_year == year - 1
        this_year = won_year == year
        if year < build.fy:
            total = won_amount[this_year].sum() * rng.uniform(1.0, 1.08)
        else:
            total = won_amount[won_year == year - 1].sum() * 1.12
        total = Decimal(int(round(total, -4)))
        by_month: np.ndarray
        if last_year.any():
            by_month = np.bincount(
                won_month[last_year] % 12, weights=won_amount[last_year], minlength=12
            )
            team_share = np.bincount(
                won_team[last_year], weights=won_amount[last_year], minlength=len(build.team_ids)
            )
        else:
            by_month = np.ones(12)
            team_share = np.bincount(
                build.rep_team, weights=build.rep_skill, minlength=len(build.team_ids)
            )
        season = [Decimal(str(round(v, 2))) for v in by_month / by_month.sum() * 100]
        months = [add_months(date(year, 1, 1), m) for m in range(12)]
        team_totals = allocate(
            total,
            {t: Decimal(str(round(float(w), 2))) for t, w in enumerate(team_share)},
            unit=Decimal(100),
        )
        region_month: dict[tuple[int, int], Decimal] = {}
        for team, team_total in team_totals.items():
            members = np.flatnonzero(build.rep_team == team)
            ramp = {int(r): ramp_factors(date_of_day(build.rep_hire[r]), months) for r in members}
            weights = {
                r: Decimal(str(round(build.rep_skill[r] ** 0.5, 3)))
                * sum(f * s for f, s in zip(ramp[r], season))
                for r in ramp
            }
            if not any(weights.values()):
                continue
            rep_totals = allocate(team_total, weights, unit=Decimal(100))
            for r, rep_total in rep_totals.items():
                if not rep_total:
                    continue
                monthly = allocate(
                    rep_total, {m: ramp[r][m] * season[m] for m in range(12)}, unit=Decimal(10)
                )
                for m, amount in monthly.items():
                    rows["plan_id"].append(plan_id)
                    rows["region_id"].append(int(build.rep_region[r]))
                    rows["person_id"].append(int(build.rep_ids[r]))
                    rows["month"].append(months[m].isoformat())
                    rows["amount"].append(str(amount))
                    rows["locked"].append(False)
                    for region in _ancestors(int(build.rep_region[r]), build.region_parent):
                        key = (region, m)
                        region_month[key] = region_month.get(key, Decimal(0)) + amount
        for (region, m), amount in sorted(region_month.items()):
            rows["plan_id"].append(plan_id)
            rows["region_id"].append(region)
            rows["person_id"].append(None)
            rows["month"].append(months[m].isoformat())
            rows["amount"].append(str(amount))
            rows["locked"].append(False)
        approved = datetime(year - 1, 12, 15, 10, 0).isoformat(sep=" ")
        plans["id"].append(plan_id)
        plans["fiscal_year"].append(year)
        plans["version"].append(1)
        plans["status"].append("locked" if year < build.fy else "approved")
        plans["method"].append("history")
        plans["seasonality"].append("history")
        plans["company_target"].append(str(sum(team_totals.values())))
        plans["padding_pct"].append("0")
        plans["notes"].append(build.words.plan_note(year))
        plans["created_by_id"].append(build.director_id)
        plans["approved_by_id"].append(build.director_id)
        plans["approved_at"].append(approved)
        plans["lock_version"].append(1)
    build.insert(TargetPlan, plans)
    build.insert(Target, rows)
    metrics = {
        "attainment": 40,
        "activities": 15,
        "win_rate": 15,
        "pipeline_generated": 10,
        "cycle_time": 10,
        "forecast_accuracy": 10,
    }
    years = [y for y in range(build.fy - 2, build.fy + 1) for _ in metrics]
    build.insert(
        ScorecardWeight,
        {
            "fiscal_year": years,
            "metric": list(metrics) * 3,
            "weight": list(metrics.values()) * 3,
        },
    )


def _ancestors(region_id: int, parents: list[int | None]) -> list[int]:
    out: list[int] = []
    node: int | None = region_id
    while node is not None:
        out.append(node)
        node = parents[node - 1]
    return out
