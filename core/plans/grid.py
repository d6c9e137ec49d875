"""Grid edits: managers and directors change the targets of one region's sub-regions and
reps, month by month or by a yearly total, with row locks.

Business rules:
- The region figure the director gave stays fixed: a change to a rep is absorbed by the other
  reps of that region, a change to a sub-region by its sibling sub-regions and the region's
  own reps. Locked rows keep their amounts.
- A manager changes their own subtree, and only while the plan is a draft; a director's
  change to an approved or locked plan is saved in a new draft version.
- The director may change the company figure of a plan; every level is re-shared in
  proportion to what it has now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from pydantic import BaseModel
from sqlalchemy.orm import Session

from core import planning
from core.errors import NotFound, ValidationFailed
from core.i18n import _
from core.models import Actor, to_amount
from core.org import audit
from core.org.regions import RegionTree, load_region_tree
from core.planning import PlanningError
from core.plans.cells import (
    PlanCells,
    PlanInfo,
    check_sums,
    claim,
    company_region_id,
    load_cells,
    month_labels,
    month_names,
    plan_by_id,
    plan_children,
    plan_info,
    rep_names_of,
    save_cells,
    state_of,
)
from core.plans.rules import (
    CLOSED,
    commit_refusal,
    company_target_refusal,
    ensure,
    grid_edit_refusal,
    resplit_refusal,
    view_region_refusal,
)
from core.plans.workflow import new_version
from db.schema import TargetPlan

PartNames = Mapping[int | tuple[str, int], str]
"""The names of a plan's parts: a region by its id, a rep by ("rep", person id)."""


def part_key(kind: str, ident: int) -> str:
    return f"{kind}:{ident}"


def _parse_key(key: str) -> tuple[str, int]:
    kind, __, ident = key.partition(":")
    if kind not in ("region", "rep") or not ident.isdigit():
        raise ValidationFailed(_("Unknown row '{key}'.").format(key=key))
    return kind, int(ident)


class TargetEdits(BaseModel):
    """Changes to the grid of one region: monthly cells, yearly totals and row locks.

    Keys are grid rows ("region:ID" for a sub-region, "rep:ID" for a rep); months are indexes
    0..11 of the plan year.
    """

    cells: dict[str, dict[int, Decimal]] = {}
    totals: dict[str, Decimal] = {}
    locks: dict[str, bool] = {}

    def is_empty(self) -> bool:
        return not (self.cells or self.totals or self.locks)


def _units(value: Decimal, what: str) -> int:
    value = to_amount(value, what)
    if value != value.to_integral_value():
        raise ValidationFailed(
            _("{what} must be a whole amount (got {value}).").format(what=what, value=value)
        )
    return int(value)


def _rebalance(
    cells: PlanCells,
    children: Mapping[int, list[int]],
    region_id: int,
    totals: np.ndarray,
    padding_pct: Decimal,
    names: PartNames,
    edited_regions: Mapping[int, tuple[np.ndarray, np.ndarray]] | None = None,
    edited_reps: Mapping[tuple[int, int], tuple[np.ndarray, np.ndarray]] | None = None,
) -> None:
    """Give `region_id` the month totals `totals` and re-share them below it (in place)."""
    edited_regions = edited_regions or {}
    edited_reps = edited_reps or {}
    labels = month_names(cells.months)
    name = names.get(region_id, str(region_id))
    kids = children.get(region_id, [])
    reps = cells.reps_of(region_id)
    old = cells.region[region_id]
    cells.region[region_id] = totals
    if not kids and not reps:
        return
    kid_sum = sum((cells.region[k] for k in kids), np.zeros(12, np.int64))
    # the child regions by id, and the region's own reps together as one part, "reps"
    current: dict[int | str, np.ndarray] = {}
    fixed: dict[int | str, np.ndarray] = {}
    for kid in kids:
        value, mask = edited_regions.get(kid, (cells.region[kid], np.zeros(12, bool)))
        current[kid] = value
        fixed[kid] = mask | cells.region_locked[kid]
    rep_fixed = {
        key: cells.rep_locked[key] | ~cells.present[key] | edited_reps.get(key, (0, False))[1]
        for key in reps
    }
    if reps:
        current["reps"] = old - kid_sum
        any_fixed = np.zeros(12, bool)
        for key in reps:
            any_fixed |= cells.rep_locked[key] | edited_reps.get(key, (0, np.zeros(12, bool)))[1]
        fixed["reps"] = any_fixed
    shares = planning.rebalance_month_cells(
        totals,
        current,
        fixed,
        label=lambda k: (
            _("the reps of {name}").format(name=name)
            if isinstance(k, str)
            else names.get(k, str(k))
        ),
        month_label=lambda m: labels[m],
        what=name,
    )
    if reps:
        block = planning.padded_units(shares.pop("reps"), padding_pct)
        rep_values = {key: edited_reps.get(key, (cells.rep[key], None))[0] for key in reps}
        rep_values = {k: np.where(cells.present[k], v, 0) for k, v in rep_values.items()}
        new_reps = planning.rebalance_month_cells(
            block,
            rep_values,
            rep_fixed,
            label=lambda k: names.get(("rep", k[0]), f"rep {k[0]}"),
            month_label=lambda m: labels[m],
            what=_("the reps of {name}").format(name=name),
        )
        cells.rep.update(new_reps)
    for kid in kids:
        months = shares[kid]
        if not np.array_equal(months, cells.region[kid]):
            _rebalance(cells, children, kid, months, padding_pct, names)


