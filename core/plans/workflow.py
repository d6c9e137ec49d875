"""Target plans in the database: one per fiscal year and version, broken down to every region,
rep and month, with the workflow draft -> submitted -> approved -> locked.

Business rules:
- The director sets the company figure; it is broken down top-down (`planning.cascade`) to
  every region, every rep and every month by the chosen method and seasonality.
- A region row (person empty) holds the region's whole subtree. Each region month equals its
  child regions' months plus its own reps' share; the region's reps together carry that share
  x (1 + padding), rounded up. Every level therefore sums exactly to its parent.
- A rep row carries the rep's region for that month, so a rep who moves keeps past months with
  the old region.
- Managers change their own subtree, and only while the plan is a draft; the region figure the
  director gave them stays fixed: a change to a rep is absorbed by the other reps of that
  region, a change to a sub-region by its sibling sub-regions and the region's own reps.
- Directors (and administrators) set the company figure, approve and lock. A change to an
  approved or locked plan creates a new draft version; the earlier versions are kept.
- Every change is audited; a change made against an out-of-date copy of the plan is refused,
  naming who changed it in the meantime.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from core import planning
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.models import Actor, PlanStatus, Role, to_amount
from core.org import audit
from core.org.access import ensure_active, ensure_role, in_scope
from core.org.company import fiscal_start_month, ramp_schedule
from core.org.regions import RegionTree, load_region_tree
from core.periods import add_months
from core.planning import Method, PlanningError
from db.bulk import bulk_insert
from db.schema import AuditLog, Customer, Deal, DealStatus, Person, Region, Target, TargetPlan

SEASONALITIES = ("flat", "history", "manual")
RAMP_MODES = ("spread", "absorb")
HISTORY_MONTHS = 12
"""The historical-share method weighs each rep by won revenue in the 12 months before the year."""


class PlanChanged(DomainError):
    """Someone else changed the plan after it was loaded; nothing was saved."""


class PlanInfo(BaseModel):
    """One plan version as pages and the CLI see it."""

    id: int
    fiscal_year: int
    version: int
    status: PlanStatus
    method: str
    seasonality: str | None
    company_target: Decimal
    allocated: Decimal
    padding_pct: Decimal
    lock_version: int
    created_by: str | None
    approved_by: str | None
    approved_at: datetime | None
    notes: str | None
    versions: list[int]

    @property
    def label(self) -> str:
        return f"FY{self.fiscal_year} v{self.version}"

    @property
    def ramp_shortfall(self) -> Decimal:
        """What the new-hire ramp took off the company figure (absorbed by the company)."""
        return max(self.company_target - self.allocated, Decimal(0))


# --------------------------------------------------------------------------- loading


def plan_months(fiscal_year: int, start_month: int) -> list[date]:
    """The first day of each of the fiscal year's twelve months."""
    return [add_months(date(fiscal_year, start_month, 1), m) for m in range(12)]


def month_labels(months: Sequence[date]) -> list[str]:
    """Short column labels: Jan '27."""
    return [m.strftime("%b '%y") for m in months]


def month_names(months: Sequence[date]) -> list[str]:
    """Month names for messages: January 2027."""
    return [m.strftime("%B %Y") for m in months]


def find_plan(session: Session, fiscal_year: int, version: int | None = None) -> TargetPlan:
    """The given version of the year's plan, or its newest version."""
    query = select(TargetPlan).where(TargetPlan.fiscal_year == fiscal_year)
    if version is not None:
        query = query.where(TargetPlan.version == version)
    plan = session.scalar(query.order_by(TargetPlan.version.desc()).limit(1))
    if plan is None:
        which = f" version {version}" if version is not None else ""
        raise NotFound(f"There is no FY{fiscal_year} plan{which} yet.")
    return plan


def _plan(session: Session, plan_id: int) -> TargetPlan:
    plan = session.get(TargetPlan, plan_id)
    if plan is None:
        raise NotFound(f"No target plan with id {plan_id}.")
    return plan


def _person_name(session: Session, person_id: int | None) -> str | None:
    return (
        None
        if person_id is None
        else session.scalar(select(Person.name).where(Person.id == person_id))
    )


def plan_info(session: Session, plan: TargetPlan) -> PlanInfo:
    root = load_region_tree(session).root_id
    allocated = session.scalar(
        select(func.sum(Target.amount)).where(
            Target.plan_id == plan.id, Target.person_id.is_(None), Target.region_id == root
        )
    )
    versions = list(
        session.scalars(
            select(TargetPlan.version)
            .where(TargetPlan.fiscal_year == plan.fiscal_year)
            .order_by(TargetPlan.version)
        )
    )
    return PlanInfo(
        id=plan.id,
        fiscal_year=plan.fiscal_year,
        version=plan.version,
        status=PlanStatus(plan.status),
        method=plan.method,
        seasonality=plan.seasonality,
        company_target=Decimal(plan.company_target),
        allocated=Decimal(allocated or 0),
        padding_pct=Decimal(plan.padding_pct or 0),
        lock_version=plan.lock_version,
        created_by=_person_name(session, plan.created_by_id),
        approved_by=_person_name(session, plan.approved_by_id),
        approved_at=plan.approved_at,
        notes=plan.notes,
        versions=versions,
    )


def get_plan(
    session: Session, actor: Actor, fiscal_year: int, version: int | None = None
) -> PlanInfo:
    """A plan version (the newest by default). Everyone signed in may see the plan header."""
    ensure_active(actor)
    return plan_info(session, find_plan(session, fiscal_year, version))


