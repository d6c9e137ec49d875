#!/usr/bin/env python
"""Command line over the same core as the app. It acts as an administrator, and the audit log
says so. Reads DATABASE_URL like the app. `python manage.py --help` lists the commands.

    python manage.py init-db
    python manage.py seed [--scale small|demo|large] [--seed N] [--today YYYY-MM-DD]
                          [--if-empty | --reset]
    python manage.py user add --email E --name N --role ROLE [--region R] [--password P]
    python manage.py user set-password LOGIN [--password P]
    python manage.py user deactivate LOGIN
    python manage.py backup --out FILE | restore FILE --yes
    python manage.py report attainment [--period P] --by company|region|rep [--region NAME]
                                       [--format table|csv|json] [--today YYYY-MM-DD]
    python manage.py report targets [--measure M] [--period P]
                                    --by company|region|rep|product_line [--region NAME]
                                    [--product-line LINE] [--format table|csv|json]
    python manage.py report scorecard [--period P] [--by rep|region] [--today YYYY-MM-DD]
    python manage.py report alerts [--format csv|json] [--today YYYY-MM-DD]
    python manage.py plan create --year Y --target AMOUNT --method METHOD [--seasonality S]
                              [--padding PCT] [--ramp spread|absorb] [--measure M]
                              [--product-line LINE] [--stretch 110,125]
    python manage.py plan show --year Y [--version V] [--measure M] [--product-line LINE]
                              [--format table|csv|json]
    python manage.py plan approve --year Y [--version V] [--measure M] [--product-line LINE]
    python manage.py plan break-down --year Y [--measure revenue|units]
                              --by-line history|equal|manual [--shares "LINE=PCT,..."]
    python manage.py import KIND FILE [--dry-run] [--map SOURCE=FIELD ...]
                          [--stage-map SOURCE=STAGE ...] [--preset NAME] [--save-preset NAME]
    python manage.py export KIND --out FILE [--format csv|xlsx]
    python manage.py snapshot [--today YYYY-MM-DD]
    python manage.py i18n compile|check
    python manage.py digest send --kind weekly|daily|reminders [--dry-run] [--today YYYY-MM-DD]

Human-readable output is in the language of `--language en|zh_CN` (before the command), else
SALES_DEFAULT_LANGUAGE (en or zh_CN); csv and json stay the same in every language.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from pydantic import ValidationError

from cli import (
    backup,
    database,
    digests,
    plans,
    reports,
    snapshots,
    transfer,
    translations,
    users,
)
from core.errors import DomainError
from core.i18n import LANGUAGES, _, default_language, set_language, use_language
from db.engine import DatabaseUnavailable

COMMAND_MODULES = [database, users, plans, transfer, reports, snapshots, backup, translations]
COMMAND_MODULES.append(digests)
"""Each area registers its own sub-commands."""
CLOSED_PIPE = 141
"""The exit status of a command whose output pipe was closed (128 + SIGPIPE)."""


def one_line(message: str) -> str:
    """A message as one line: line breaks and other invisible characters a value brought in
    (a pasted name, a period with a newline) are shown escaped, e.g. \\n."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in message
    )


class Parser(argparse.ArgumentParser):
    """argparse, with its error message (which may quote what was typed) on one line."""

    def error(self, message: str) -> NoReturn:
        super().error(one_line(message))


def _complain(message: str) -> None:
    print(_("error: {message}").format(message=one_line(message)), file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="manage.py",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--language",
        choices=sorted(LANGUAGES),
        default=None,
        help="language of the human-readable output (default: SALES_DEFAULT_LANGUAGE, else en)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def _language_asked(argv: list[str] | None) -> str:
    """The --language given before the command, else the company default."""
    early = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    early.add_argument("--language", default=None)
    known, _rest = early.parse_known_args(argv)
    return known.language or default_language()


def main(argv: list[str] | None = None) -> int:
    """Run one command; problems become short messages on stderr and a non-zero exit. The
    language is set first (option errors read in it too) and restored afterwards."""
    with use_language(_language_asked(argv)):
        return _run(argv)


def _run(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    set_language(args.language or default_language())
    try:
        output = args.run(args)
    except DatabaseUnavailable as exc:
        _complain(str(exc))
        return 2
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "input"
            _complain(f"{field}: {error['msg']}")
        return 1
    except DomainError as exc:
        _complain(str(exc))
        return 1
    except OSError as exc:  # a file named on the command line cannot be read or written
        where = exc.filename if exc.filename is not None else _("the file")
        _complain(f"{where}: {exc.strerror or exc}")
        return 2
    if output:
        try:
            print(output, flush=True)
        except BrokenPipeError:
            return _reader_went_away()
    return 0


def _reader_went_away() -> int:
    """The reader closed the pipe (`manage.py report ... | head`): drop the rest of the output
    quietly, as command-line tools do, with the shell's exit status for a closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return CLOSED_PIPE


if __name__ == "__main__":
    sys.exit(main())
