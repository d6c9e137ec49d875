"""plan create | show | approve | break-down: target plans from the command line (acting as
administrator).

A fiscal year has one plan series per measure (revenue, units, visits, deals_created) and
product line: --measure and --product-line choose it (default: the company's revenue plan)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal, InvalidOperation

from cli.common import ACTOR, fiscal_year_arg, product_line_arg, sessions, version_arg
from core.errors import ValidationFailed
from core.i18n import _
from core.models import Measure
from core.planning import Method
from core.plans.allocation import RAMP_MODES, SEASONALITIES, create_plan
from core.plans.cells import PlanInfo, find_plan
from core.plans.line_plans import LINE_METHODS, break_by_product_line
from core.plans.manual_weights import weights_by_login
from core.plans.views import get_plan, plan_table, ramp_and_padding_note
from core.plans.workflow import approve_plan
from core.transfer.spreadsheets import safe_frame


def _amount(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "").replace("_", ""))
    except InvalidOperation:
        raise ValidationFailed(_("'{text}' is not an amount.").format(text=text)) from None
    return value


def _weight_rows(path: str) -> list[dict[str, str]]:
    """The rows of a weights file: a CSV with the columns rep (username or email) and weight."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            columns = set(reader.fieldnames or ())
    except OSError as exc:
        raise ValidationFailed(
            _("The weights file {path} cannot be read: {strerror}.").format(
                path=path, strerror=exc.strerror
            )
        ) from None
    except (UnicodeDecodeError, csv.Error):
        raise ValidationFailed(
            _("The weights file {path} is not a UTF-8 CSV file.").format(path=path)
        ) from None
    if not {"rep", "weight"} <= columns:
        raise ValidationFailed(
            _(
                "The weights file {path} needs the columns rep (username or email) and weight."
            ).format(path=path)
        )
    return rows


def _months(text: str | None) -> list[Decimal] | None:
    if text is None:
        return None
    return [_amount(part.strip()) for part in text.split(",") if part.strip()]


def _stretch(text: str | None) -> list[Decimal]:
    """--stretch 110,125: stretch levels in percent of the target."""
    if not text:
        return []
    return [_amount(part.strip().removesuffix("%")) for part in text.split(",") if part.strip()]


def _shares(text: str | None) -> dict[str, str] | None:
    """--shares "Platform=50,Services=30,Analytics=20": each product line's percent."""
    if text is None:
        return None
    shares: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        line, equals, percent = part.rpartition("=")
        if not equals or not line.strip() or not percent.strip():
            raise ValidationFailed(
                _(
                    "'{strip}' is not a share: write LINE=PERCENT pairs separated by "
                    "commas, e.g. Platform=60,Services=40."
                ).format(strip=part.strip())
            )
        shares[line.strip()] = percent.strip()
    return shares


def _allocated_line(info: PlanInfo, table) -> str:
    """One plan as the command reports it: version, status, what was allocated to whom."""
    regions = int((table["level"] == "region").sum())
    reps = int((table["level"] == "rep").sum())
    line = _(
        "{label} ({status}): {allocated:,.0f} allocated to {regions} regions "
        "and {reps} reps over 12 months by {method}, {seasonality} seasonality"
    ).format(
        label=info.label,
        status=info.status.value,
        allocated=info.allocated,
        regions=regions,
        reps=reps,
        method=info.method,
        seasonality=info.seasonality,
    )
    if info.stretch_levels:
        levels = ", ".join(f"{level} %" for level in info.stretch_levels)
        line += _("; stretch levels {levels}").format(levels=levels)
    if note := ramp_and_padding_note(info):
        line += f"; {note}"
    return line + "."


def create(args) -> str:
    if args.method == "manual" and not args.weights:
        raise ValidationFailed(_("The manual method needs --weights FILE (columns rep, weight)."))
    if args.weights and args.method != "manual":
        raise ValidationFailed(_("--weights is for the manual method only."))
    if args.seasonality == "manual" and not args.months:
        raise ValidationFailed(_("Manual seasonality needs --months with twelve percentages."))
    if args.months and args.seasonality != "manual":
        raise ValidationFailed(_("--months is for manual seasonality only."))
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
            measure=args.measure,
            product_line=args.product_line,
            stretch_levels=_stretch(args.stretch),
        )
        table = plan_table(session, ACTOR, info.id)
    return _allocated_line(info, table)


