"""Importing targets: each fiscal year, measure and product line in the file becomes a new
version of that plan series, approved at once (only directors and administrators import
targets).

A region without rows of its own gets the sum of its reps and sub-regions; a file equal to the
series' latest approved plan changes nothing. An empty measure is revenue and an empty product
line every line. Units, visits and deals created are whole numbers; a product line must be one
of the catalogue's, and only revenue and units targets may name one.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.i18n import N_, _
from core.models import COUNT_MEASURES, Measure, PlanStatus
from core.org import audit
from core.org.company import fiscal_start_month
from core.org.regions import RegionTree
from core.periods import fiscal_year_of
from core.plans.cells import series_of
from core.plans.lines import product_lines
from core.transfer.formats import Kind, TargetRow
from core.transfer.import_context import ImportContext, ImportResult, money_text, repeated_in_file
from db.base import table_of
from db.bulk import bulk_insert
from db.schema import Target, TargetPlan

Series = tuple[int, Measure, str]
"""One plan series of the file: fiscal year, measure, product line ("" for every line)."""

NOT_WHOLE = {
    Measure.UNITS: N_("a units target is a whole number of units"),
    Measure.VISITS: N_("a visits target is a whole number of visits"),
    Measure.DEALS_CREATED: N_("a deals_created target is a whole number of deals"),
}
LINE_MEASURES = (Measure.REVENUE, Measure.UNITS)
"""The measures a target may set for one product line."""
MEASURE_ORDER = list(Measure)


def _line_of(ctx: ImportContext, number: int, row: TargetRow, lines: dict[str, str]) -> str | None:
    """The row's product line as the catalogue spells it ("" for every line), or None after
    recording why it is refused."""
    given = " ".join((row.product_line or "").split())
    if not given:
        return ""
    if row.measure not in LINE_MEASURES:
        ctx.problem(
            number,
            "product_line",
            given,
            _(
                "{value} targets have no product line; only revenue and units targets "
                "can be set by product line"
            ).format(value=row.measure.value),
        )
        return None
    found = lines.get(given.lower())
    if found is None:
        ctx.problem(
            number, "product_line", given, _("no product line of this name in the catalogue")
        )
    return found


def import_targets(ctx: ImportContext, dry_run: bool) -> ImportResult:
    session = ctx.session
    start_month = fiscal_start_month(session)
    lines = {line.lower(): line for line in product_lines(session)}
    rep_rows: dict[Series, dict[tuple[int, date], tuple[int, Decimal]]] = defaultdict(dict)
    own_region_rows: dict[Series, dict[tuple[int, date], Decimal]] = defaultdict(dict)
    seen: dict = {}
    count_by_series: dict[Series, int] = defaultdict(int)
    for number, row, __ in ctx.rows.of(TargetRow):
        line = _line_of(ctx, number, row, lines)
        if row.measure in COUNT_MEASURES and row.amount != row.amount.to_integral_value():
            ctx.problem(number, "amount", row.amount, _(NOT_WHOLE[row.measure]))
            continue
        if line is None:
            continue
        series = (fiscal_year_of(row.month, start_month), row.measure, line)
        if row.rep:
            person = ctx.person(number, "rep", row.rep)
            if person is None:
                continue
            if person.region_id is None:
                ctx.problem(number, "rep", row.rep, _("this person has no region"))
                continue
            key = ("rep", person.id, row.month, row.measure, line)
            if repeated_in_file(ctx, number, "rep", row.rep, key, seen):
                continue
            rep_rows[series][(person.id, row.month)] = (person.region_id, row.amount)
        else:
            region_id = ctx.region(number, "region", row.region)
            if region_id is None:
                continue
            key = ("region", region_id, row.month, row.measure, line)
            if repeated_in_file(ctx, number, "region", row.region, key, seen):
                continue
            own_region_rows[series][(region_id, row.month)] = row.amount
        count_by_series[series] += 1
    ctx.fail_if_problems()
    result = ImportResult(kind=Kind.TARGETS, dry_run=dry_run)
    for series in sorted(count_by_series, key=lambda s: (s[0], MEASURE_ORDER.index(s[1]), s[2])):
        created = _import_series(
            ctx, series, rep_rows.get(series, {}), own_region_rows.get(series, {}), dry_run
        )
        if created:
            result.created += count_by_series[series]
        else:
            result.unchanged += count_by_series[series]
    return result


def _import_series(
    ctx: ImportContext,
    series: Series,
    reps: dict[tuple[int, date], tuple[int, Decimal]],
    own: dict[tuple[int, date], Decimal],
    dry_run: bool,
) -> bool:
    """Write one series' rows as its new approved version; False when they equal the latest
    approved one (nothing written)."""
    session = ctx.session
    year, measure, line = series
    tree = ctx.tree
    regions = _rolled_up(tree, reps, own)
    wanted = {("rep", pid, m): (rid, amt) for (pid, m), (rid, amt) in reps.items()}
    wanted.update({("region", rid, m): (rid, amt) for (rid, m), amt in regions.items()})
    latest = session.scalar(
        select(TargetPlan)
        .where(*series_of(year, measure, line))
        .order_by(TargetPlan.version.desc())
        .limit(1)
    )
    if (
        latest is not None
        and _plan_rows(session, latest.id)
        == {k: (v[0], Decimal(v[1]).quantize(Decimal("0.01"))) for k, v in wanted.items()}
        and latest.status in (PlanStatus.APPROVED, PlanStatus.LOCKED)
    ):
        return False
    if dry_run:
        return True
    version = (latest.version if latest else 0) + 1
    root_total = sum(
        (
            amt
            for (kind, rid, _m), (_r, amt) in wanted.items()
            if kind == "region" and tree.parents.get(rid) is None
        ),
        Decimal(0),
    )
    plan = TargetPlan(
        fiscal_year=year,
        measure=measure.value,
        product_line=line,
        version=version,
        status=PlanStatus.APPROVED.value,
        method="import",
        seasonality=None,
        company_target=root_total,
        padding_pct=Decimal(0),
        notes=f"Imported by {ctx.actor.label}.",
        created_by_id=ctx.actor.id,
        approved_by_id=ctx.actor.id,
        approved_at=datetime.now().replace(microsecond=0),
    )
    session.add(plan)
    session.flush()
    bulk_insert(
        session.connection(),
        table_of(Target),
        {
            "plan_id": [plan.id] * len(wanted),
            "region_id": [v[0] for v in wanted.values()],
            "person_id": [k[1] if k[0] == "rep" else None for k in wanted],
            "month": [k[2].isoformat() for k in wanted],
            "amount": [money_text(v[1]) for v in wanted.values()],
            "locked": [False] * len(wanted),
        },
    )
    audit.record(
        session,
        ctx.actor,
        "import",
        "target_plan",
        plan.id,
        after={
            "fiscal_year": year,
            "measure": measure.value,
            "product_line": line,
            "version": version,
            "rows": len(wanted),
            "status": PlanStatus.APPROVED.value,
        },
    )
    return True


def _rolled_up(
    tree: RegionTree,
    reps: dict[tuple[int, date], tuple[int, Decimal]],
    own: dict[tuple[int, date], Decimal],
) -> dict[tuple[int, date], Decimal]:
    """Every region's monthly target: its own row if the file has one, else the sum of its
    reps and sub-regions (only where there is something to sum)."""
    months = sorted({m for __, m in reps} | {m for __, m in own})
    rep_sum: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    for (_pid, month), (region_id, amount) in reps.items():
        rep_sum[(region_id, month)] += amount
    out: dict[tuple[int, date], Decimal] = {}

    def value(region_id: int, month: date) -> Decimal | None:
        parts = [v for c in tree.children.get(region_id, []) if (v := value(c, month)) is not None]
        if (region_id, month) in own:
            out[(region_id, month)] = own[(region_id, month)]
            return own[(region_id, month)]
        if (region_id, month) in rep_sum:
            parts.append(rep_sum[(region_id, month)])
        if not parts:
            return None
        out[(region_id, month)] = sum(parts, Decimal(0))
        return out[(region_id, month)]

    for month in months:
        for root in tree.children.get(None, []):
            value(root, month)
    return out


def _plan_rows(session: Session, plan_id: int) -> dict:
    rows = session.execute(
        select(Target.person_id, Target.region_id, Target.month, Target.amount).where(
            Target.plan_id == plan_id
        )
    )
    out = {}
    for person_id, region_id, month, amount in rows:
        key = ("rep", person_id, month) if person_id else ("region", region_id, month)
        out[key] = (region_id, Decimal(amount).quantize(Decimal("0.01")))
    return out
