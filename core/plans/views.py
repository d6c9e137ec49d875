"""Read models of plans: the header with what the acting user may do, the whole plan as a
table, a rep's own targets, the comparison of two versions and the regions one may open.

Directors see the whole plan; managers their subtree; reps their own rows.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import ValidationFailed
from core.i18n import _
from core.models import Actor, Measure
from core.org.access import ensure_active
from core.org.regions import load_region_tree
from core.plans.cells import (
    PlanCells,
    PlanInfo,
    find_plan,
    load_cells,
    month_labels,
    plan_by_id,
    plan_children,
    plan_info,
    series_of,
)
from core.plans.rules import allocate_refusal, ensure, manager_refusal, view_region_refusal
from db.schema import Person, Region, Target, TargetPlan


def get_plan(
    session: Session,
    actor: Actor,
    fiscal_year: int,
    version: int | None = None,
    *,
    measure: object = Measure.REVENUE,
    product_line: str = "",
) -> PlanInfo:
    """A plan version of a measure and line (the newest by default). Everyone signed in may
    see the plan header."""
    ensure_active(actor)
    plan = find_plan(session, fiscal_year, version, measure=measure, product_line=product_line)
    return plan_info(session, plan, actor)


def plan_series(session: Session, fiscal_year: int) -> list[tuple[str, str]]:
    """The (measure, product line) series that have a plan in the year: the company's revenue
    plan first, then the other measures, then product lines."""
    rows = session.execute(
        select(TargetPlan.measure, TargetPlan.product_line)
        .where(TargetPlan.fiscal_year == fiscal_year)
        .distinct()
    ).all()
    order = [m.value for m in Measure]
    return sorted(
        ((m, line or "") for m, line in rows), key=lambda r: (r[1] != "", order.index(r[0]), r[1])
    )


def can_allocate(actor: Actor) -> bool:
    """Whether the acting user may set a year's company target (also before it has a plan)."""
    return allocate_refusal(actor) is None


def plan_years(session: Session) -> list[int]:
    """The fiscal years that have a plan, in order."""
    return list(
        session.scalars(select(TargetPlan.fiscal_year).distinct().order_by(TargetPlan.fiscal_year))
    )


def _sees_region(actor: Actor, region_id: int) -> bool:
    return view_region_refusal(actor, region_id) is None


def plan_table(
    session: Session, actor: Actor, plan_id: int, *, cells: PlanCells | None = None
) -> pd.DataFrame:
    """Every row of a plan the actor may see: one line per region and rep, months as columns.

    Directors see the whole plan; managers their subtree; reps their own rows. `cells` are
    the plan's as loaded (core.plans.cells.load_cells), when the caller has them already.
    """
    ensure_active(actor)
    plan = plan_by_id(session, plan_id)
    if cells is None:
        cells = load_cells(session, plan)
    tree = load_region_tree(session)
    regions = set(cells.region) | {region for __, region in cells.rep}
    path_of = {r: tree.path(r) for r in regions}
    text_of = {r: " / ".join(tree.names.get(p, "?") for p in path_of[r]) for r in regions}
    sees = {r: _sees_region(actor, r) for r in regions}
    shown = [r for r in sorted(cells.region, key=path_of.__getitem__) if sees[r]]
    reps = [key for key in cells.rep if key[0] == actor.id or sees[key[1]]]
    people = sorted({pid for pid, __ in reps}) or [0]
    names, usernames = {}, {}
    for pid, name, username in session.execute(
        select(Person.id, Person.name, Person.username).where(Person.id.in_(people))
    ):
        names[pid], usernames[pid] = name, username
    reps.sort(key=lambda k: (path_of[k[1]], names.get(k[0], "")))
    labels = [m.strftime("%Y-%m") for m in cells.months]
    region_units = _block([cells.region[r] for r in shown])
    rep_units = _block([cells.rep[k] for k in reps])
    rep_present = _block([cells.present[k] for k in reps], bool)
    columns: dict[str, list] = {
        "level": ["region"] * len(shown) + ["rep"] * len(reps),
        "region": [text_of[r] for r in shown] + [text_of[r] for __, r in reps],
        "rep": [""] * len(shown) + [names.get(pid, "?") for pid, __ in reps],
        "username": [""] * len(shown) + [usernames.get(pid, "") for pid, __ in reps],
    }
    for i, label in enumerate(labels):
        columns[label] = region_units[:, i].tolist() + [
            v if here else None
            for v, here in zip(rep_units[:, i].tolist(), rep_present[:, i].tolist())
        ]
    columns["total"] = region_units.sum(axis=1).tolist() + rep_units.sum(axis=1).tolist()
    order = ["level", "region", "rep", "username", *labels, "total"]
    if not shown and not reps:
        return pd.DataFrame([], columns=order)
    return pd.DataFrame(columns, columns=order)