def break_down(args) -> str:
    if args.by_line == "manual" and args.shares is None:
        raise ValidationFailed(
            _("Breaking down by your own shares needs --shares, e.g. Platform=60,Services=40.")
        )
    if args.shares is not None and args.by_line != "manual":
        raise ValidationFailed(_("--shares is for --by-line manual only."))
    with sessions().begin() as session:
        company = find_plan(session, args.year, args.version, measure=args.measure)
        plans = break_by_product_line(
            session, ACTOR, company.id, args.by_line, _shares(args.shares)
        )
        lines = [_allocated_line(info, plan_table(session, ACTOR, info.id)) for info in plans]
    if not lines:
        return _("No product line has a share of the plan, so no line plan was made.")
    return "\n".join(lines)


def show(args) -> str:
    with sessions(write=False)() as session:
        info = get_plan(
            session,
            ACTOR,
            args.year,
            args.version,
            measure=args.measure,
            product_line=args.product_line,
        )
        table = plan_table(session, ACTOR, info.id)
    if args.format == "csv":
        buffer = io.StringIO()
        safe_frame(table).to_csv(buffer, index=False)  # region and rep names formula-safe
        return buffer.getvalue().rstrip("\n")
    if args.format == "json":
        payload = {
            "fiscal_year": info.fiscal_year,
            "measure": info.measure.value,
            "product_line": info.product_line,
            "stretch_levels": [str(level) for level in info.stretch_levels],
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
    header = _(
        "{label} · {status} · company target {company_target:,.0f} · method "
        "{method} · seasonality {seasonality}"
    ).format(
        label=info.label,
        status=info.status.value,
        company_target=info.company_target,
        method=info.method,
        seasonality=info.seasonality,
    )
    shown = table.drop(columns=["username"]).fillna("")
    return header + "\n" + shown.to_string(index=False)


def approve(args) -> str:
    with sessions().begin() as session:
        current = find_plan(
            session, args.year, args.version, measure=args.measure, product_line=args.product_line
        )
        info = approve_plan(session, ACTOR, current.id)
    return _("{label} approved.").format(label=info.label)


def _series_options(parser) -> None:
    """--measure and --product-line: which of the year's plan series a command reads."""
    parser.add_argument(
        "--measure",
        choices=[m.value for m in Measure],
        default=Measure.REVENUE.value,
        help="what the plan counts (default: revenue)",
    )
    parser.add_argument(
        "--product-line",
        type=product_line_arg,
        default="",
        help="a product line of the catalogue (default: every line, the company's plan)",
    )


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
    parser.add_argument(
        "--seasonality",
        default="flat",
        metavar="NAME",
        help=f"{', '.join(SEASONALITIES)} (with --months) or the name of a seasonality profile",
    )
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
    _series_options(parser)
    parser.add_argument(
        "--stretch",
        metavar="LEVELS",
        help="stretch levels in percent of the target, comma-separated, e.g. 110,125",
    )
    parser.set_defaults(run=create)
    parser = plan_commands.add_parser("show", help="print a plan: every region and rep by month")
    parser.add_argument("--year", type=fiscal_year_arg, required=True)
    parser.add_argument("--version", type=version_arg, help="default: the newest version")
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    _series_options(parser)
    parser.set_defaults(run=show)
    parser = plan_commands.add_parser("approve", help="approve the newest version of a plan")
    parser.add_argument("--year", type=fiscal_year_arg, required=True)
    parser.add_argument("--version", type=version_arg, help="default: the newest version")
    _series_options(parser)
    parser.set_defaults(run=approve)
    parser = plan_commands.add_parser(
        "break-down",
        help="break the company's revenue or units plan down by product line (one draft plan "
        "per line)",
    )
    parser.add_argument("--year", type=fiscal_year_arg, required=True)
    parser.add_argument(
        "--version", type=version_arg, help="the company plan's version (default: the newest)"
    )
    parser.add_argument(
        "--measure",
        choices=[Measure.REVENUE.value, Measure.UNITS.value],
        default=Measure.REVENUE.value,
        help="the company plan to break down (default: revenue)",
    )
    parser.add_argument(
        "--by-line",
        required=True,
        choices=list(LINE_METHODS),
        help="each line's share: of the 12 months before the year, equal, or --shares",
    )
    parser.add_argument(
        "--shares",
        help='--by-line manual: each line\'s percent, e.g. "Platform=50,Services=30,Analytics=20"',
    )
    parser.set_defaults(run=break_down)
