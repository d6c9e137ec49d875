"""init-db and seed."""

from __future__ import annotations

import sys
import time
from datetime import date

from cli.common import engine
from core.errors import DomainError
from core.i18n import _


def init_db(_args) -> str:
    db_engine = engine()
    return _("Database ready at {url}.").format(
        url=db_engine.url.render_as_string(hide_password=True)
    )


def seed(args) -> str:
    from core.demo import seed as demo

    db_engine = engine()
    if not demo.is_empty(db_engine):
        if args.if_empty:
            return _("The database already holds data; nothing seeded.")
        if not args.reset:
            raise DomainError(
                _("The database already holds data. Use --reset to wipe it first, or --if-empty.")
            )
        demo.wipe(db_engine)
    started = time.perf_counter()

    def progress(step: str, share: float) -> None:
        print(f"  {share:4.0%}  {step}", file=sys.stderr, flush=True)

    counts = demo.seed(
        db_engine,
        scale=args.scale,
        seed=args.seed,
        today=date.fromisoformat(args.today) if args.today else None,
        progress=progress,
        locale=args.locale,
    )
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{table} {count:,}" for table, count in counts.items() if count)
    return _("Seeded '{scale}' demo data in {elapsed:.1f} s: {summary}.").format(
        scale=args.scale, elapsed=elapsed, summary=summary
    )


def register(commands) -> None:
    commands.add_parser("init-db", help="create or migrate the database").set_defaults(run=init_db)
    parser = commands.add_parser("seed", help="fill the database with demo data")
    parser.add_argument("--scale", choices=["small", "demo", "large"], default="demo")
    parser.add_argument("--seed", type=int, default=42, help="random seed (same seed, same data)")
    parser.add_argument("--today", help="the date the demo data ends at (default: today)")
    parser.add_argument(
        "--locale",
        choices=["en", "zh_CN"],
        default="en",
        help="the language of the demo company's names (zh_CN: a Chinese company)",
    )
    exclusive = parser.add_mutually_exclusive_group()
    exclusive.add_argument("--if-empty", action="store_true", help="do nothing if data exists")
    exclusive.add_argument("--reset", action="store_true", help="wipe existing data first")
    parser.set_defaults(run=seed)
