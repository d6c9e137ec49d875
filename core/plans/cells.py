"""A target plan as stored: one row per fiscal year and version, and its monthly cells.

Business rules:
- A region row (person empty) holds the region's whole subtree. Each region month equals its
  child regions' months plus its own reps' share; the region's reps together carry that share
  x (1 + padding), rounded up. Every level therefore sums exactly to its parent.
- A rep row carries the rep's region for that month, so a rep who moves keeps past months with
  the old region.
- A change made against an out-of-date copy of the plan is refused, naming who changed it in
  the meantime; nothing is saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import repeat

import numpy as np
from pydantic import BaseModel
from sqlalchemy import BigInteger, Integer, String, bindparam, delete, func, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from core import planning
from core.errors import DomainError, NotFound, ValidationFailed
from core.i18n import _
from core.models import Actor, Measure, PlanStatus, measure_of
from core.org.company import fiscal_start_month
from core.org.regions import RegionTree, load_region_tree
from core.periods import add_months
from core.plans.rules import PlanPermissions, PlanState, plan_permissions
from db.base import table_of
from db.bulk import bulk_insert
from db.schema import AuditLog, Person, Target, TargetPlan


class PlanChanged(DomainError):
    """Someone else changed the plan after it was loaded; nothing was saved."""


class PlanInfo(BaseModel):
    """One plan version as pages and the CLI see it."""

    id: int
    fiscal_year: int
    measure: Measure = Measure.REVENUE
    """What the plan's targets count."""
    product_line: str = ""
    """The product line the plan targets; empty for every line."""
    stretch_levels: list[Decimal] = []
    """Stretch levels as percentages of the target (110, 125), marked on the charts."""
    version: int
    status: PlanStatus
    method: str
    seasonality: str | None
    company_target: Decimal
    allocated: Decimal
    padding_pct: Decimal
    ramp_mode: str = "spread"
    """How the new-hire ramp shortfall was handled: spread over the other reps, or absorbed."""
    manual_season: list[Decimal] | None = None
    """The twelve monthly percentages of a manual seasonality, as entered."""
    manual_weights: dict[int, Decimal] | None = None
    """Each rep's weight (person id -> weight) of the manual method, as entered."""
    lock_version: int
    created_by: str | None
    approved_by: str | None
    approved_at: datetime | None
    notes: str | None
    versions: list[int]
    permissions: PlanPermissions
    """What the acting user may do with this version (see core.plans.rules)."""

    @property
    def series(self) -> str:
        """What the plan targets: "revenue", "units", "revenue · Bikes"."""
        return self.measure.value + (f" · {self.product_line}" if self.product_line else "")

    @property
    def label(self) -> str:
        if self.measure == Measure.REVENUE and not self.product_line:
            return f"FY{self.fiscal_year} v{self.version}"
        return f"FY{self.fiscal_year} {self.series} v{self.version}"

    @property
    def ramp_shortfall(self) -> Decimal:
        """What the new-hire ramp took off the company figure (absorbed by the company)."""
        return max(self.company_target - self.allocated, Decimal(0))


def plan_months(fiscal_year: int, start_month: int) -> list[date]:
    """The first day of each of the fiscal year's twelve months."""
    return [add_months(date(fiscal_year, start_month, 1), m) for m in range(12)]


def month_labels(months: Sequence[date]) -> list[str]:
    """Short column labels: Jan '27."""
    return [m.strftime("%b '%y") for m in months]


def month_names(months: Sequence[date]) -> list[str]:
    """Month names for messages: January 2027."""
    return [m.strftime("%B %Y") for m in months]


def series_of(
    fiscal_year: int, measure: object = Measure.REVENUE, product_line: str | None = ""
) -> list:
    """The SQL condition of one plan series: a year's versions of one measure and line (a
    year has a series per measure, and per product line besides the company's own)."""
    return [
        TargetPlan.fiscal_year == fiscal_year,
        TargetPlan.measure == measure_of(measure).value,
        TargetPlan.product_line == (product_line or "").strip(),
    ]


def same_series(plan: TargetPlan) -> list:
    """The condition of the versions of `plan`'s series."""
    return series_of(plan.fiscal_year, plan.measure, plan.product_line)


def find_plan(
    session: Session,
    fiscal_year: int,
    version: int | None = None,
    *,
    measure: object = Measure.REVENUE,
    product_line: str | None = "",
) -> TargetPlan:
    """The given version of the year's plan of a measure and line, or its newest version."""
    query = select(TargetPlan).where(*series_of(fiscal_year, measure, product_line))
    if version is not None:
        query = query.where(TargetPlan.version == version)
    plan = session.scalar(query.order_by(TargetPlan.version.desc()).limit(1))
    if plan is None:
        which = f" version {version}" if version is not None else ""
        series = measure_of(measure).value + (f" · {product_line}" if product_line else "")
        what = "" if series == Measure.REVENUE else f" {series}"
        raise NotFound(
            _("There is no FY{fiscal_year}{what} plan{which} yet.").format(
                fiscal_year=fiscal_year, what=what, which=which
            )
        )
    return plan


