"""Seed one demo scale into a database and report the wall time and the peak resident memory
of the seeding process (the operating system's ru_maxrss):

    python -m bench.seed_scale URL SCALE [--today 2026-11-30]

The last line on stdout is `seeded: {"scale": S, "seconds": T, "peak_mb": P, "deals": N}`.
A database that already holds at least the scale's deals is left as it is.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from datetime import date

from sqlalchemy import func, select

from core.demo import seed as demo
from core.demo.scales import SCALES
from db.engine import make_engine, migrate
from db.schema import Deal


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("scale", choices=list(SCALES))
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 30))
    args = parser.parse_args(argv)
    engine = make_engine(args.url)
    migrate(engine)
    with engine.connect() as conn:
        deals = conn.scalar(select(func.count()).select_from(Deal)) or 0
    report: dict = {"scale": args.scale, "deals": deals}
    if deals < SCALES[args.scale].deals:
        if deals:
            demo.wipe(engine)
        started = time.perf_counter()
        demo.seed(
            engine,
            scale=args.scale,
            seed=42,
            today=args.today,
            progress=lambda step, share: print(f"{share:4.0%} {step}", flush=True),
        )
        report["seconds"] = round(time.perf_counter() - started, 1)
        with engine.connect() as conn:
            report["deals"] = conn.scalar(select(func.count()).select_from(Deal))
    report["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    engine.dispose()
    print(f"seeded: {json.dumps(report)}", flush=True)
    return report


if __name__ == "__main__":
    main()