def apply_edits(
    cells: PlanCells,
    tree: RegionTree,
    region_id: int,
    edits: TargetEdits,
    padding_pct: Decimal,
    rep_names: Mapping[int, str] | None = None,
) -> PlanCells:
    """A new copy of `cells` with the edits of one region's grid applied and re-shared."""
    result = cells.copy()
    if region_id not in result.region:
        raise NotFound(
            _("{get} has no targets in this plan.").format(get=tree.names.get(region_id, region_id))
        )
    children = plan_children(tree, result)
    names: dict[int | tuple[str, int], str] = dict(tree.names) | {
        ("rep", p): n for p, n in (rep_names or {}).items()
    }
    kids = set(children[region_id])
    reps = {key[0]: key for key in result.reps_of(region_id)}
    labels = month_names(result.months)
    edited_regions: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    edited_reps: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}

    def target_of(key: str):
        kind, ident = _parse_key(key)
        if kind == "region" and ident in kids:
            return kind, ident, result.region[ident], result.region_locked[ident]
        if kind == "rep" and ident in reps:
            k = reps[ident]
            return kind, k, result.rep[k], result.rep_locked[k]
        raise ValidationFailed(
            _("Row '{key}' is not part of {get}.").format(
                key=key, get=tree.names.get(region_id, region_id)
            )
        )

    for key, lock in edits.locks.items():
        kind, ident, __, locked = target_of(key)
        present = result.present[ident] if kind == "rep" else np.ones(12, bool)
        locked[:] = bool(lock) & present
    for key in set(edits.cells) | set(edits.totals):
        kind, ident, values, locked = target_of(key)
        label = names.get(ident if kind == "region" else ("rep", ident[0]), key)
        if locked.any():
            raise ValidationFailed(
                _("{label} is locked; unlock the row before changing it.").format(label=label)
            )
        present = result.present[ident] if kind == "rep" else np.ones(12, bool)
        new = values.copy()
        mask = np.zeros(12, bool)
        for month, amount in edits.cells.get(key, {}).items():
            if not 0 <= int(month) < 12:
                raise ValidationFailed(
                    _("Month {month} is not in the plan year.").format(month=month)
                )
            if not present[month]:
                raise ValidationFailed(
                    _("{label} is not in {get} in {labels}.").format(
                        label=label, get=tree.names.get(region_id), labels=labels[month]
                    )
                )
            new[month] = _units(
                amount,
                _("The target of {label} in {labels}").format(label=label, labels=labels[month]),
            )
            mask[month] = True
        if key in edits.totals:
            total = _units(edits.totals[key], _("The yearly target of {label}").format(label=label))
            weights = np.where(present, new, 0)
            if not weights.any():
                weights = present.astype(np.int64)
            if not present.any():
                raise ValidationFailed(
                    _("{label} has no months in this region.").format(label=label)
                )
            new = planning.allocate_units(np.array([total]), weights[None, :])[0]
            mask = present.copy()
        if kind == "region":
            edited_regions[ident] = (new, mask)
        else:
            edited_reps[ident] = (new, mask)
    _rebalance(
        result,
        children,
        region_id,
        result.region[region_id].copy(),
        padding_pct,
        names,
        edited_regions,
        edited_reps,
    )
    problems = check_sums(result, tree, padding_pct)
    if problems:  # a bug, never a user error: refuse rather than save something inconsistent
        raise PlanningError(_("The change would break the plan: ") + "; ".join(problems[:3]))
    return result


