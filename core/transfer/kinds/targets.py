"""Importing targets: each fiscal year in the file becomes a new version of its plan, approved
at once (only directors and administrators import targets).

A region without rows of its own gets the sum of its reps and sub-regions; a file equal to the
latest approved plan changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import PlanStatus
from core.org import audit
from core.org.company import fiscal_start_month
from core.org.regions import RegionTree
from core.periods import fiscal_year_of
from core.transfer.formats import Kind, TargetRow
from core.transfer.import_context import ImportContext, ImportResult, money_text, repeated_in_file
from db.base import table_of
from db.bulk import bulk_insert
from db.schema import Target, TargetPlan


def import_targets(ctx: ImportContext, dry_run: bool) -> ImportResult:
    session = ctx.session
    start_month = fiscal_start_month(session)
    rep_rows: dict[int, dict[tuple[int, date], tuple[int, Decimal]]] = defaultdict(dict)
    own_region_rows: dict[int, dict[tuple[int, date], Decimal]] = defaultdict(dict)
    seen: dict = {}
    count_by_year: dict[int, int] = defaultdict(int)
    for number, row, _ in ctx.rows.of(TargetRow):
        year = fiscal_year_of(row.month, start_month)
        if row.rep:
            person = ctx.person(number, "rep", row.rep)
            if person is None:
                continue
            if person.region_id is None:
                ctx.problem(number, "rep", row.rep, "this person has no region")
                continue
            if repeated_in_file(ctx, number, "rep", row.rep, ("rep", person.id, row.month), seen):
                continue
            rep_rows[year][(person.id, row.month)] = (person.region_id, row.amount)
        else:
            region_id = ctx.region(number, "region", row.region)
            if region_id is None:
                continue
            if repeated_in_file(
                ctx, number, "region", row.region, ("region", region_id, row.month), seen
            ):
                continue
            own_region_rows[year][(region_id, row.month)] = row.amount
        count_by_year[year] += 1
    ctx.fail_if_problems()
    result = ImportResult(kind=Kind.TARGETS, dry_run=dry_run)
    tree = ctx.tree
    for year in sorted(count_by_year):
        reps = rep_rows.get(year, {})
        own = own_region_rows.get(year, {})
        regions = _rolled_up(tree, reps, own)
        wanted = {("rep", pid, m): (rid, amt) for (pid, m), (rid, amt) in reps.items()}
        wanted.update({("region", rid, m): (rid, amt) for (rid, m), amt in regions.items()})
        latest = session.scalar(
            select(TargetPlan)
            .where(TargetPlan.fiscal_year == year)
            .order_by(TargetPlan.version.desc())
            .limit(1)
        )
        if (
            latest is not None
            and _plan_rows(session, latest.id)
            == {k: (v[0], Decimal(v[1]).quantize(Decimal("0.01"))) for k, v in wanted.items()}
            and latest.status in (PlanStatus.APPROVED, PlanStatus.LOCKED)
        ):
            result.unchanged += count_by_year[year]
            continue
        result.created += count_by_year[year]
        if dry_run:
            continue
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
                "version": version,
                "rows": len(wanted),
                "status": PlanStatus.APPROVED.value,
            },
        )
    return result


def _rolled_up(
    tree: RegionTree,
    reps: dict[tuple[int, date], tuple[int, Decimal]],
    own: dict[tuple[int, date], Decimal],
) -> dict[tuple[int, date], Decimal]:
    """Every region's monthly target: its own row if the file has one, else the sum of its
    reps and sub-regions (only where there is something to sum)."""
    months = sorted({m for _, m in reps} | {m for _, m in own})
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
