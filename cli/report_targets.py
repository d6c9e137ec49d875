"""`report targets`: target, achieved, attainment and gap on one measure (revenue, units,
visits or deals created) per entity (the company, each region, each rep or each product line),
as a table, CSV or JSON.

The columns and their order are a contract used by scripts: keep them stable. `entity` is the
key reports join on (a rep's email, a region's name, "company", a product line's name).
Revenue is money in the company currency with cents; units, visits and deals created are whole
numbers. Attainment is a fraction (1.0000 = the whole target), empty where there is no target;
gap is target minus achieved, empty where there is no target. Any period works, down to an
ISO week (2026-W48), whose target is its working days' part of each month.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from cli.common import (
    ACTOR,
    add_period_options,
    product_line_arg,
    report_period,
    report_today,
    sessions,
)
from core.errors import ValidationFailed
from core.i18n import _
from core.models import COUNT_MEASURES, Measure
from core.progress.measures import BY, MeasureRow, targets_report
from core.transfer.spreadsheets import neutralise

COLUMNS = ("entity", "period", "measure", "target", "achieved", "attainment", "gap")
FIGURES = {"target", "achieved", "gap"}
TEXT = {"entity", "period", "measure"}
CENT = Decimal("0.01")


def _figure(measure: Measure, value: Decimal | None) -> str:
    """Money with cents, counts as whole numbers, empty where undefined."""
    if value is None:
        return ""
    if measure in COUNT_MEASURES:
        return str(Decimal(value).quantize(Decimal(1)))
    return str(Decimal(value).quantize(CENT))


def report_rows(rows: list[MeasureRow]) -> list[dict[str, str]]:
    """Each row as text, in the report's columns."""
    out = []
    for row in rows:
        attainment = row.attainment
        out.append(
            {
                "entity": row.entity,
                "period": row.period,
                "measure": row.measure.value,
                "target": _figure(row.measure, row.target),
                "achieved": _figure(row.measure, row.achieved),
                "attainment": ""
                if attainment is None
                else str(Decimal(attainment).quantize(Decimal("0.0001"))),
                "gap": _figure(row.measure, row.gap),
            }
        )
    return out


def render(rows: list[dict[str, str]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([{c: (r[c] if r[c] != "" else None) for c in COLUMNS} for r in rows])
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        # names come from users and files: a name like =HYPERLINK(...) must not run as a formula
        writer.writerows([{**r, "entity": neutralise(r["entity"])} for r in rows])
        return buffer.getvalue().rstrip("\n")
    widths = {c: max([len(c), *(len(r[c]) for r in rows)]) for c in COLUMNS}
    lines = ["  ".join(c.ljust(widths[c]) for c in COLUMNS)]
    lines.append("  ".join("-" * widths[c] for c in COLUMNS))
    for r in rows:
        cells = [r[c].ljust(widths[c]) if c in TEXT else r[c].rjust(widths[c]) for c in COLUMNS]
        lines.append("  ".join(cells))
    return "\n".join(lines)


def targets(args) -> str:
    if args.by == "product_line" and args.product_line:
        raise ValidationFailed(
            _("--by product_line reads every product line; leave out --product-line.")
        )
    with sessions(write=False)() as session:
        period = report_period(session, args)
        rows = targets_report(
            session,
            ACTOR,
            period,
            args.measure,
            args.by,
            region=args.region,
            product_line=args.product_line,
            today=report_today(args),
        )
    return render(report_rows(rows), args.format)


def register_reports(report_commands) -> None:
    parser = report_commands.add_parser(
        "targets",
        help="target, achieved, attainment and gap on one measure per entity",
        description="One row per entity: "
        + ", ".join(COLUMNS)
        + ". Revenue is in the company currency; units, visits and deals created are whole "
        "numbers. Attainment is a fraction, empty where there is no target.",
    )
    parser.add_argument(
        "--measure",
        choices=[m.value for m in Measure],
        default=Measure.REVENUE.value,
        help="what to read (default: revenue)",
    )
    add_period_options(parser)
    parser.add_argument("--by", required=True, choices=list(BY))
    parser.add_argument("--region", help="only this region and the regions or reps below it")
    parser.add_argument(
        "--product-line",
        type=product_line_arg,
        default="",
        help="one product line's targets and what its products achieved (revenue, units)",
    )
    parser.add_argument("--format", default="table", choices=["table", "csv", "json"])
    parser.set_defaults(run=targets)