@dataclass(frozen=True)
class RegionGrid:
    """One region's targets: a row per sub-region and rep, months as columns."""

    plan: PlanInfo
    region_id: int
    region_name: str
    months: list[str]
    rows: pd.DataFrame  # key, kind, name, <months...>, Total, Locked
    totals: list[Decimal]  # the region's own months
    reps_total: list[Decimal] | None  # what the region's reps carry (padding included)
    can_edit: bool
    """The acting user may save changes to this grid (see rules.grid_edit_refusal)."""
    edit_refusal: str | None
    """Why not, in words, when they may not."""
    can_resplit: bool
    can_commit: bool
    """The acting user may enter the region's bottom-up figures."""
    parent_id: int | None
    sub_regions: list[tuple[int, str]]


def _grid_frame(
    cells: PlanCells, tree: RegionTree, region_id: int, rep_names: Mapping[int, str]
) -> pd.DataFrame:
    labels = month_labels(cells.months)
    children = plan_children(tree, cells)
    rows: list[Mapping[str, str | int | None]] = []
    for kid in children.get(region_id, []):
        values = cells.region[kid]
        rows.append(
            {"key": part_key("region", kid), "kind": "region", "name": tree.names[kid]}
            | {label: int(v) for label, v in zip(labels, values)}
            | {"Total": int(values.sum()), "Locked": bool(cells.region_locked[kid].all())}
        )
    for key in sorted(cells.reps_of(region_id), key=lambda k: rep_names.get(k[0], "")):
        values = cells.rep[key]
        present = cells.present[key]
        rows.append(
            {"key": part_key("rep", key[0]), "kind": "rep", "name": rep_names.get(key[0], "?")}
            | {label: (int(v) if here else None) for label, v, here in zip(labels, values, present)}
            | {
                "Total": int(values.sum()),
                "Locked": bool(cells.rep_locked[key][present].all()) if present.any() else False,
            }
        )
    columns = ["key", "kind", "name", *labels, "Total", "Locked"]
    return pd.DataFrame(rows, columns=columns)


def _grid(
    session: Session, actor: Actor, plan: TargetPlan, cells: PlanCells, region_id: int
) -> RegionGrid:
    tree = load_region_tree(session)
    names = rep_names_of(session, cells, region_id)
    children = plan_children(tree, cells)
    reps = cells.reps_of(region_id)
    reps_total = None
    if reps:
        reps_total = [
            Decimal(int(v)) for v in sum((cells.rep[k] for k in reps), np.zeros(12, np.int64))
        ]
    parent = tree.parents.get(region_id)
    state = state_of(session, plan)
    edit_refusal = grid_edit_refusal(actor, state, region_id)
    return RegionGrid(
        plan=plan_info(session, plan, actor),
        region_id=region_id,
        region_name=tree.names.get(region_id, str(region_id)),
        months=month_labels(cells.months),
        rows=_grid_frame(cells, tree, region_id, names),
        totals=[Decimal(int(v)) for v in cells.region[region_id]],
        reps_total=reps_total,
        can_edit=edit_refusal is None,
        edit_refusal=None if edit_refusal is None else str(edit_refusal),
        can_resplit=resplit_refusal(actor, state, region_id) is None,
        can_commit=commit_refusal(actor, None, region_id) is None,
        parent_id=parent if parent in cells.region else None,
        sub_regions=[(k, tree.names[k]) for k in children.get(region_id, [])],
    )


