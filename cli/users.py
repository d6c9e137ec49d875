"""user add | set-password | deactivate."""

from __future__ import annotations

from datetime import date

from cli.common import ACTOR, read_password, sessions
from core.i18n import _
from core.org import people


def add(args) -> str:
    data = people.PersonCreate(
        email=args.email,
        name=args.name,
        role=args.role,
        region=args.region,
        username=args.username,
        hire_date=args.hire_date,
        password=read_password(args.password),
    )
    with sessions().begin() as session:
        people.add_person(session, ACTOR, data)
    return _("Added {role} {name} <{email}>.").format(
        role=data.role.value, name=data.name, email=data.email
    )


def set_password(args) -> str:
    password = read_password(args.password)
    with sessions().begin() as session:
        people.set_password(session, ACTOR, args.login, password)
    return _("Password of {login} changed.").format(login=args.login)


def deactivate(args) -> str:
    with sessions().begin() as session:
        people.deactivate(session, ACTOR, args.login)
    return _("{login} deactivated: they can no longer sign in.").format(login=args.login)


def register(commands) -> None:
    user = commands.add_parser("user", help="manage people who sign in")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    parser = user_commands.add_parser("add", help="add a person")
    parser.add_argument("--email", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--role", required=True, choices=["admin", "director", "manager", "rep"])
    parser.add_argument("--region")
    parser.add_argument("--username")
    parser.add_argument("--hire-date", type=date.fromisoformat)
    parser.add_argument("--password", help="(read from stdin or prompted when omitted)")
    parser.set_defaults(run=add)
    parser = user_commands.add_parser("set-password", help="set a person's password")
    parser.add_argument("login", help="username or email")
    parser.add_argument("--password")
    parser.set_defaults(run=set_password)
    parser = user_commands.add_parser("deactivate", help="stop a person from signing in")
    parser.add_argument("login", help="username or email")
    parser.set_defaults(run=deactivate)