def _block(rows: list[np.ndarray], dtype: type = np.int64) -> np.ndarray:
    """Twelve-month rows as one array (no rows: an empty one)."""
    return np.array(rows, dtype) if rows else np.zeros((0, 12), dtype)


def my_targets(
    session: Session,
    actor: Actor,
    fiscal_year: int,
    *,
    measure: object = Measure.REVENUE,
    product_line: str = "",
) -> pd.DataFrame:
    """A person's own monthly targets in the year's newest plan of a measure and line: month,
    region, target."""
    ensure_active(actor)
    plan = session.scalar(
        select(TargetPlan)
        .where(*series_of(fiscal_year, measure, product_line))
        .order_by(TargetPlan.version.desc())
        .limit(1)
    )
    if plan is None:
        return pd.DataFrame(columns=["month", "region", "target"])
    rows = session.execute(
        select(Target.month, Region.name, Target.amount)
        .join(Region, Region.id == Target.region_id)
        .where(Target.plan_id == plan.id, Target.person_id == actor.id)
        .order_by(Target.month)
    ).all()
    return pd.DataFrame(
        [
            (label, region, Decimal(a))
            for (__, region, a), label in zip(rows, month_labels([r[0] for r in rows]))
        ],
        columns=["month", "region", "target"],
    )


def compare_versions(
    session: Session,
    actor: Actor,
    fiscal_year: int,
    version_a: int,
    version_b: int,
    *,
    measure: object = Measure.REVENUE,
    product_line: str = "",
) -> pd.DataFrame:
    """Yearly target of every region and rep in two versions of one series, with the change
    between them."""
    ensure(manager_refusal(actor, _("compare plan versions")))
    if version_a == version_b:
        raise ValidationFailed(_("Choose two different versions to compare."))
    frames = []
    for version in (version_a, version_b):
        plan = find_plan(session, fiscal_year, version, measure=measure, product_line=product_line)
        table = plan_table(session, actor, plan.id)
        frames.append(
            table[["level", "region", "rep", "total"]].rename(columns={"total": f"v{version}"})
        )
    merged = frames[0].merge(frames[1], on=["level", "region", "rep"], how="outer")
    merged = merged.fillna({f"v{version_a}": 0, f"v{version_b}": 0})
    merged["change"] = merged[f"v{version_b}"] - merged[f"v{version_a}"]
    return merged


def plan_regions(
    session: Session, actor: Actor, plan_id: int, *, cells: PlanCells | None = None
) -> list[tuple[int, str]]:
    """The regions of a plan the actor may open (those with sub-regions or reps), as
    (id, path) in tree order: every region for directors, the own subtree for managers.
    `cells` are the plan's as loaded, when the caller has them already."""
    ensure_active(actor)
    tree = load_region_tree(session)
    plan = plan_by_id(session, plan_id)
    if cells is None:
        cells = load_cells(session, plan)
    children = plan_children(tree, cells)
    with_reps = {region for __, region in cells.rep}
    shown = []
    for region in sorted(cells.region, key=lambda r: [tree.names[p] for p in tree.path(r)]):
        has_parts = bool(children[region] or region in with_reps)
        if has_parts and _sees_region(actor, region):
            shown.append((region, " / ".join(tree.names[p] for p in tree.path(region))))
    return shown


def ramp_and_padding_note(info: PlanInfo) -> str:
    """How the plan's reps total relates to the company figure, in words."""
    parts = []
    if info.ramp_shortfall:
        parts.append(
            _("the new-hire ramp took {ramp_shortfall:,} off the company figure").format(
                ramp_shortfall=info.ramp_shortfall
            )
        )
    if info.padding_pct:
        parts.append(
            _("reps carry {padding_pct}% more than their regions (over-assignment)").format(
                padding_pct=info.padding_pct
            )
        )
    return "; ".join(parts)
