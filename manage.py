#!/usr/bin/env python
"""Command line over the same core as the app. It acts as an administrator, and the audit log
says so. Reads DATABASE_URL like the app.

    python manage.py init-db
    python manage.py seed [--scale small|demo|large] [--seed N] [--today YYYY-MM-DD]
                          [--if-empty | --reset]
    python manage.py user add --email E --name N --role ROLE [--region R] [--password P]
    python manage.py user set-password LOGIN [--password P]
    python manage.py user deactivate LOGIN
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Callable
from datetime import date

from pydantic import ValidationError

from core.errors import DomainError
from db.engine import DatabaseUnavailable, make_engine, migrate, session_factory


def _engine():
    engine = make_engine()
    migrate(engine)
    return engine


def cmd_init_db(_args) -> str:
    engine = _engine()
    return f"Database ready at {engine.url.render_as_string(hide_password=True)}."


def cmd_seed(args) -> str:
    from core import demo

    engine = _engine()
    if not demo.is_empty(engine):
        if args.if_empty:
            return "The database already holds data; nothing seeded."
        if not args.reset:
            raise DomainError(
                "The database already holds data. Use --reset to wipe it first, or --if-empty."
            )
        demo.wipe(engine)
    started = time.perf_counter()

    def progress(step: str, share: float) -> None:
        print(f"  {share:4.0%}  {step}", file=sys.stderr, flush=True)

    counts = demo.seed(
        engine,
        scale=args.scale,
        seed=args.seed,
        today=date.fromisoformat(args.today) if args.today else None,
        progress=progress,
    )
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{table} {count:,}" for table, count in counts.items() if count)
    return f"Seeded '{args.scale}' demo data in {elapsed:.1f} s: {summary}."


def _password(args) -> str:
    if args.password:
        return args.password
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise DomainError("The two passwords differ.")
    return first


def cmd_user_add(args) -> str:
    from core import people
    from core.permissions import SYSTEM_ACTOR

    data = people.PersonCreate(
        email=args.email,
        name=args.name,
        role=args.role,
        region=args.region,
        username=args.username,
        hire_date=args.hire_date,
        password=_password(args),
    )
    with session_factory(_engine()).begin() as session:
        people.add_person(session, SYSTEM_ACTOR, data)
    return f"Added {data.role.value} {data.name} <{data.email}>."


def cmd_user_set_password(args) -> str:
    from core import people
    from core.permissions import SYSTEM_ACTOR

    password = _password(args)
    with session_factory(_engine()).begin() as session:
        people.set_password(session, SYSTEM_ACTOR, args.login, password)
    return f"Password of {args.login} changed."


def cmd_user_deactivate(args) -> str:
    from core import people
    from core.permissions import SYSTEM_ACTOR

    with session_factory(_engine()).begin() as session:
        people.deactivate(session, SYSTEM_ACTOR, args.login)
    return f"{args.login} deactivated: they can no longer sign in."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="manage.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("init-db", help="create or migrate the database").set_defaults(
        run=cmd_init_db
    )

    seed = commands.add_parser("seed", help="fill the database with demo data")
    seed.add_argument("--scale", choices=["small", "demo", "large"], default="demo")
    seed.add_argument("--seed", type=int, default=42, help="random seed (same seed, same data)")
    seed.add_argument("--today", help="the date the demo data ends at (default: today)")
    exclusive = seed.add_mutually_exclusive_group()
    exclusive.add_argument("--if-empty", action="store_true", help="do nothing if data exists")
    exclusive.add_argument("--reset", action="store_true", help="wipe existing data first")
    seed.set_defaults(run=cmd_seed)

    user = commands.add_parser("user", help="manage people who sign in")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    add = user_commands.add_parser("add", help="add a person")
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=["admin", "director", "manager", "rep"])
    add.add_argument("--region")
    add.add_argument("--username")
    add.add_argument("--hire-date", type=date.fromisoformat)
    add.add_argument("--password", help="(read from stdin or prompted when omitted)")
    add.set_defaults(run=cmd_user_add)
    set_password = user_commands.add_parser("set-password", help="set a person's password")
    set_password.add_argument("login", help="username or email")
    set_password.add_argument("--password")
    set_password.set_defaults(run=cmd_user_set_password)
    deactivate = user_commands.add_parser("deactivate", help="stop a person from signing in")
    deactivate.add_argument("login", help="username or email")
    deactivate.set_defaults(run=cmd_user_deactivate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Callable = args.run
    try:
        print(run(args))
    except DatabaseUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "input"
            print(f"error: {field}: {error['msg']}", file=sys.stderr)
        return 1
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
