"""`report attainment`: target, won, attainment, pace, pipeline and the chance of making the
number per entity (the company, each region, or each rep), as a table, CSV or JSON.

The columns and their order are a contract used by scripts: keep them stable. `entity` is the
key reports join on (a rep's email, a region's name, "company"), `name` the readable name beside
it (the rep's name, the region's name), as in every report.

Money is in the company currency (the app setting company_currency, USD by default): each deal
converted by the rate in effect on its day, or at the plan's budget rates when the period's
active plan fixes them; a deal not priced (no rate) counts in no figure. A split deal counts for
each rep with the rep's share, and once for the company.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from cli.common import ACTOR, add_period_options, report_period, report_today, sessions
from core.i18n import N_, _, day, period_name
from core.progress import attainment as evaluation
from core.transfer.spreadsheets import neutralise

COLUMNS = (
    "entity",
    "name",
    "period",
    "target",
    "won",
    "attainment",
    "expected_to_date",
    "gap",
    "open_pipeline",
    "weighted_pipeline",
    "forecast",
    "probability",
)
MONEY = {
    "target",
    "won",
    "expected_to_date",
    "gap",
    "open_pipeline",
    "weighted_pipeline",
    "forecast",
}
FRACTIONS = {"attainment", "probability"}
TEXT = {"entity", "name", "period"}
TITLES = {
    "company": N_("Attainment of the company in {period} (as of {day})."),
    "region": N_("Attainment by region in {period} (as of {day})."),
    "rep": N_("Attainment by rep in {period} (as of {day})."),
}
"""The line below a table (the csv and json output have none): what it shows, in words."""


def _text(column: str, value) -> str:
    """Money with cents, fractions with four places, empty where undefined."""
    if value is None:
        return ""
    if column in MONEY:
        return str(Decimal(value).quantize(Decimal("0.01")))
    if column in FRACTIONS:
        return str(Decimal(value).quantize(Decimal("0.0001")))
    return str(value)


def report_rows(rows: list[evaluation.AttainmentRow]) -> list[dict[str, str]]:
    """Each row as text; `name` is the entity's readable name (the row's label)."""
    return [
        {c: row.label if c == "name" else _text(c, getattr(row, c)) for c in COLUMNS}
        for row in rows
    ]


def render(rows: list[dict[str, str]], fmt: str, title: str | None = None) -> str:
    if fmt == "json":
        return json.dumps([{c: (r[c] if r[c] != "" else None) for c in COLUMNS} for r in rows])
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        # names come from users and files: a name like =HYPERLINK(...) must not run as a formula
        writer.writerows(
            [{**r, "entity": neutralise(r["entity"]), "name": neutralise(r["name"])} for r in rows]
        )
        return buffer.getvalue().rstrip("\n")
    widths = {c: max([len(c), *(len(r[c]) for r in rows)]) for c in COLUMNS}
    lines = ["  ".join(c.ljust(widths[c]) for c in COLUMNS)]
    lines.append("  ".join("-" * widths[c] for c in COLUMNS))
    for r in rows:
        cells = [r[c].ljust(widths[c]) if c in TEXT else r[c].rjust(widths[c]) for c in COLUMNS]
        lines.append("  ".join(cells))
    if title:  # below the table: scripts read the column names on the first line
        lines.append(title)
    return "\n".join(lines)


def attainment(args) -> str:
    with sessions(write=False)() as session:
        period = report_period(session, args)
        today = report_today(args)
        rows = evaluation.attainment_report(
            session, ACTOR, period, args.by, region=args.region, today=today
        )
    title = None
    if args.by in TITLES:
        title = _(TITLES[args.by]).format(period=period_name(period.label), day=day(today))
    return render(report_rows(rows), args.format, title)


def register_reports(report_commands) -> None:
    parser = report_commands.add_parser(
        "attainment",
        help="target, won, attainment, pace, pipeline and probability per entity (money in the "
        "company currency)",
        description="One row per entity: "
        + ", ".join(COLUMNS)
        + ". Money is in the company currency (the company_currency setting, USD by default); "
        "deals without an exchange rate on their day are not priced and count in no figure; a "
        "split deal counts for each rep with the rep's share and once for the company.",
    )
    add_period_options(parser)
    parser.add_argument("--by", required=True, help="company, region or rep")
    parser.add_argument("--region", help="only this region and the regions or reps below it")
    parser.add_argument("--format", default="table", choices=["table", "csv", "json"])
    parser.set_defaults(run=attainment)
