"""plan create | show | approve: target plans from the command line (acting as administrator)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal, InvalidOperation

from cli.common import ACTOR, fiscal_year_arg, sessions, version_arg
from core.errors import ValidationFailed
from core.planning import Method
from core.plans.allocation import RAMP_MODES, SEASONALITIES, create_plan
from core.plans.cells import find_plan
from core.plans.manual_weights import weights_by_login
from core.plans.views import get_plan, plan_table, ramp_and_padding_note
from core.plans.workflow import approve_plan
from core.transfer.spreadsheets import safe_frame


def _amount(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "").replace("_", ""))
    except InvalidOperation:
        raise ValidationFailed(f"'{text}' is not an amount.") from None
    return value


def _weight_rows(path: str) -> list[dict[str, str]]:
    """The rows of a weights file: a CSV with the columns rep (username or email) and weight."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            columns = set(reader.fieldnames or ())
    except OSError as exc:
        raise ValidationFailed(f"The weights file {path} cannot be read: {exc.strerror}.") from None
    except (UnicodeDecodeError, csv.Error):
        raise ValidationFailed(f"The weights file {path} is not a UTF-8 CSV file.") from None
    if not {"rep", "weight"} <= columns:
        raise ValidationFailed(
            f"The weights file {path} needs the columns rep (username or email) and weight."
        )
    return rows


def _months(text: str | None) -> list[Decimal] | None:
    if text is None:
        return None
    return [_amount(part.strip()) for part in text.split(",") if part.strip()]


def create(args) -> str:
    if args.method == "manual" and not args.weights:
        raise ValidationFailed("The manual method needs --weights FILE (columns rep, weight).")
    if args.weights and args.method != "manual":
        raise ValidationFailed("--weights is for the manual method only.")
    if args.seasonality == "manual" and not args.months:
        raise ValidationFailed("Manual seasonality needs --months with twelve percentages.")
    if args.months and args.seasonality != "manual":
        raise ValidationFailed("--months is for manual seasonality only.")
    with sessions().begin() as session:
        weights = weights_by_login(session, _weight_rows(args.weights)) if args.weights else None
        info = create_plan(
            session,
            ACTOR,
            fiscal_year=args.year,
            company_target=_amount(args.target),
            method=args.method,
            seasonality=args.seasonality,
            padding_pct=_amount(args.padding),
            ramp_mode=args.ramp,
            manual_weights=weights,
            manual_season=_months(args.months),
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
            "ramp_mode": info.ramp_mode,
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
        "--method",
        required=True,
        choices=[m.value for m in Method],
        help="how reps are weighted; manual takes --weights",
    )
    parser.add_argument(
        "--weights",
        metavar="FILE",
        help="manual method: a CSV with the columns rep (username or email) and weight",
    )
    parser.add_argument("--seasonality", choices=list(SEASONALITIES), default="flat")
    parser.add_argument(
        "--months",
        help="manual seasonality: twelve percentages of the year, comma-separated, summing to 100",
    )
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