def plan_years(session: Session) -> list[int]:
    return list(
        session.scalars(select(TargetPlan.fiscal_year).distinct().order_by(TargetPlan.fiscal_year))
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


def load_cells(session: Session, plan: TargetPlan) -> PlanCells:
    months = plan_months(plan.fiscal_year, _start_of(session, plan))
    index = {m: i for i, m in enumerate(months)}
    cells = PlanCells(months=months)
    rows = session.execute(
        select(Target.region_id, Target.person_id, Target.month, Target.amount, Target.locked)
        .where(Target.plan_id == plan.id)
        .order_by(Target.person_id, Target.month)
    )
    for region_id, person_id, month, amount, locked in rows:
        i = index.get(month)
        if i is None:
            continue
        if person_id is None:
            cells.region.setdefault(region_id, np.zeros(12, np.int64))[i] = int(amount)
            cells.region_locked.setdefault(region_id, np.zeros(12, bool))[i] = bool(locked)
        else:
            key = (person_id, region_id)
            cells.rep.setdefault(key, np.zeros(12, np.int64))[i] = int(amount)
            cells.present.setdefault(key, np.zeros(12, bool))[i] = True
            cells.rep_locked.setdefault(key, np.zeros(12, bool))[i] = bool(locked)
    return cells


def _start_of(session: Session, plan: TargetPlan) -> int:
    """The plan's first month: from its earliest row, else the current fiscal start setting."""
    first = session.scalar(select(func.min(Target.month)).where(Target.plan_id == plan.id))
    return first.month if first is not None else fiscal_start_month(session)


def _plan_children(tree: RegionTree, cells: PlanCells) -> dict[int, list[int]]:
    return {
        region: [c for c in tree.children.get(region, []) if c in cells.region]
        for region in cells.region
    }


def check_sums(cells: PlanCells, tree: RegionTree, padding_pct: Decimal) -> list[str]:
    """Every place where a level does not add up to its parent (empty when the plan is sound)."""
    problems: list[str] = []
    children = _plan_children(tree, cells)
    for region, units in cells.region.items():
        kids = children[region]
        reps = cells.reps_of(region)
        if not kids and not reps:
            continue
        kid_sum = sum((cells.region[k] for k in kids), np.zeros(12, np.int64))
        own = units - kid_sum
        if (own < 0).any() or (not reps and own.any()):
            problems.append(f"{tree.names.get(region, region)}: sub-regions do not add up")
            continue
        if reps:
            rep_sum = sum((cells.rep[k] for k in reps), np.zeros(12, np.int64))
            if not np.array_equal(rep_sum, planning.padded_units(own, padding_pct)):
                problems.append(f"{tree.names.get(region, region)}: reps do not add up")
    return problems


# --------------------------------------------------------------------------- permissions


def _ensure_director(actor: Actor, action: str) -> None:
    ensure_role(actor, Role.DIRECTOR, action=action)


def ensure_can_edit_region(actor: Actor, plan: TargetPlan, region_id: int) -> None:
    """Directors change any region while the plan is open; a manager only their own subtree and
    only while the plan is a draft; reps change no targets."""
    ensure_active(actor)
    if actor.sees_everything:
        return
    if actor.role != Role.MANAGER:
        raise PermissionDenied("Only managers and directors change targets; you can read yours.")
    if not in_scope(actor, region_id):
        raise PermissionDenied("You can only change targets in the regions you manage.")
    if plan.status != PlanStatus.DRAFT:
        raise PermissionDenied(
            f"FY{plan.fiscal_year} v{plan.version} is {plan.status}; managers change targets only "
            "while the plan is a draft. Ask the director to return it to draft."
        )


def ensure_can_view_region(actor: Actor, region_id: int) -> None:
    ensure_active(actor)
    if actor.sees_everything or (actor.role == Role.MANAGER and in_scope(actor, region_id)):
        return
    raise PermissionDenied("You can only see the targets of regions you manage.")


# --------------------------------------------------------------------------- concurrency


def _last_change(session: Session, plan: TargetPlan) -> str:
    row = session.execute(
        select(AuditLog.actor_label, AuditLog.at)
        .where(AuditLog.entity == "target_plan", AuditLog.entity_id == plan.id)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return "Someone else"
    return f"{row.actor_label} (at {row.at:%Y-%m-%d %H:%M})"


def _claim(session: Session, plan: TargetPlan, expected_lock_version: int | None) -> None:
    """Refuse when the plan changed since the caller loaded it; else bump its lock version."""
    if expected_lock_version is not None and plan.lock_version != expected_lock_version:
        raise PlanChanged(
            f"{_last_change(session, plan)} changed FY{plan.fiscal_year} v{plan.version} while "
            "you were editing it. Nothing was saved: reload the plan and make your change again."
        )
    flag_modified(plan, "notes")
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise PlanChanged(
            f"Someone changed FY{plan.fiscal_year} v{plan.version} at the same moment. Nothing "
            "was saved: reload the plan and make your change again."
        ) from None


# --------------------------------------------------------------------------- creating


def _active_reps(session: Session, region_ids: set[int]) -> list[tuple[int, int, date | None]]:
    return list(
        session.execute(
            select(Person.id, Person.region_id, Person.hire_date)
            .where(
                Person.role == Role.REP, Person.active.is_(True), Person.region_id.in_(region_ids)
            )
            .order_by(Person.id)
        ).all()
    )


def _method_data(
    session: Session, method: Method, rep_ids: list[int], year_start: date
) -> dict[int, Decimal] | None:
    if method == Method.HISTORY:
        query = (
            select(Deal.owner_id, func.sum(Deal.amount))
            .where(
                Deal.status == DealStatus.WON,
                Deal.closed_on >= add_months(year_start, -HISTORY_MONTHS),
                Deal.closed_on < year_start,
            )
            .group_by(Deal.owner_id)
        )
    elif method == Method.POTENTIAL:
        query = select(Customer.owner_id, func.sum(Customer.annual_potential)).group_by(
            Customer.owner_id
        )
    elif method == Method.PIPELINE:
        query = (
            select(Deal.owner_id, func.sum(Deal.amount))
            .where(Deal.status == DealStatus.OPEN)
            .group_by(Deal.owner_id)
        )
    else:
        return None
    wanted = set(rep_ids)
    return {
        owner: Decimal(total or 0) for owner, total in session.execute(query) if owner in wanted
    }


def history_season(session: Session, year_start: date) -> list[Decimal]:
    """Each fiscal month's share of won revenue in the three years before the plan year."""
    month_no = func.extract("month", Deal.closed_on)
    rows = session.execute(
        select(month_no, func.sum(Deal.amount))
        .where(
            Deal.status == DealStatus.WON,
            Deal.closed_on >= add_months(year_start, -36),
            Deal.closed_on < year_start,
        )
        .group_by(month_no)
    )
    won = {(int(m) - year_start.month) % 12 + 1: Decimal(t or 0) for m, t in rows}
    return planning.history_profile(won)


def season_profile(
    session: Session, seasonality: str, year_start: date, manual: Sequence | None = None
) -> list[Decimal]:
    if seasonality == "flat":
        return planning.flat_profile()
    if seasonality == "history":
        return history_season(session, year_start)
    if seasonality == "manual":
        if manual is None:
            raise ValidationFailed("Manual seasonality needs twelve monthly percentages.")
        return planning.manual_profile(list(manual))
    raise ValidationFailed(
        f"Unknown seasonality '{seasonality}': choose one of {', '.join(SEASONALITIES)}."
    )


_NO_DATA = {
    Method.HISTORY: "No rep won anything in the 12 months before FY{year}, so historical share "
    "cannot weigh them; choose another method.",
    Method.POTENTIAL: "No rep owns customers with an annual potential; choose another method.",
    Method.PIPELINE: "No rep has open pipeline; choose another method.",
    Method.MANUAL: "Give at least one rep a positive manual weight.",
}


def compute_allocation(
    session: Session,
    *,
    fiscal_year: int,
    company_target: Decimal,
    method: str,
    seasonality: str = "flat",
    padding_pct: Decimal = Decimal(0),
    ramp_mode: Literal["spread", "absorb"] = "spread",
    manual_weights: Mapping[int, Decimal] | None = None,
    manual_season: Sequence | None = None,
) -> PlanCells:
    """The whole plan (every region, rep and month) for a company figure; nothing is written."""
    if company_target < 0 or company_target != company_target.to_integral_value():
        raise ValidationFailed("The company target must be a whole, non-negative amount.")
    if ramp_mode not in RAMP_MODES:
        raise ValidationFailed(f"Unknown ramp mode '{ramp_mode}': use spread or absorb.")
    try:
        chosen = Method(method)
    except ValueError:
        raise ValidationFailed(
            f"Unknown method '{method}': choose one of {', '.join(m.value for m in Method)}."
        ) from None
    start = fiscal_start_month(session)
    months = plan_months(fiscal_year, start)
    tree = load_region_tree(session)
    active = set(session.scalars(select(Region.id).where(Region.active.is_(True))))
    root = tree.root_id
    if root is None:
        raise ValidationFailed("There is no region tree yet; add the company on Organisation.")
    children = {r: [c for c in kids if c in active] for r, kids in tree.children.items() if r}
    regions = {r for r in tree.subtree(root) if r in active} | {root}
    reps = _active_reps(session, regions)
    if not reps and company_target:
        raise ValidationFailed("There are no active reps to carry the target; add reps first.")
    rep_ids = [pid for pid, _, _ in reps]
    data = _method_data(session, chosen, rep_ids, months[0])
    if chosen == Method.MANUAL:
        data = dict(manual_weights or {})
    if data is not None and rep_ids and not any(data.get(pid, 0) for pid in rep_ids):
        raise ValidationFailed(_NO_DATA[chosen].format(year=fiscal_year))
    weights = planning.weights_for(
        chosen, rep_ids, history=data, potential=data, pipeline=data, manual=data
    )
    profile = season_profile(session, seasonality, months[0], manual_season)
    schedule = ramp_schedule(session)
    root_units = np.array(
        [int(v) for v in planning.spread_over_months({root: company_target}, profile)[root]],
        dtype=np.int64,
    )
    full = {pid: float(weights[pid]) for pid in rep_ids}
    ramped = {
        pid: np.array([float(f) for f in planning.ramp_factors(hire, months, schedule)]) * full[pid]
        for pid, _, hire in reps
    }
    if ramp_mode == "absorb":
        full_sum = sum(full.values())
        ramped_sum = sum(ramped.values(), np.zeros(12))
        if full_sum > 0:
            share = ramped_sum / full_sum
            root_units = np.floor(root_units * share + 0.5).astype(np.int64)
    reps_in: dict[int, list[int]] = {}
    for pid, region_id, _ in reps:
        reps_in.setdefault(region_id, []).append(pid)
    region_units, rep_units = planning.cascade(
        root,
        root_units,
        children,
        reps_in,
        ramped,
        padding_pct=padding_pct,
        label=lambda r: tree.names.get(r, str(r)),
    )
    cells = PlanCells(months=months)
    for region_id in sorted(region_units):
        cells.region[region_id] = region_units[region_id]
        cells.region_locked[region_id] = np.zeros(12, bool)
    region_of = {pid: region_id for pid, region_id, _ in reps}
    for pid, units in rep_units.items():
        key = (pid, region_of[pid])
        cells.rep[key] = units
        cells.present[key] = np.ones(12, bool)
        cells.rep_locked[key] = np.zeros(12, bool)
    return cells


def _write_cells(session: Session, plan_id: int, cells: PlanCells) -> int:
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
    return bulk_insert(session.connection(), Target.__table__, columns)


def create_plan(
    session: Session,
    actor: Actor,
    *,
    fiscal_year: int,
    company_target: Decimal,
    method: str,
    seasonality: str = "flat",
    padding_pct: Decimal = Decimal(0),
    ramp_mode: Literal["spread", "absorb"] = "spread",
    manual_weights: Mapping[int, Decimal] | None = None,
    manual_season: Sequence | None = None,
    expected_lock_version: int | None = None,
) -> PlanInfo:
    """Set the company figure and break it down to every region, rep and month (directors).

    The year's first plan is version 1. When the newest version is approved or locked a new
    draft version is started (the old one is kept); a draft or submitted plan is allocated
    again from scratch and goes back to draft.
    """
    _ensure_director(actor, "set the company target")
    if not 2000 <= fiscal_year <= 2100:
        raise ValidationFailed(f"Fiscal year {fiscal_year} is not a plausible year.")
    company_target = to_amount(company_target, "The company target")
    padding_pct = to_amount(padding_pct, "Padding")
    if padding_pct < 0 or padding_pct > 100:
        raise ValidationFailed("Padding must be between 0 and 100 percent.")
    # stored with hundredths of a percent; more decimals (a float from a slider) overflowed
    # the vectorised padding
    padding_pct = padding_pct.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    cells = compute_allocation(
        session,
        fiscal_year=fiscal_year,
        company_target=company_target,
        method=method,
        seasonality=seasonality,
        padding_pct=padding_pct,
        ramp_mode=ramp_mode,
        manual_weights=manual_weights,
        manual_season=manual_season,
    )
    latest = session.scalar(
        select(TargetPlan)
        .where(TargetPlan.fiscal_year == fiscal_year)
        .order_by(TargetPlan.version.desc())
        .limit(1)
    )
    settings = {
        "method": Method(method).value,
        "seasonality": seasonality,
        "company_target": company_target,
        "padding_pct": padding_pct,
        "ramp": ramp_mode,
    }
    if latest is None or latest.status in (PlanStatus.APPROVED, PlanStatus.LOCKED):
        plan = TargetPlan(
            fiscal_year=fiscal_year,
            version=1 if latest is None else latest.version + 1,
            status=PlanStatus.DRAFT,
            method=settings["method"],
            seasonality=seasonality,
            company_target=company_target,
            padding_pct=padding_pct,
            created_by_id=actor.id,
        )
        session.add(plan)
        session.flush()
        action, before = "create", None
    else:
        plan = latest
        before = {"status": plan.status, "company_target": plan.company_target}
        _claim(session, plan, expected_lock_version)
        plan.status = PlanStatus.DRAFT
        plan.method = settings["method"]
        plan.seasonality = seasonality
        plan.company_target = company_target
        plan.padding_pct = padding_pct
        action = "reallocate"
    rows = _write_cells(session, plan.id, cells)
    audit.record(
        session,
        actor,
        action,
        "target_plan",
        plan.id,
        before=before,
        after={**settings, "version": plan.version, "rows": rows},
    )
    session.flush()
    return plan_info(session, plan)


# --------------------------------------------------------------------------- workflow


def _transition(
    session: Session,
    actor: Actor,
    plan: TargetPlan,
    *,
    allowed_from: tuple[PlanStatus, ...],
    to: PlanStatus,
    action: str,
    expected_lock_version: int | None,
) -> PlanInfo:
    if plan.status not in allowed_from:
        names = " or ".join(s.value for s in allowed_from)
        raise ValidationFailed(
            f"FY{plan.fiscal_year} v{plan.version} is {plan.status}; only a {names} plan can be "
            f"{'approved' if to == PlanStatus.APPROVED else to.value}."
        )
    if plan.status == PlanStatus.DRAFT and to != PlanStatus.DRAFT:
        problems = check_sums(
            load_cells(session, plan), load_region_tree(session), Decimal(plan.padding_pct)
        )
        if problems:
            raise ValidationFailed("The plan does not add up: " + "; ".join(problems[:5]))
    _claim(session, plan, expected_lock_version)
    before = plan.status
    plan.status = to
    if to == PlanStatus.APPROVED:
        plan.approved_by_id = actor.id
        plan.approved_at = datetime.now()
    audit.record(
        session,
        actor,
        action,
        "target_plan",
        plan.id,
        before={"status": before},
        after={"status": to},
    )
    session.flush()
    return plan_info(session, plan)


def submit_plan(
    session: Session, actor: Actor, plan_id: int, *, expected_lock_version: int | None = None
) -> PlanInfo:
    """A manager (or the director) hands a draft plan in for approval."""
    ensure_role(actor, Role.MANAGER, action="submit a plan")
    return _transition(
        session,
        actor,
        _plan(session, plan_id),
        allowed_from=(PlanStatus.DRAFT,),
        to=PlanStatus.SUBMITTED,
        action="submit",
        expected_lock_version=expected_lock_version,
    )


def return_to_draft(
    session: Session, actor: Actor, plan_id: int, *, expected_lock_version: int | None = None
) -> PlanInfo:
    """The director sends a submitted plan back so managers can change it again."""
    _ensure_director(actor, "return a plan to draft")
    return _transition(
        session,
        actor,
        _plan(session, plan_id),
        allowed_from=(PlanStatus.SUBMITTED,),
        to=PlanStatus.DRAFT,
        action="return_to_draft",
        expected_lock_version=expected_lock_version,
    )


def approve_plan(
    session: Session, actor: Actor, plan_id: int, *, expected_lock_version: int | None = None
) -> PlanInfo:
    """The director approves a draft or submitted plan; it becomes the year's active plan."""
    _ensure_director(actor, "approve a plan")
    return _transition(
        session,
        actor,
        _plan(session, plan_id),
        allowed_from=(PlanStatus.DRAFT, PlanStatus.SUBMITTED),
        to=PlanStatus.APPROVED,
        action="approve",
        expected_lock_version=expected_lock_version,
    )


def lock_plan(
    session: Session, actor: Actor, plan_id: int, *, expected_lock_version: int | None = None
) -> PlanInfo:
    """The director locks an approved plan: from then on a change makes a new version."""
    _ensure_director(actor, "lock a plan")
    return _transition(
        session,
        actor,
        _plan(session, plan_id),
        allowed_from=(PlanStatus.APPROVED,),
        to=PlanStatus.LOCKED,
        action="lock",
        expected_lock_version=expected_lock_version,
    )


def new_version(session: Session, actor: Actor, plan_id: int) -> PlanInfo:
    """A new draft version copied from an approved or locked plan (which stays as it was)."""
    _ensure_director(actor, "start a new plan version")
    source = _plan(session, plan_id)
    if source.status not in (PlanStatus.APPROVED, PlanStatus.LOCKED):
        raise ValidationFailed(
            f"FY{source.fiscal_year} v{source.version} is still {source.status}; change it "
            "directly instead of starting a new version."
        )
    newest = session.scalar(
        select(func.max(TargetPlan.version)).where(TargetPlan.fiscal_year == source.fiscal_year)
    )
    if newest != source.version:
        raise ValidationFailed(
            f"FY{source.fiscal_year} already has a newer version (v{newest}); change that one."
        )
    plan = TargetPlan(
        fiscal_year=source.fiscal_year,
        version=source.version + 1,
        status=PlanStatus.DRAFT,
        method=source.method,
        seasonality=source.seasonality,
        company_target=source.company_target,
        padding_pct=source.padding_pct,
        notes=f"Copied from v{source.version}.",
        created_by_id=actor.id,
    )
    session.add(plan)
    session.flush()
    cells = load_cells(session, source)
    _write_cells(session, plan.id, cells)
    audit.record(
        session,
        actor,
        "new_version",
        "target_plan",
        plan.id,
        after={"from_version": source.version, "version": plan.version},
    )
    session.flush()
    return plan_info(session, plan)


# --------------------------------------------------------------------------- editing


def part_key(kind: str, ident: int) -> str:
    return f"{kind}:{ident}"


def _parse_key(key: str) -> tuple[str, int]:
    kind, _, ident = key.partition(":")
    if kind not in ("region", "rep") or not ident.isdigit():
        raise ValidationFailed(f"Unknown row '{key}'.")
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
        raise ValidationFailed(f"{what} must be a whole amount (got {value}).")
    return int(value)


def _rebalance(
    cells: PlanCells,
    children: Mapping[int, list[int]],
    region_id: int,
    totals: np.ndarray,
    padding_pct: Decimal,
    names: Mapping[int, str],
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
    current: dict[object, np.ndarray] = {}
    fixed: dict[object, np.ndarray] = {}
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
        label=lambda k: names.get(k, str(k)) if k != "reps" else f"the reps of {name}",
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
            what=f"the reps of {name}",
        )
        cells.rep.update(new_reps)
    for kid, months in shares.items():
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
        raise NotFound(f"{tree.names.get(region_id, region_id)} has no targets in this plan.")
    children = _plan_children(tree, result)
    names: dict = dict(tree.names) | {("rep", p): n for p, n in (rep_names or {}).items()}
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
            f"Row '{key}' is not part of {tree.names.get(region_id, region_id)}."
        )

    for key, lock in edits.locks.items():
        kind, ident, _, locked = target_of(key)
        present = result.present[ident] if kind == "rep" else np.ones(12, bool)
        locked[:] = bool(lock) & present
    for key in set(edits.cells) | set(edits.totals):
        kind, ident, values, locked = target_of(key)
        label = names.get(ident if kind == "region" else ("rep", ident[0]), key)
        if locked.any():
            raise ValidationFailed(f"{label} is locked; unlock the row before changing it.")
        present = result.present[ident] if kind == "rep" else np.ones(12, bool)
        new = values.copy()
        mask = np.zeros(12, bool)
        for month, amount in edits.cells.get(key, {}).items():
            if not 0 <= int(month) < 12:
                raise ValidationFailed(f"Month {month} is not in the plan year.")
            if not present[month]:
                raise ValidationFailed(
                    f"{label} is not in {tree.names.get(region_id)} in {labels[month]}."
                )
            new[month] = _units(amount, f"The target of {label} in {labels[month]}")
            mask[month] = True
        if key in edits.totals:
            total = _units(edits.totals[key], f"The yearly target of {label}")
            weights = np.where(present, new, 0)
            if not weights.any():
                weights = present.astype(np.int64)
            if not present.any():
                raise ValidationFailed(f"{label} has no months in this region.")
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
        raise PlanningError("The change would break the plan: " + "; ".join(problems[:3]))
    return result


def _rep_names(session: Session, cells: PlanCells) -> dict[int, str]:
    ids = {pid for pid, _ in cells.rep}
    if not ids:
        return {}
    return dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all())


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
    editable: bool
    parent_id: int | None
    sub_regions: list[tuple[int, str]]