def plan_by_id(session: Session, plan_id: int) -> TargetPlan:
    """The plan version with this id."""
    plan = session.get(TargetPlan, plan_id)
    if plan is None:
        raise NotFound(_("No target plan with id {plan_id}.").format(plan_id=plan_id))
    return plan


def _person_name(session: Session, person_id: int | None) -> str | None:
    return (
        None
        if person_id is None
        else session.scalar(select(Person.name).where(Person.id == person_id))
    )


def state_of(session: Session, plan: TargetPlan) -> PlanState:
    """What the rules need to know about a plan version (its status, and whether it is the
    year's newest)."""
    newest = session.scalar(select(func.max(TargetPlan.version)).where(*same_series(plan)))
    return PlanState(plan.fiscal_year, plan.version, PlanStatus(plan.status), newest or 0)


def plan_info(session: Session, plan: TargetPlan, actor: Actor) -> PlanInfo:
    """The plan version's header, with what `actor` may do with it."""
    root = load_region_tree(session).root_id
    allocated = session.scalar(
        select(func.sum(Target.amount)).where(
            Target.plan_id == plan.id, Target.person_id.is_(None), Target.region_id == root
        )
    )
    versions = list(
        session.scalars(
            select(TargetPlan.version).where(*same_series(plan)).order_by(TargetPlan.version)
        )
    )
    inputs = plan.manual_inputs or {}
    return PlanInfo(
        id=plan.id,
        fiscal_year=plan.fiscal_year,
        measure=measure_of(plan.measure),
        product_line=plan.product_line or "",
        stretch_levels=[Decimal(v) for v in plan.stretch_levels or []],
        version=plan.version,
        status=PlanStatus(plan.status),
        method=plan.method,
        seasonality=plan.seasonality,
        company_target=Decimal(plan.company_target),
        allocated=Decimal(allocated or 0),
        padding_pct=Decimal(plan.padding_pct or 0),
        ramp_mode=plan.ramp_mode or "spread",
        manual_season=[Decimal(v) for v in inputs["season"]] if "season" in inputs else None,
        manual_weights={int(k): Decimal(v) for k, v in inputs["weights"].items()}
        if "weights" in inputs
        else None,
        lock_version=plan.lock_version,
        created_by=_person_name(session, plan.created_by_id),
        approved_by=_person_name(session, plan.approved_by_id),
        approved_at=plan.approved_at,
        notes=plan.notes,
        versions=versions,
        permissions=plan_permissions(
            actor, PlanState(plan.fiscal_year, plan.version, PlanStatus(plan.status), versions[-1])
        ),
    )


@dataclass
class PlanCells:
    """All monthly amounts of one plan in whole currency units, keyed for rebalancing."""

    months: list[date]
    region: dict[int, np.ndarray] = field(default_factory=dict)
    rep: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)  # (person, region)
    present: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    region_locked: dict[int, np.ndarray] = field(default_factory=dict)
    rep_locked: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)

    def reps_of(self, region_id: int) -> list[tuple[int, int]]:
        return [key for key in self.rep if key[1] == region_id]

    def copy(self) -> PlanCells:
        return PlanCells(
            months=list(self.months),
            region={k: v.copy() for k, v in self.region.items()},
            rep={k: v.copy() for k, v in self.rep.items()},
            present={k: v.copy() for k, v in self.present.items()},
            region_locked={k: v.copy() for k, v in self.region_locked.items()},
            rep_locked={k: v.copy() for k, v in self.rep_locked.items()},
        )

    # A plan's cells are kept between the reads of one page (a cache pickles them): each kind
    # travels as its keys and one block of rows, not as thousands of small arrays.
    def __getstate__(self) -> dict:
        return {"months": self.months} | {name: _packed(getattr(self, name)) for name in _KINDS}

    def __setstate__(self, state: dict) -> None:
        self.months = state["months"]
        for name in _KINDS:
            setattr(self, name, _unpacked(state[name]))


_KINDS = ("region", "rep", "present", "region_locked", "rep_locked")


def _packed(arrays: dict) -> tuple:
    values = list(arrays.values())
    if values and all(v.shape == values[0].shape and v.dtype == values[0].dtype for v in values):
        return list(arrays), np.stack(values)
    return (arrays,)  # no block of rows that share a shape and a type: as they are


