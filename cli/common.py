"""What every command needs: a migrated database and the administrator it acts as; and what
every report shares: the --period and --today options, and reps named by email and name."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterable
from datetime import date

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from core import clock
from core.errors import DomainError
from core.i18n import _
from core.models import Period
from core.org.access import SYSTEM_ACTOR
from core.org.changes import apply_due_changes
from core.org.company import fiscal_start_month
from core.periods import FIRST_YEAR, LAST_YEAR, parse_period, quarter_of
from db.engine import make_engine, migrate, session_factory
from db.schema import Person

ACTOR = SYSTEM_ACTOR
"""The command line acts as an administrator; the audit log records it as manage.py."""


def engine() -> Engine:
    """The database from DATABASE_URL, migrated to the newest schema, with the scheduled
    organisation changes whose date has come carried out."""
    db_engine = make_engine()
    migrate(db_engine)
    with session_factory(db_engine, write=True).begin() as session:
        apply_due_changes(session, clock.today())
    return db_engine


def sessions(*, write: bool = True) -> sessionmaker[Session]:
    """Sessions for a command: writing ones (one transaction per command) by default, reading
    ones for reports."""
    return session_factory(engine(), write=write)


def read_password(given: str | None) -> str:
    """The --password value, else one line of stdin, else a prompt asked twice."""
    if given:
        return given
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(_("Password: "))
    if first != getpass.getpass(_("Repeat password: ")):
        raise DomainError(_("The two passwords differ."))
    return first


def fiscal_year_arg(text: str) -> int:
    """A --year option: a whole year a plan or a period may name."""
    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("'{text}' is not a year, e.g. 2027").format(text=text)
        ) from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(
            _("the year must be between {FIRST_YEAR} and {LAST_YEAR}, got {year}").format(
                FIRST_YEAR=FIRST_YEAR, LAST_YEAR=LAST_YEAR, year=year
            )
        )
    return year


def version_arg(text: str) -> int:
    """A --version option: a plan version, 1 or more."""
    try:
        version = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("'{text}' is not a version number, e.g. 2").format(text=text)
        ) from None
    if not 1 <= version <= 1_000_000:
        raise argparse.ArgumentTypeError(
            _("a version is 1 or more, got {version}").format(version=version)
        )
    return version


def product_line_arg(text: str) -> str:
    """A --product-line option: a product line's name (spaces tidied), as the catalogue keeps
    it: at most 120 printable characters."""
    name = " ".join(text.split())
    if len(name) > 120 or not name.isprintable():
        raise argparse.ArgumentTypeError(_("a product line is a name of at most 120 characters"))
    return name


# --- what every report shares ---------------------------------------------------------------

PERIOD_HELP = (
    "an ISO week (2026-W48), a month (2026-03), a fiscal quarter (2026Q1, 2026-Q1) or a "
    "fiscal year (FY2026); "
    "default: the fiscal quarter that contains --today"
)


def day_arg(text: str) -> date:
    """A --today option: an ISO date (YYYY-MM-DD) in the years periods may name."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("'{text}' is not a date, e.g. 2026-11-30").format(text=text)
        ) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(
            _("the day must be in the years {FIRST_YEAR} to {LAST_YEAR}, got {text}").format(
                FIRST_YEAR=FIRST_YEAR, LAST_YEAR=LAST_YEAR, text=text
            )
        )
    return day


def add_period_options(parser: argparse.ArgumentParser, *, period: bool = True) -> None:
    """--period (every form core.periods parses) and --today, the same in every report."""
    if period:
        parser.add_argument("--period", default=None, help=PERIOD_HELP)
    parser.add_argument(
        "--today",
        type=day_arg,
        default=None,
        help="as of this day (YYYY-MM-DD); default: today",
    )


def report_today(args: argparse.Namespace) -> date:
    return args.today or clock.today()


def report_period(session: Session, args: argparse.Namespace) -> Period:
    """The report's period: --period read with the company's fiscal start month, else the
    fiscal quarter that contains --today."""
    start_month = fiscal_start_month(session)
    if args.period is None:
        return quarter_of(report_today(args), start_month)
    return parse_period(args.period, start_month)


def rep_names(session: Session, person_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Person id -> (email, name): every report names a rep by both, email in `entity` (the
    key reports join on) and the name in `name` beside it. One query for all of them."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    rows = session.execute(select(Person.id, Person.email, Person.name).where(Person.id.in_(ids)))
    return {pid: (email, name) for pid, email, name in rows}