def _grid_frame(
    cells: PlanCells, tree: RegionTree, region_id: int, rep_names: Mapping[int, str]
) -> pd.DataFrame:
    labels = month_labels(cells.months)
    children = _plan_children(tree, cells)
    rows = []
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


def _can_edit(actor: Actor, plan: TargetPlan, region_id: int) -> bool:
    try:
        ensure_can_edit_region(actor, plan, region_id)
    except PermissionDenied:
        return False
    return True


def _grid(
    session: Session, actor: Actor, plan: TargetPlan, cells: PlanCells, region_id: int
) -> RegionGrid:
    tree = load_region_tree(session)
    names = _rep_names(session, cells)
    children = _plan_children(tree, cells)
    reps = cells.reps_of(region_id)
    reps_total = None
    if reps:
        reps_total = [
            Decimal(int(v)) for v in sum((cells.rep[k] for k in reps), np.zeros(12, np.int64))
        ]
    parent = tree.parents.get(region_id)
    return RegionGrid(
        plan=plan_info(session, plan),
        region_id=region_id,
        region_name=tree.names.get(region_id, str(region_id)),
        months=month_labels(cells.months),
        rows=_grid_frame(cells, tree, region_id, names),
        totals=[Decimal(int(v)) for v in cells.region[region_id]],
        reps_total=reps_total,
        editable=_can_edit(actor, plan, region_id),
        parent_id=parent if parent in cells.region else None,
        sub_regions=[(k, tree.names[k]) for k in children.get(region_id, [])],
    )


