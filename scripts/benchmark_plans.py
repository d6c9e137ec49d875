#!/usr/bin/env python
"""Time the target breakdown: 1 company -> 50 regions -> N reps -> 12 months.

    python scripts/benchmark_plans.py                # pure cascade + SQLite, 2,000 and 100,000 reps
    python scripts/benchmark_plans.py --database-url postgresql+psycopg://...

The pure figure is `planning.cascade` alone; the database figure is `plans.create_plan`
(loading reps and weights, the cascade, and writing every row) on an empty organisation.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import plans  # noqa: E402
from core.org.access import SYSTEM_ACTOR  # noqa: E402
from core.planning import cascade, ramp_factors  # noqa: E402
from db.bulk import bulk_insert  # noqa: E402
from db.engine import make_engine, migrate, session_factory  # noqa: E402
from db.schema import Person, Region  # noqa: E402


def pure(regions: int, reps: int) -> float:
    rng = np.random.default_rng(1)
    children = {0: list(range(1, regions + 1))}
    reps_in = {r: [] for r in range(1, regions + 1)}
    weights = {}
    months = [date(2030, m, 1) for m in range(1, 13)]
    hires = rng.integers(0, 3000, reps)
    for i in range(reps):
        reps_in[1 + i % regions].append(i)
        hire = date(2022, 1, 1) if hires[i] > 400 else date(2030, 1 + int(hires[i]) % 12, 1)
        factors = np.array([float(f) for f in ramp_factors(hire, months)])
        weights[i] = factors * rng.uniform(0.5, 2.0)
    start = time.perf_counter()
    region_units, rep_units = cascade(0, [10_000_000] * 12, children, reps_in, weights)
    elapsed = time.perf_counter() - start
    assert int(region_units[0].sum()) == 120_000_000
    assert sum(int(v.sum()) for v in rep_units.values()) == 120_000_000
    return elapsed


def database(url: str, regions: int, reps: int) -> tuple[float, float]:
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as conn:
        ids = list(range(1, regions + 2))
        bulk_insert(conn, Region.__table__, {
            "id": ids, "name": ["Company"] + [f"Region {i:02d}" for i in ids[1:]],
            "parent_id": [None] + [1] * regions, "active": [True] * len(ids),
        })  # fmt: skip
        bulk_insert(conn, Person.__table__, {
            "id": list(range(1, reps + 1)),
            "username": [f"rep{i}" for i in range(reps)],
            "email": [f"rep{i}@example.com" for i in range(reps)],
            "name": [f"Rep {i}" for i in range(reps)], "role": ["rep"] * reps,
            "region_id": [2 + i % regions for i in range(reps)],
            "hire_date": ["2022-01-01"] * reps, "active": [True] * reps,
            "failed_logins": [0] * reps,
        })  # fmt: skip
    sessions = session_factory(engine)
    with sessions.begin() as session:
        start = time.perf_counter()
        plans.compute_allocation(
            session, fiscal_year=2030, company_target=Decimal(120_000_000), method="equal"
        )
        computed = time.perf_counter() - start
        start = time.perf_counter()
        plans.create_plan(
            session, SYSTEM_ACTOR, fiscal_year=2030, company_target=Decimal(120_000_000),
            method="equal",
        )  # fmt: skip
        created = time.perf_counter() - start
    with sessions.begin() as session:
        plan = plans.find_plan(session, 2030)
        start = time.perf_counter()
        plans.set_company_target(
            session, SYSTEM_ACTOR, plan.id, Decimal(130_000_000), expected_lock_version=None
        )
        reshared = time.perf_counter() - start
        start = time.perf_counter()
        grid = plans.region_grid(session, SYSTEM_ACTOR, plan.id, 2)
        edits = plans.TargetEdits(cells={grid.rows.key[0]: {0: Decimal(1000)}})
        plans.save_edits(session, SYSTEM_ACTOR, plan.id, 2, edits, expected_lock_version=None)
        edited = time.perf_counter() - start
    engine.dispose()
    return computed, created, reshared, edited


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="an empty database (default: a temporary SQLite)")
    parser.add_argument("--regions", type=int, default=50)
    args = parser.parse_args()
    for reps in (2_000, 100_000):
        print(
            f"pure cascade, {args.regions} regions, {reps:,} reps x 12 months: "
            f"{pure(args.regions, reps):.3f} s"
        )
    if args.database_url:
        computed, created, reshared, edited = database(args.database_url, args.regions, 2_000)
        label = args.database_url.split(":")[0]
    else:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/bench.db"
            computed, created, reshared, edited = database(url, args.regions, 2_000)
        label = "sqlite"
    print(
        f"{label}: compute_allocation (reads + cascade) for 2,000 reps: {computed:.3f} s; "
        f"create_plan incl. writing {(args.regions + 1 + 2_000) * 12:,} rows: {created:.3f} s"
    )
    print(
        f"{label}: new company figure re-shared to every row: {reshared:.3f} s; "
        f"one cell edited in a region (load, rebalance, save): {edited:.3f} s"
    )


if __name__ == "__main__":
    main()
