"""plan create | show | approve: target plans from the command line (acting as administrator)."""

from __future__ import annotations

import io
import json
from decimal import Decimal, InvalidOperation

from cli.common import ACTOR, fiscal_year_arg, sessions, version_arg
from core.errors import ValidationFailed
from core.planning import Method
from core.plans.allocation import RAMP_MODES, create_plan
from core.plans.cells import find_plan
from core.plans.views import get_plan, plan_table, ramp_and_padding_note
from core.plans.workflow import approve_plan
from core.transfer.spreadsheets import safe_frame


def _amount(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "").replace("_", ""))
    except InvalidOperation:
        raise ValidationFailed(f"'{text}' is not an amount.") from None
    return value


def create(args) -> str:
    with sessions().begin() as session:
        info = create_plan(
            session,
            ACTOR,
            fiscal_year=args.year,
            company_target=_amount(args.target),
            method=args.method,
            seasonality=args.seasonality,
            padding_pct=_amount(args.padding),
            ramp_mode=args.ramp,
        )
        table = plan_table(session, ACTOR, info.id)
    regions = int((table["level"] == "region").sum())
    reps = int((table["level"] == "rep").sum())
    line = (
        f"FY{info.fiscal_year} v{info.version} ({info.status.value}): {info.allocated:,.0f} "
        f"allocated to {regions} regions and {reps} reps over 12 months by {info.method}, "
        f"{info.seasonality} seasonality"
    )
    if note := ramp_and_padding_note(info):
        line += f"; {note}"
    return line + "."


def show(args) -> str:
    with sessions(write=False)() as session:
        info = get_plan(session, ACTOR, args.year, args.version)
        table = plan_table(session, ACTOR, info.id)
    if args.format == "csv":
        buffer = io.StringIO()
        safe_frame(table).to_csv(buffer, index=False)  # region and rep names formula-safe
        return buffer.getvalue().rstrip("\n")
    if args.format == "json":
        payload = {
            "fiscal_year": info.fiscal_year,
            "version": info.version,
            "status": info.status.value,
            "method": info.method,
            "seasonality": info.seasonality,
            "company_target": str(info.company_target),
            "padding_pct": str(info.padding_pct),
            "rows": json.loads(table.to_json(orient="records")),
        }
        return json.dumps(payload, indent=2)
    header = (
        f"FY{info.fiscal_year} v{info.version} · {info.status.value} · company target "
        f"{info.company_target:,.0f} · method {info.method} · seasonality {info.seasonality}"
    )
    shown = table.drop(columns=["username"]).fillna("")
    return header + "\n" + shown.to_string(index=False)


def approve(args) -> str:
    with sessions().begin() as session:
        current = find_plan(session, args.year, args.version)
        info = approve_plan(session, ACTOR, current.id)
    return f"FY{info.fiscal_year} v{info.version} approved."


def register(commands) -> None:
    plan = commands.add_parser("plan", help="create, show and approve target plans")
    plan_commands = plan.add_subparsers(dest="plan_command", required=True)
    parser = plan_commands.add_parser(
        "create", help="set the company target and break it down to regions, reps and months"
    )
    parser.add_argument(
        "--year", type=fiscal_year_arg, required=True, help="fiscal year, e.g. 2027"
    )
    parser.add_argument("--target", required=True, help="company target, e.g. 12000000")
    parser.add_argument(
        "--method", required=True, choices=[m.value for m in Method if m != "manual"]
    )
    parser.add_argument("--seasonality", choices=["flat", "history"], default="flat")
    parser.add_argument("--padding", default="0", help="over-assignment to reps, in percent")
    parser.add_argument(
        "--ramp",
        choices=list(RAMP_MODES),
        default="spread",
        help="new-hire ramp shortfall: spread over the other reps or absorb it",
    )
    parser.set_defaults(run=create)
    parser = plan_commands.add_parser("show", help="print a plan: every region and rep by month")
    parser.add_argument("--year", type=fiscal_year_arg, required=True)
    parser.add_argument("--version", type=version_arg, help="default: the newest version")
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    parser.set_defaults(run=show)
    parser = plan_commands.add_parser("approve", help="approve the newest version of a plan")
    parser.add_argument("--year", type=fiscal_year_arg, required=True)
    parser.add_argument("--version", type=version_arg, help="default: the newest version")
    parser.set_defaults(run=approve)