def region_grid(session: Session, actor: Actor, plan_id: int, region_id: int) -> RegionGrid:
    """The saved targets of one region's sub-regions and reps."""
    ensure_can_view_region(actor, region_id)
    plan = _plan(session, plan_id)
    cells = load_cells(session, plan)
    if region_id not in cells.region:
        raise NotFound("This region has no targets in the plan.")
    return _grid(session, actor, plan, cells, region_id)


def preview_edits(
    session: Session, actor: Actor, plan_id: int, region_id: int, edits: TargetEdits
) -> RegionGrid:
    """What the region's grid would look like after the edits; nothing is written."""
    plan = _plan(session, plan_id)
    if plan.status in (PlanStatus.APPROVED, PlanStatus.LOCKED):
        _ensure_director(actor, "change an approved plan")  # saving starts a new version
    else:
        ensure_can_edit_region(actor, plan, region_id)
    tree = load_region_tree(session)
    cells = load_cells(session, plan)
    new = apply_edits(
        cells, tree, region_id, edits, Decimal(plan.padding_pct), _rep_names(session, cells)
    )
    return _grid(session, actor, plan, new, region_id)


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


def _save_cells(session: Session, plan: TargetPlan, old: PlanCells, new: PlanCells) -> int:
    """Write the cells that changed: one batched UPDATE for region rows, one for rep rows."""
    changes = list(_changed_rows(old, new))
    table = Target.__table__
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
    plan = _plan(session, plan_id)
    if plan.status in (PlanStatus.APPROVED, PlanStatus.LOCKED):
        _ensure_director(actor, "change an approved plan")
        if expected_lock_version is not None and plan.lock_version != expected_lock_version:
            _claim(session, plan, expected_lock_version)
        plan = _plan(session, new_version(session, actor, plan.id).id)
        expected_lock_version = None
    ensure_can_edit_region(actor, plan, region_id)
    if edits.is_empty():
        raise ValidationFailed("There are no changes to save.")
    tree = load_region_tree(session)
    old = load_cells(session, plan)
    new = apply_edits(
        old, tree, region_id, edits, Decimal(plan.padding_pct), _rep_names(session, old)
    )
    _claim(session, plan, expected_lock_version)
    changed = _save_cells(session, plan, old, new)
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
    return plan_info(session, plan)


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
    _ensure_director(actor, "set the company target")
    plan = _plan(session, plan_id)
    if plan.status in (PlanStatus.APPROVED, PlanStatus.LOCKED):
        _claim(session, plan, expected_lock_version)
        plan = _plan(session, new_version(session, actor, plan.id).id)
        expected_lock_version = None
    total = _units(company_target, "The company target")
    tree = load_region_tree(session)
    root = tree.root_id
    old = load_cells(session, plan)
    weights = old.region[root] if old.region[root].any() else np.ones(12, np.int64)
    months = planning.allocate_units(np.array([total]), weights[None, :])[0]
    new = old.copy()
    _rebalance(
        new,
        _plan_children(tree, new),
        root,
        months,
        Decimal(plan.padding_pct),
        dict(tree.names) | {("rep", p): n for p, n in _rep_names(session, old).items()},
    )
    _claim(session, plan, expected_lock_version)
    before = plan.company_target
    plan.company_target = Decimal(total)
    changed = _save_cells(session, plan, old, new)
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
    return plan_info(session, plan)


