"""`snapshot [--today DATE]`: freeze this week's forecast snapshots (for a cron job).

The first run on or after a Monday or the first day of a period takes them; later runs that week
add nothing, so running it daily or hourly is safe.
"""

from __future__ import annotations

from datetime import date

from cli.common import sessions
from core.i18n import _
from core.performance.scorecard import benchmarks
from core.progress.snapshots import run_snapshots
from db.engine import session_factory


def snapshot(args) -> str:
    reading = sessions(write=False)
    with reading() as session:
        commit = benchmarks(session).commit_probability
    writing = session_factory(reading.kw["bind"], write=True)
    run = run_snapshots(reading, writing, args.today, commit_probability=commit)
    if not run.periods and not run.reconstructed:
        return _("Nothing to take on {taken_on:%Y-%m-%d}: this week's snapshots exist.").format(
            taken_on=run.taken_on
        )
    lines = []
    if run.periods:
        lines.append(
            _(
                "Took the forecast snapshots of {periods} on {taken_on:%Y-%m-%d}: {rows} rows."
            ).format(periods=", ".join(run.periods), taken_on=run.taken_on, rows=run.rows)
        )
    if run.reconstructed:
        lines.append(
            _(
                "Rebuilt from the stage history the committed deals at the start of "
                "{count} periods whose start was not snapshotted in time."
            ).format(count=len(run.reconstructed))
        )
    lines.append(
        _("Committed deals frozen: {committed_deals}.").format(committed_deals=run.committed_deals)
    )
    return "\n".join(lines)


def register(commands) -> None:
    parser = commands.add_parser(
        "snapshot",
        help="freeze this week's forecast snapshots (company, regions, reps); for cron",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("--today", type=_day, default=None, help="as of this day (YYYY-MM-DD)")
    parser.set_defaults(run=snapshot)


def _day(text: str) -> date:
    """A snapshot day: an ISO date in the years the periods cover (1900-2999)."""
    day = date.fromisoformat(text)
    if not 1900 <= day.year <= 2999:
        raise ValueError(_("{text} is outside the years 1900 to 2999").format(text=text))
    return day
