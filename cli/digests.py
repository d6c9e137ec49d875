"""`digest send --kind weekly|daily|reminders [--dry-run] [--today DATE]`: email the digests.

Cron decides the day (weekly on Mondays, daily and reminders every working morning); the
command sends whenever it is run, once per person, kind and period: a second run the same week
(weekly) or day (daily, reminders) sends nothing again. An unreachable mail server: one line on
stderr, exit status 2, and nothing that was not accepted is marked sent.
"""

from __future__ import annotations

import sys
from datetime import date

from cli.common import sessions
from core import clock
from core.i18n import _, ngettext
from core.performance.digests.delivery import MailServerUnavailable
from core.performance.digests.sending import SendRun, send_digests
from core.performance.digests.settings import smtp_settings
from db.schema import DigestKind

UNREACHABLE = 2


def _summary(run: SendRun) -> str:
    lines = []
    for d in run.deliveries:
        line = (
            _("Would send to {name} <{email}> ({language}): {subject}")
            if run.dry_run
            else _("Sent to {name} <{email}> ({language}): {subject}")
        )
        lines.append(
            line.format(name=d.name, email=d.email, language=d.language, subject=d.subject)
        )
    count = len(run.deliveries)
    if run.dry_run:
        lines.append(
            ngettext(
                "Dry run: {n} {kind} digest for {period} would be sent; "
                "nothing was sent or logged.",
                "Dry run: {n} {kind} digests for {period} would be sent; "
                "nothing was sent or logged.",
                count,
            ).format(n=count, kind=run.kind.value, period=run.period_key)
        )
    else:
        lines.append(
            ngettext(
                "Sent {n} {kind} digest for {period}.",
                "Sent {n} {kind} digests for {period}.",
                count,
            ).format(n=count, kind=run.kind.value, period=run.period_key)
        )
    lines.append(
        _(
            "Left out: {already} already sent for this period, {opted} opted out, "
            "{quiet} with nothing to say."
        ).format(already=run.already_sent, opted=run.opted_out, quiet=run.nothing_to_say)
    )
    return "\n".join(lines)


def send(args) -> str:
    today = args.today or clock.today()
    settings = None if args.dry_run else smtp_settings()
    factory = sessions()
    try:
        run = send_digests(factory, args.kind, today=today, settings=settings, dry_run=args.dry_run)
    except MailServerUnavailable as exc:
        print(_("error: {message}").format(message=" ".join(str(exc).split())), file=sys.stderr)
        raise SystemExit(UNREACHABLE) from None
    return _summary(run)


def register(commands) -> None:
    parser = commands.add_parser(
        "digest",
        help="email the weekly, daily and reminder digests (for cron)",
        description=__doc__.split("\n\n")[0],
    )
    actions = parser.add_subparsers(dest="digest_command", required=True)
    sender = actions.add_parser("send", help="send one kind of digest to everyone it is for")
    sender.add_argument("--kind", required=True, choices=[k.value for k in DigestKind])
    sender.add_argument(
        "--dry-run", action="store_true", help="list who would get what; send and log nothing"
    )
    sender.add_argument(
        "--today", type=date.fromisoformat, default=None, help="as of this day (YYYY-MM-DD)"
    )
    sender.set_defaults(run=send)