# --------------------------------------------------------------------------- reading


def _sees_region(actor: Actor, region_id: int) -> bool:
    return actor.sees_everything or (actor.role == Role.MANAGER and in_scope(actor, region_id))


def plan_table(session: Session, actor: Actor, plan_id: int) -> pd.DataFrame:
    """Every row of a plan the actor may see: one line per region and rep, months as columns.

    Directors see the whole plan; managers their subtree; reps their own rows.
    """
    ensure_active(actor)
    plan = _plan(session, plan_id)
    cells = load_cells(session, plan)
    tree = load_region_tree(session)
    names = _rep_names(session, cells)
    usernames = dict(
        session.execute(
            select(Person.id, Person.username).where(Person.id.in_(list(names) or [0]))
        ).all()
    )
    labels = [m.strftime("%Y-%m") for m in cells.months]
    rows = []
    for region_id in sorted(cells.region, key=lambda r: tree.path(r)):
        if not (
            actor.sees_everything or (actor.role == Role.MANAGER and in_scope(actor, region_id))
        ):
            continue
        values = cells.region[region_id]
        path = " / ".join(tree.names.get(r, "?") for r in tree.path(region_id))
        rows.append(
            {"level": "region", "region": path, "rep": "", "username": ""}
            | dict(zip(labels, map(int, values)))
            | {"total": int(values.sum())}
        )
    for (pid, region_id), values in sorted(
        cells.rep.items(), key=lambda kv: (tree.path(kv[0][1]), names.get(kv[0][0], ""))
    ):  # noqa: E501
        visible = (
            actor.sees_everything
            or pid == actor.id
            or (actor.role == Role.MANAGER and in_scope(actor, region_id))
        )
        if not visible:
            continue
        present = cells.present[(pid, region_id)]
        path = " / ".join(tree.names.get(r, "?") for r in tree.path(region_id))
        rows.append(
            {
                "level": "rep",
                "region": path,
                "rep": names.get(pid, "?"),
                "username": usernames.get(pid, ""),
            }
            | {label: (int(v) if here else None) for label, v, here in zip(labels, values, present)}  # noqa: E501
            | {"total": int(values.sum())}
        )
    return pd.DataFrame(rows, columns=["level", "region", "rep", "username", *labels, "total"])