def region_grid(
    session: Session,
    actor: Actor,
    plan_id: int,
    region_id: int,
    *,
    cells: PlanCells | None = None,
) -> RegionGrid:
    """The saved targets of one region's sub-regions and reps (`cells`: the plan's as loaded,
    when the caller has them already)."""
    ensure(view_region_refusal(actor, region_id))
    plan = plan_by_id(session, plan_id)
    if cells is None:
        cells = load_cells(session, plan)
    if region_id not in cells.region:
        raise NotFound(_("This region has no targets in the plan."))
    return _grid(session, actor, plan, cells, region_id)


def preview_edits(
    session: Session, actor: Actor, plan_id: int, region_id: int, edits: TargetEdits
) -> RegionGrid:
    """What the region's grid would look like after the edits; nothing is written."""
    plan = plan_by_id(session, plan_id)
    ensure(grid_edit_refusal(actor, state_of(session, plan), region_id))
    tree = load_region_tree(session)
    cells = load_cells(session, plan)
    new = apply_edits(
        cells, tree, region_id, edits, Decimal(plan.padding_pct), rep_names_of(session, cells)
    )
    return _grid(session, actor, plan, new, region_id)


def save_edits(
    session: Session,
    actor: Actor,
    plan_id: int,
    region_id: int,
    edits: TargetEdits,
    *,
    expected_lock_version: int | None,
) -> PlanInfo:
    """Apply a region grid's edits and save them; all or nothing.

    A director changing an approved or locked plan gets a new draft version with the change;
    the approved or locked version is kept unchanged.
    """
    plan = plan_by_id(session, plan_id)
    ensure(grid_edit_refusal(actor, state_of(session, plan), region_id))
    if plan.status in CLOSED:
        if expected_lock_version is not None and plan.lock_version != expected_lock_version:
            claim(session, plan, expected_lock_version)
        plan = plan_by_id(session, new_version(session, actor, plan.id).id)
        expected_lock_version = None
    if edits.is_empty():
        raise ValidationFailed(_("There are no changes to save."))
    tree = load_region_tree(session)
    old = load_cells(session, plan)
    new = apply_edits(
        old, tree, region_id, edits, Decimal(plan.padding_pct), rep_names_of(session, old)
    )
    claim(session, plan, expected_lock_version)
    changed = save_cells(session, plan, old, new)
    audit.record(
        session,
        actor,
        "edit_targets",
        "target_plan",
        plan.id,
        after={
            "region": tree.names.get(region_id),
            "edits": edits.model_dump(),
            "rows_changed": changed,
        },
    )
    session.flush()
    return plan_info(session, plan, actor)


def set_company_target(
    session: Session,
    actor: Actor,
    plan_id: int,
    company_target: Decimal,
    *,
    expected_lock_version: int | None,
) -> PlanInfo:
    """The director changes the company figure of an open plan; every level is re-shared in
    proportion to what it has now (locked rows keep their amounts)."""
    plan = plan_by_id(session, plan_id)
    ensure(company_target_refusal(actor, state_of(session, plan)))
    if plan.status in CLOSED:
        claim(session, plan, expected_lock_version)
        plan = plan_by_id(session, new_version(session, actor, plan.id).id)
        expected_lock_version = None
    total = _units(company_target, _("The company target"))
    tree = load_region_tree(session)
    root = company_region_id(tree)
    old = load_cells(session, plan)
    weights = old.region[root] if old.region[root].any() else np.ones(12, np.int64)
    months = planning.allocate_units(np.array([total]), weights[None, :])[0]
    new = old.copy()
    _rebalance(
        new,
        plan_children(tree, new),
        root,
        months,
        Decimal(plan.padding_pct),
        dict(tree.names) | {("rep", p): n for p, n in rep_names_of(session, old).items()},
    )
    claim(session, plan, expected_lock_version)
    before = plan.company_target
    plan.company_target = Decimal(total)
    changed = save_cells(session, plan, old, new)
    audit.record(
        session,
        actor,
        "set_company_target",
        "target_plan",
        plan.id,
        before={"company_target": before},
        after={"company_target": total, "rows_changed": changed},
    )
    session.flush()
    return plan_info(session, plan, actor)