def _unpacked(packed: tuple) -> dict:
    if len(packed) == 1:
        return packed[0]
    keys, block = packed
    return dict(zip(keys, block))


def load_cells(session: Session, plan: TargetPlan) -> PlanCells:
    """Every target row of the plan as cells: a region's twelve months by region, a rep's by
    (person, region), in the order the rows come by person and month (regions first)."""
    months = plan_months(plan.fiscal_year, _start_of(session, plan))
    cells = PlanCells(months=months)
    # The columns come as the driver gives them (a date or its ISO text, an integer or a
    # decimal, 0/1 or a bool), and as plain rows (a table's columns, not the ORM's): converting
    # every one of a large plan's rows to Python types one by one took most of reading it.
    if session.autoflush:
        session.flush()  # as an ORM query would: a pending change to a target row counts
    target = table_of(Target)
    rows = session.execute(
        select(
            target.c.region_id,
            target.c.person_id,
            type_coerce(target.c.month, String),
            type_coerce(target.c.amount, BigInteger),
            type_coerce(target.c.locked, Integer),
        )
        .where(target.c.plan_id == plan.id)
        .order_by(target.c.person_id, target.c.month)
    ).all()
    if not rows:
        return cells
    index = {m: i for i, m in enumerate(months)} | {m.isoformat(): i for i, m in enumerate(months)}
    region_ids, person_ids, month_values, amounts, locks = zip(*rows)
    at = np.array(list(map(index.get, month_values, repeat(-1))), np.int64)
    region = np.array(region_ids, np.int64)
    person = np.array([-1 if p is None else p for p in person_ids], np.int64)
    amount = np.array(amounts, object).astype(np.int64)  # int() of each, as a cell is whole
    locked = np.array(locks, object).astype(bool)
    kept = at >= 0  # a row outside the plan's months is not a cell
    region, person, at, amount, locked = (a[kept] for a in (region, person, at, amount, locked))
    for mine, key_columns in ((person < 0, (region,)), (person >= 0, (person, region))):
        if not mine.any():
            continue
        keys = np.stack([c[mine] for c in key_columns], axis=1)
        unique, first, which = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")  # each key where its first row came
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order))
        slot = rank[which.ravel()]
        units = np.zeros((len(order), 12), np.int64)
        lock = np.zeros((len(order), 12), bool)
        present = np.zeros((len(order), 12), bool)
        units[slot, at[mine]] = amount[mine]
        lock[slot, at[mine]] = locked[mine]
        present[slot, at[mine]] = True
        if len(key_columns) == 1:
            names = [int(r) for r in unique[order, 0]]
            cells.region = dict(zip(names, units))
            cells.region_locked = dict(zip(names, lock))
        else:
            pairs = [(int(p), int(r)) for p, r in unique[order]]
            cells.rep = dict(zip(pairs, units))
            cells.present = dict(zip(pairs, present))
            cells.rep_locked = dict(zip(pairs, lock))
    return cells


def _start_of(session: Session, plan: TargetPlan) -> int:
    """The plan's first month: from its earliest row, else the current fiscal start setting."""
    first = session.scalar(select(func.min(Target.month)).where(Target.plan_id == plan.id))
    return first.month if first is not None else fiscal_start_month(session)


def company_region_id(tree: RegionTree) -> int:
    """The region at the top of the tree: it holds the company's figures of every plan."""
    root = tree.root_id
    if root is None:
        raise ValidationFailed(_("There is no region tree yet; add the company on Organisation."))
    return root


def plan_children(tree: RegionTree, cells: PlanCells) -> dict[int, list[int]]:
    """Each region's child regions that have targets in the plan."""
    return {
        region: [c for c in tree.children.get(region, []) if c in cells.region]
        for region in cells.region
    }


def check_sums(cells: PlanCells, tree: RegionTree, padding_pct: Decimal) -> list[str]:
    """Every place where a level does not add up to its parent (empty when the plan is sound)."""
    problems: list[str] = []
    children = plan_children(tree, cells)
    for region, units in cells.region.items():
        kids = children[region]
        reps = cells.reps_of(region)
        if not kids and not reps:
            continue
        kid_sum = sum((cells.region[k] for k in kids), np.zeros(12, np.int64))
        own = units - kid_sum
        if (own < 0).any() or (not reps and own.any()):
            problems.append(
                _("{get}: sub-regions do not add up").format(get=tree.names.get(region, region))
            )
            continue
        if reps:
            rep_sum = sum((cells.rep[k] for k in reps), np.zeros(12, np.int64))
            if not np.array_equal(rep_sum, planning.padded_units(own, padding_pct)):
                problems.append(
                    _("{get}: reps do not add up").format(get=tree.names.get(region, region))
                )
    return problems