def my_targets(session: Session, actor: Actor, fiscal_year: int) -> pd.DataFrame:
    """A person's own monthly targets in the year's newest plan: month, region, target."""
    ensure_active(actor)
    plan = session.scalar(
        select(TargetPlan)
        .where(TargetPlan.fiscal_year == fiscal_year)
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
            for (_, region, a), label in zip(rows, month_labels([r[0] for r in rows]))
        ],
        columns=["month", "region", "target"],
    )


def compare_versions(
    session: Session, actor: Actor, fiscal_year: int, version_a: int, version_b: int
) -> pd.DataFrame:
    """Yearly target of every region and rep in two versions, with the change between them."""
    _ensure_director_or_manager(actor)
    if version_a == version_b:
        raise ValidationFailed("Choose two different versions to compare.")
    frames = []
    for version in (version_a, version_b):
        plan = find_plan(session, fiscal_year, version)
        table = plan_table(session, actor, plan.id)
        frames.append(
            table[["level", "region", "rep", "total"]].rename(columns={"total": f"v{version}"})
        )
    merged = frames[0].merge(frames[1], on=["level", "region", "rep"], how="outer")
    merged = merged.fillna({f"v{version_a}": 0, f"v{version_b}": 0})
    merged["change"] = merged[f"v{version_b}"] - merged[f"v{version_a}"]
    return merged


