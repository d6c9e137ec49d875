"""backup --out FILE and restore FILE."""

from __future__ import annotations

from pathlib import Path

from cli.common import engine
from core.errors import DomainError
from core.i18n import _
from db.backup import backup_sqlite, postgres_commands, restore_sqlite


def backup(args) -> str:
    db_engine = engine()
    if db_engine.dialect.name == "postgresql":
        dump, __ = postgres_commands(str(db_engine.url), args.out)
        raise DomainError(_("On PostgreSQL, back up with: {dump}").format(dump=dump))
    size = backup_sqlite(db_engine, Path(args.out))
    return _("Backed up the database to {out} ({megabytes:.1f} MB).").format(
        out=args.out, megabytes=size / 1_048_576
    )


def restore(args) -> str:
    db_engine = engine()
    if db_engine.dialect.name == "postgresql":
        __, command = postgres_commands(str(db_engine.url), args.file)
        raise DomainError(_("On PostgreSQL, restore with: {command}").format(command=command))
    if not args.yes:
        raise DomainError(
            _("Restoring replaces every record in the database; add --yes to confirm.")
        )
    restore_sqlite(db_engine, Path(args.file))
    return _("Restored the database from {file}.").format(file=args.file)


def register(commands) -> None:
    parser = commands.add_parser("backup", help="copy the database to a file (SQLite, online)")
    parser.add_argument("--out", required=True, help="the backup file to write")
    parser.set_defaults(run=backup)
    parser = commands.add_parser("restore", help="replace the database with a backup")
    parser.add_argument("file", help="a file written by `backup`")
    parser.add_argument("--yes", action="store_true", help="confirm replacing every record")
    parser.set_defaults(run=restore)
