"""import KIND FILE [...] and export KIND --out FILE: bring data in and get it out again."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from cli.common import ACTOR, sessions
from core.errors import DomainError
from core.i18n import _
from core.transfer import (
    ColumnMapping,
    ImportFailed,
    Kind,
    export_frame,
    import_table,
    load_preset,
    save_preset,
)
from core.transfer.dates import DateFormat
from core.transfer.file_notes import file_notes
from core.transfer.presets import propose_stages
from core.transfer.reading import open_table
from core.transfer.spreadsheets import to_csv_bytes, to_excel_bytes

KINDS = [kind.value for kind in Kind]


def _pairs(values: list[str] | None, option: str) -> list[tuple[str, str]]:
    out = []
    for value in values or []:
        if "=" not in value:
            raise DomainError(
                _("{option} takes SOURCE=VALUE, got '{value}'.").format(option=option, value=value)
            )
        source, target = value.split("=", 1)
        out.append((source.strip(), target.strip()))
    return out


def mapping_from_args(args, base: ColumnMapping | None = None) -> ColumnMapping:
    """The preset (if any) with the command line's options on top."""
    data = (base or ColumnMapping()).model_dump()
    data["columns"].update(dict(_pairs(args.map, "--map")))
    for source, stage in _pairs(args.stage_map, "--stage-map"):
        data["values"].setdefault("stage", {})[source] = stage
    for spec, target in _pairs(args.value_map, "--value-map"):
        if ":" not in spec:
            raise DomainError(
                _("--value-map takes FIELD:SOURCE=VALUE, got '{spec}={target}'.").format(
                    spec=spec, target=target
                )
            )
        field, source = spec.split(":", 1)
        data["values"].setdefault(field.strip(), {})[source.strip()] = target
    data["defaults"].update(dict(_pairs(args.default, "--default")))
    if args.email_domain:
        data["email_domain"] = args.email_domain
    if args.date_format:
        data["date_format"] = args.date_format
    for flag in (
        "region_from_owner",
        "similar_names_are_new",
        "create_missing_customers",
        "distinct",
        "ignore_other_columns",
        "decimal_comma",
    ):
        if getattr(args, flag):
            data[flag] = True
    return ColumnMapping.model_validate(data)


def _progress_printer(args):
    """A progress line on stderr each time the import moves on (once per chunk of a big file),
    when stderr is a terminal or --progress asks for it; never on stdout, which carries only
    the result."""
    if not (args.progress or (args.progress is None and sys.stderr.isatty())):
        return None
    last = [-1.0]

    def show(step: str, share: float) -> None:
        if share > last[0]:
            last[0] = share
            print(
                _("progress: {share:4.0%} {step}").format(share=share, step=step),
                file=sys.stderr,
                flush=True,
            )

    return show


def run_import(args) -> str:
    path = Path(args.file)
    if not path.is_file():
        raise DomainError(_("No such file: {path}.").format(path=path))
    table = open_table(path)  # streamed: a file of any size in bounded memory
    factory = sessions()
    base = None
    if args.preset:
        with factory() as session:
            preset_kind, base = load_preset(session, args.preset)
        if preset_kind != Kind(args.kind):
            raise DomainError(
                _("Preset '{preset}' is for {preset_kind}, not {kind}.").format(
                    preset=args.preset, preset_kind=preset_kind, kind=args.kind
                )
            )
    mapping = mapping_from_args(args, base)
    notes = file_notes(args.kind, table, mapping)
    for line in notes.lines(unusual_only=True):
        print(_("note: {line}").format(line=line), file=sys.stderr)
    if args.suggest_stages and Kind(args.kind) == Kind.DEALS:
        mapping = _with_suggested_stages(factory, table, mapping)
    started = time.perf_counter()
    try:
        with factory.begin() as session:
            result = import_table(
                session,
                ACTOR,
                args.kind,
                table,
                mapping,
                dry_run=args.dry_run,
                progress=_progress_printer(args),
            )
            if args.save_preset:
                save_preset(session, ACTOR, args.save_preset, args.kind, mapping)
    except ImportFailed as exc:
        for problem in exc.problems:
            print(_("error: {problem}").format(problem=problem.line()), file=sys.stderr)
        if exc.total > len(exc.problems):
            unlisted = exc.total - len(exc.problems)
            print(
                _("error: {unlisted:,} more problems are not listed.").format(unlisted=unlisted),
                file=sys.stderr,
            )
        raise DomainError(str(exc).split(". ")[0] + ".") from None
    saved = (
        _(" Mapping saved as preset '{save_preset}'.").format(save_preset=args.save_preset)
        if args.save_preset
        else ""
    )
    return f"{result.summary()} ({time.perf_counter() - started:.1f} s){saved}"