def _ensure_director_or_manager(actor: Actor) -> None:
    ensure_role(actor, Role.MANAGER, action="compare plan versions")


def plan_regions(session: Session, actor: Actor, plan_id: int) -> list[tuple[int, str]]:
    """The regions of a plan the actor may open (those with sub-regions or reps), as
    (id, path) in tree order: every region for directors, the own subtree for managers."""
    ensure_active(actor)
    tree = load_region_tree(session)
    cells = load_cells(session, _plan(session, plan_id))
    children = _plan_children(tree, cells)
    shown = []
    for region in sorted(cells.region, key=lambda r: [tree.names[p] for p in tree.path(r)]):
        has_parts = bool(children[region] or cells.reps_of(region))
        if has_parts and _sees_region(actor, region):
            shown.append((region, " / ".join(tree.names[p] for p in tree.path(region))))
    return shown


def ramp_and_padding_note(info: PlanInfo) -> str:
    """How the plan's reps total relates to the company figure, in words."""
    parts = []
    if info.ramp_shortfall:
        parts.append(f"the new-hire ramp took {info.ramp_shortfall:,} off the company figure")
    if info.padding_pct:
        parts.append(f"reps carry {info.padding_pct}% more than their regions (over-assignment)")
    return "; ".join(parts)


# --------------------------------------------------------------------------- upload


def read_plan_file(name: str, content: bytes) -> pd.DataFrame:
    """A plan file (CSV or Excel, as downloaded) as text cells; refuses other formats."""
    import io

    lowered = name.lower()
    try:
        if lowered.endswith(".csv"):
            return pd.read_csv(
                io.BytesIO(content), dtype=str, keep_default_na=False, encoding="utf-8-sig"
            )
        if lowered.endswith((".xlsx", ".xlsm")):
            return pd.read_excel(io.BytesIO(content), dtype=str, keep_default_na=False)
    except Exception as exc:  # unreadable file: say so, never a traceback
        raise ValidationFailed(f"{name} could not be read as a plan: {exc}") from None
    raise ValidationFailed(f"{name}: upload a .csv or .xlsx file downloaded from this page.")


def _cell_units(raw: object) -> int | None:
    text = str(raw).strip().lstrip("'").replace(",", "")
    if text == "" or text.lower() == "nan":
        return None
    value = Decimal(text)
    if not value.is_finite() or value < 0 or value != value.to_integral_value():
        raise ValueError
    return int(value)