def _last_change(session: Session, plan: TargetPlan) -> str:
    row = session.execute(
        select(AuditLog.actor_label, AuditLog.at)
        .where(AuditLog.entity == "target_plan", AuditLog.entity_id == plan.id)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return _("Someone else")
    return _("{actor_label} (at {at:%Y-%m-%d %H:%M})").format(
        actor_label=row.actor_label, at=row.at
    )


def claim(session: Session, plan: TargetPlan, expected_lock_version: int | None) -> None:
    """Refuse when the plan changed since the caller loaded it; else bump its lock version."""
    if expected_lock_version is not None and plan.lock_version != expected_lock_version:
        raise PlanChanged(
            _(
                "{last_change} changed FY{fiscal_year} v{version} while you were "
                "editing it. Nothing was saved: reload the plan and make your change "
                "again."
            ).format(
                last_change=_last_change(session, plan),
                fiscal_year=plan.fiscal_year,
                version=plan.version,
            )
        )
    flag_modified(plan, "notes")
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise PlanChanged(
            _(
                "Someone changed FY{fiscal_year} v{version} at the same moment. "
                "Nothing was saved: reload the plan and make your change again."
            ).format(fiscal_year=plan.fiscal_year, version=plan.version)
        ) from None


def write_cells(session: Session, plan_id: int, cells: PlanCells) -> int:
    """Replace every target row of the plan with `cells` (one bulk insert)."""
    session.execute(delete(Target).where(Target.plan_id == plan_id))
    session.flush()
    columns: dict[str, list] = {k: [] for k in ("plan_id", "region_id", "person_id", "month")}
    columns |= {"amount": [], "locked": []}
    iso = [m.isoformat() for m in cells.months]

    def add(region_id, person_id, units, locked, present=None):
        for i in range(12):
            if present is not None and not present[i]:
                continue
            columns["plan_id"].append(plan_id)
            columns["region_id"].append(region_id)
            columns["person_id"].append(person_id)
            columns["month"].append(iso[i])
            columns["amount"].append(str(int(units[i])))
            columns["locked"].append(bool(locked[i]))

    for region_id, units in cells.region.items():
        add(region_id, None, units, cells.region_locked[region_id])
    for (person_id, region_id), units in cells.rep.items():
        add(
            person_id=person_id,
            region_id=region_id,
            units=units,
            locked=cells.rep_locked[(person_id, region_id)],
            present=cells.present[(person_id, region_id)],
        )
    return bulk_insert(session.connection(), table_of(Target), columns)


def rep_names_of(
    session: Session, cells: PlanCells, region_id: int | None = None
) -> dict[int, str]:
    """The names of the plan's reps by person id (those of one region's rows when given)."""
    ids = {pid for pid, region in cells.rep if region_id is None or region == region_id}
    if not ids:
        return {}
    return dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all())


def _changed_rows(old: PlanCells, new: PlanCells):
    for region_id, units in new.region.items():
        before = old.region[region_id]
        locked_before = old.region_locked[region_id]
        for i in np.flatnonzero(
            (units != before) | (new.region_locked[region_id] != locked_before)
        ):
            yield region_id, None, i, int(units[i]), bool(new.region_locked[region_id][i])
    for key, units in new.rep.items():
        before, locked_before = old.rep[key], old.rep_locked[key]
        changed = ((units != before) | (new.rep_locked[key] != locked_before)) & new.present[key]
        for i in np.flatnonzero(changed):
            yield key[1], key[0], i, int(units[i]), bool(new.rep_locked[key][i])


def save_cells(session: Session, plan: TargetPlan, old: PlanCells, new: PlanCells) -> int:
    """Write the cells that changed: one batched UPDATE for region rows, one for rep rows."""
    changes = list(_changed_rows(old, new))
    table = table_of(Target)
    region_rows, rep_rows = [], []
    for region_id, person_id, i, amount, locked in changes:
        row = {"p": plan.id, "r": region_id, "m": new.months[i], "a": Decimal(amount), "l": locked}
        if person_id is None:
            region_rows.append(row)
        else:
            rep_rows.append(row | {"who": person_id})
    base = table.update().values(amount=bindparam("a"), locked=bindparam("l"))
    match = (
        (table.c.plan_id == bindparam("p"))
        & (table.c.region_id == bindparam("r"))
        & (table.c.month == bindparam("m"))
    )
    connection = session.connection()
    if region_rows:
        connection.execute(base.where(match & table.c.person_id.is_(None)), region_rows)
    if rep_rows:
        connection.execute(base.where(match & (table.c.person_id == bindparam("who"))), rep_rows)
    return len(changes)