def _with_suggested_stages(factory, table, mapping: ColumnMapping) -> ColumnMapping:
    """The mapping with a proposed stage for every stage name it does not map yet; each
    proposal is printed, so the user sees what was decided."""
    with factory() as session:
        proposals = propose_stages(session, table, mapping)
    known = {k.strip().lower() for k in mapping.stage_map}
    stage_map = dict(mapping.stage_map)
    for source, suggestion in proposals.items():
        if source.strip().lower() in known:
            continue
        stage_map[source] = suggestion.stage
        print(
            _("note: stage '{source}' is imported as '{stage}' ({why}).").format(
                source=source, stage=suggestion.stage, why=suggestion.why
            ),
            file=sys.stderr,
        )
    values = {**mapping.values, "stage": stage_map}
    return mapping.model_copy(update={"values": values})


def run_export(args) -> str:
    with sessions()() as session:
        frame = export_frame(session, ACTOR, args.kind)
    out = Path(args.out)
    fmt = args.format or ("xlsx" if out.suffix.lower() == ".xlsx" else "csv")
    data = to_excel_bytes(frame, sheet=args.kind) if fmt == "xlsx" else to_csv_bytes(frame)
    out.write_bytes(data)
    return _("Exported {count:,} {kind} rows to {out}.").format(
        count=len(frame), kind=args.kind, out=out
    )


def register(commands) -> None:
    parser = commands.add_parser(
        "import", help="import a CSV or Excel file (all rows or none); see docs/import.md"
    )
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("file")
    parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    parser.add_argument(
        "--map",
        action="append",
        metavar="SOURCE=FIELD",
        help="source column to our field (empty field ignores the column)",
    )
    parser.add_argument(
        "--stage-map",
        action="append",
        metavar="SOURCE=STAGE",
        help="source stage name to one of our stages",
    )
    parser.add_argument(
        "--value-map",
        action="append",
        metavar="FIELD:SOURCE=VALUE",
        help="replace a value of a field, e.g. product:GTXPro=GTX Pro",
    )
    parser.add_argument(
        "--default",
        action="append",
        metavar="FIELD=VALUE",
        help="value for empty cells or an absent column, e.g. role=manager",
    )
    parser.add_argument("--email-domain", help="people: derive empty emails as first.last@DOMAIN")
    parser.add_argument(
        "--region-from-owner",
        action="store_true",
        help="customers: an empty region becomes the owner's region",
    )
    parser.add_argument(
        "--similar-names-are-new",
        action="store_true",
        help="customers: a name like an existing customer's (not the same) is a new customer",
    )
    parser.add_argument(
        "--create-missing-customers",
        action="store_true",
        help="deals: create customers not found, in the owner's region",
    )
    parser.add_argument(
        "--distinct", action="store_true", help="identical rows (after mapping) count once"
    )
    parser.add_argument(
        "--ignore-other-columns",
        action="store_true",
        help="ignore source columns that are neither fields nor mapped",
    )
    parser.add_argument(
        "--date-format",
        choices=[f.value for f in DateFormat],
        help="how the file's dates are written when a column can be read two ways: "
        "ISO (2014-08-15), MDY (8/15/2014), DMY (15/08/2014), YMD (2014/8/15)",
    )
    parser.add_argument(
        "--decimal-comma",
        action="store_true",
        help="amounts are written with a decimal comma (1.234,50)",
    )
    parser.add_argument(
        "--suggest-stages",
        action="store_true",
        help="deals: import stage names the mapping does not map as the stage proposed by "
        "name and probability (each proposal is printed)",
    )
    parser.add_argument(
        "--preset",
        help="start from a saved mapping or a shipped one (salesforce-opportunities, "
        "hubspot-deals, pipedrive-deals and their -owners presets)",
    )
    parser.add_argument("--save-preset", metavar="NAME", help="save this mapping under NAME")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress lines on stderr (default: when stderr is a terminal)",
    )
    parser.set_defaults(run=run_import)

    parser = commands.add_parser("export", help="export in the canonical import format")
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--out", required=True, help="the file to write")
    parser.add_argument(
        "--format", choices=["csv", "xlsx"], help="default: from the file name (.xlsx), else csv"
    )
    parser.set_defaults(run=run_export)