def upload_plan(
    session: Session,
    actor: Actor,
    plan_id: int,
    frame: pd.DataFrame,
    *,
    expected_lock_version: int | None,
) -> PlanInfo:
    """Replace a draft plan's amounts with an uploaded table (the format `plan_table` gives).

    Every row is checked (known region and rep, whole non-negative amounts, months where the
    rep is in that region) and then every level must add up; the plan is saved whole or, on
    any problem, not at all (the message lists the rows at fault).
    """
    _ensure_director(actor, "upload a plan")
    plan = _plan(session, plan_id)
    if plan.status != PlanStatus.DRAFT:
        raise ValidationFailed(
            f"FY{plan.fiscal_year} v{plan.version} is {plan.status}; upload into a draft plan "
            "(start a new version first)."
        )
    old = load_cells(session, plan)
    tree = load_region_tree(session)
    labels = [m.strftime("%Y-%m") for m in old.months]
    missing = [c for c in ["level", "region", "username", *labels] if c not in frame.columns]
    if missing:
        raise ValidationFailed(
            "The file lacks the column(s) " + ", ".join(missing) + "; download the plan to "
            "see the expected layout."
        )
    path_to_region = {
        " / ".join(tree.names[r] for r in tree.path(region)): region for region in old.region
    }
    usernames = dict(
        session.execute(
            select(Person.username, Person.id).where(Person.id.in_([p for p, _ in old.rep] or [0]))
        ).all()
    )
    new = old.copy()
    errors: list[str] = []
    seen: set = set()
    for number, row in enumerate(frame.to_dict("records"), start=2):
        level = str(row.get("level", "")).strip()
        region = path_to_region.get(str(row.get("region", "")).strip())
        where = f"Row {number}"
        if region is None:
            errors.append(f"{where}: unknown region '{row.get('region')}'.")
            continue
        if level == "region":
            key: object = ("region", region)
        elif level == "rep":
            person = usernames.get(str(row.get("username", "")).strip())
            key = (person, region)
            if person is None or key not in old.rep:
                errors.append(
                    f"{where}: '{row.get('username')}' has no targets in {row.get('region')}."
                )
                continue
        else:
            errors.append(f"{where}: level must be 'region' or 'rep' (got '{level}').")
            continue
        if key in seen:
            errors.append(f"{where}: appears twice.")
            continue
        seen.add(key)
        present = np.ones(12, bool) if level == "region" else old.present[key]
        values = np.zeros(12, np.int64)
        for i, label in enumerate(labels):
            try:
                units = _cell_units(row.get(label, ""))
            except (ValueError, ArithmeticError):
                errors.append(f"{where}, {label}: '{row.get(label)}' is not a whole amount >= 0.")
                continue
            if units is None and present[i]:
                errors.append(f"{where}, {label}: the amount is missing.")
            elif units is not None and not present[i]:
                errors.append(f"{where}, {label}: the rep is not in this region that month.")
            elif units is not None:
                values[i] = units
        if level == "region":
            new.region[region] = values
        else:
            new.rep[key] = values
    expected = {("region", r) for r in old.region} | set(old.rep)
    for absent in expected - seen:
        if absent[0] == "region":
            errors.append(f"The row of region {tree.names.get(absent[1])} is missing.")
        else:
            errors.append(f"The row of rep #{absent[0]} in {tree.names.get(absent[1])} is missing.")
    if not errors:
        errors = [f"Does not add up: {p}" for p in check_sums(new, tree, Decimal(plan.padding_pct))]
    if errors:
        more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
        raise ValidationFailed("Nothing was saved. " + " ".join(errors[:10]) + more)
    _claim(session, plan, expected_lock_version)
    changed = _save_cells(session, plan, old, new)
    root = tree.root_id
    plan.company_target = Decimal(int(new.region[root].sum()))
    audit.record(
        session,
        actor,
        "upload",
        "target_plan",
        plan.id,
        after={"rows": len(seen), "cells_changed": changed},
    )
    session.flush()
    return plan_info(session, plan)


# --------------------------------------------------------------------------- re-splitting


def resplit_region(
    session: Session,
    actor: Actor,
    plan_id: int,
    region_id: int,
    method: str,
    *,
    expected_lock_version: int | None,
) -> PlanInfo:
    """Share a region's months again among its sub-regions and reps by a method (a manager
    allocating the figure the director gave them). The region's own months do not change;
    reps ramping up carry less, and locked rows below the region must be unlocked first."""
    plan = _plan(session, plan_id)
    ensure_can_edit_region(actor, plan, region_id)
    if plan.status in (PlanStatus.APPROVED, PlanStatus.LOCKED):
        raise ValidationFailed(
            f"{plan.fiscal_year} v{plan.version} is {plan.status}; start a new version first."
        )
    try:
        chosen = Method(method)
    except ValueError:
        raise ValidationFailed(f"Unknown method '{method}'.") from None
    if chosen == Method.MANUAL:
        raise ValidationFailed("Enter manual figures in the grid instead.")
    tree = load_region_tree(session)
    old = load_cells(session, plan)
    if region_id not in old.region:
        raise NotFound(f"{tree.names.get(region_id, region_id)} has no targets in this plan.")
    children = _plan_children(tree, old)
    below = tree.subtree(region_id) & set(old.region)
    locked = [r for r in below - {region_id} if old.region_locked[r].any()]
    locked += [k for k in old.rep if k[1] in below and old.rep_locked[k].any()]
    if locked:
        raise ValidationFailed("Some rows below this region are locked; unlock them first.")
    rep_keys = [k for k in old.rep if k[1] in below]
    person_ids = sorted({pid for pid, _ in rep_keys})
    hires = dict(
        session.execute(
            select(Person.id, Person.hire_date).where(Person.id.in_(person_ids or [0]))
        ).all()
    )
    data = _method_data(session, chosen, person_ids, old.months[0])
    if data is not None and person_ids and not any(data.get(p, 0) for p in person_ids):
        raise ValidationFailed(_NO_DATA[chosen].format(year=plan.fiscal_year))
    weights = planning.weights_for(
        chosen, person_ids, history=data, potential=data, pipeline=data, manual=data
    )
    schedule = ramp_schedule(session)
    rep_weights = {
        key: np.array(
            [float(f) for f in planning.ramp_factors(hires.get(key[0]), old.months, schedule)]
        )
        * float(weights[key[0]])
        * old.present[key]
        for key in rep_keys
    }
    reps_in: dict[int, list[tuple[int, int]]] = {}
    for key in rep_keys:
        reps_in.setdefault(key[1], []).append(key)
    region_units, rep_units = planning.cascade(
        region_id,
        old.region[region_id],
        {r: children[r] for r in below},
        reps_in,
        rep_weights,
        padding_pct=Decimal(plan.padding_pct),
        label=lambda r: tree.names.get(r, str(r)),
    )
    new = old.copy()
    new.region.update(region_units)
    new.rep.update(rep_units)
    problems = check_sums(new, tree, Decimal(plan.padding_pct))
    if problems:
        raise PlanningError("The new split would break the plan: " + "; ".join(problems[:3]))
    _claim(session, plan, expected_lock_version)
    changed = _save_cells(session, plan, old, new)
    audit.record(
        session,
        actor,
        "resplit_region",
        "target_plan",
        plan.id,
        after={"region": tree.names.get(region_id), "method": chosen.value, "rows": changed},
    )
    session.flush()
    return plan_info(session, plan)
