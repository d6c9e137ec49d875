"""Allocating the company figure: the director's target broken down top-down to every
region, rep and month, over the pure arithmetic of core.planning.

Business rules:
- The director sets the company figure; `planning.cascade` breaks it down to every region,
  every rep and every month by the chosen method (equal, historical share, customer
  potential, open pipeline, manual weights) and seasonality (flat, history, manual).
- New hires ramp up: their share is smaller in their first months; the shortfall is spread
  over the other reps or absorbed (the company plans less).
- The year's first plan is version 1; allocating again replaces a draft or submitted plan and
  starts a new draft version when the newest is approved or locked.
- A manager shares their region's figure again among its sub-regions and reps by a method; the
  region's own months do not change.
- Every measure plans the same way (revenue, units, visits, deals created): a year has one
  version series per measure, and per product line besides the company's own plan. Counts
  are whole units like money; the historical method and seasonality read the measure's own
  history (a line's plan its line's).
- A plan may target one product line (core.plans.line_plans breaks a company plan down) and
  may name stretch levels (core.plans.stretch).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import planning
from core.errors import NotFound, ValidationFailed
from core.i18n import N_, _
from core.models import Actor, Measure, Period, PlanStatus, Role, measure_of, to_amount
from core.org import audit
from core.org.company import fiscal_start_month, ramp_schedule
from core.org.regions import RegionTree, load_region_tree
from core.periods import add_months
from core.planning import Method, PlanningError
from core.plans.cells import (
    PlanCells,
    PlanInfo,
    check_sums,
    claim,
    company_region_id,
    load_cells,
    plan_by_id,
    plan_children,
    plan_info,
    plan_months,
    save_cells,
    series_of,
    state_of,
    write_cells,
)
from core.plans.lines import check_line
from core.plans.rules import (
    allocate_refusal,
    ensure,
    resplit_refusal,
)
from core.plans.seasonality import BUILT_IN, profile_percentages
from core.plans.stretch import stretch_levels_of
from core.progress import counts, figures
from db.schema import Customer, Person, Region, TargetPlan

SEASONALITIES = BUILT_IN
"""The built-in seasonalities; a named profile (core.plans.seasonality) is the fourth kind."""
RAMP_MODES = ("spread", "absorb")
HISTORY_MONTHS = 12
"""The historical-share method weighs each rep by won revenue in the 12 months before the year."""


def _active_reps(session: Session, region_ids: set[int]) -> list[tuple[int, int, date | None]]:
    rows = session.execute(
        select(Person.id, Person.region_id, Person.hire_date)
        .where(Person.role == Role.REP, Person.active.is_(True), Person.region_id.in_(region_ids))
        .order_by(Person.id)
    )
    # the region filter already leaves out reps without a region
    return [(pid, region_id, hired) for pid, region_id, hired in rows if region_id is not None]


def carrying_reps(session: Session, tree: RegionTree) -> list[tuple[int, int, date | None]]:
    """Who carries a new plan: the active reps of the company's active regions, as
    (person id, region id, hire date) in id order."""
    root = company_region_id(tree)
    active = set(session.scalars(select(Region.id).where(Region.active.is_(True))))
    return _active_reps(session, {r for r in tree.subtree(root) if r in active} | {root})


def span_of_months(start: date, end_before: date) -> Period:
    """The months from `start` up to (not including) `end_before`, as a period."""
    return Period(
        label=f"{start:%Y-%m}..{end_before:%Y-%m}",
        kind="span",
        start=start,
        end=end_before - timedelta(days=1),
        fiscal_year=end_before.year,
    )


def _method_data(
    session: Session,
    method: Method,
    rep_ids: list[int],
    year_start: date,
    measure: Measure = Measure.REVENUE,
    product_line: str = "",
) -> dict[int, Decimal] | None:
    wanted = set(rep_ids)
    line = [counts.in_line(product_line)] if product_line else []
    if method == Method.HISTORY:
        period = span_of_months(add_months(year_start, -HISTORY_MONTHS), year_start)
        done = counts.achieved(
            session, period, measure, by="owner", product_line=product_line or None
        )
        return {owner: amount for owner, amount in done.items() if owner in wanted}
    if method == Method.PIPELINE:
        pipeline = figures.all_open(session, by="owner", where=line)
        return {owner: tally.amount for owner, tally in pipeline.items() if owner in wanted}
    if method != Method.POTENTIAL:
        return None
    query = select(Customer.owner_id, func.sum(Customer.annual_potential)).group_by(
        Customer.owner_id
    )
    return {
        owner: Decimal(total or 0) for owner, total in session.execute(query) if owner in wanted
    }


def history_season(
    session: Session,
    year_start: date,
    measure: Measure = Measure.REVENUE,
    product_line: str = "",
) -> list[Decimal]:
    """Each fiscal month's share of the measure (won revenue by default) in the three years
    before the plan year."""
    period = span_of_months(add_months(year_start, -36), year_start)
    won: dict[int, Decimal] = {}
    monthly = counts.achieved_by_month(
        session, period, measure, by="company", product_line=product_line or None
    )
    for (__, month_start), amount in monthly.items():
        fiscal_month = (month_start.month - year_start.month) % 12 + 1
        won[fiscal_month] = won.get(fiscal_month, Decimal(0)) + amount
    return planning.history_profile(won)


def season_profile(
    session: Session,
    seasonality: str,
    year_start: date,
    manual: Sequence | None = None,
    measure: Measure = Measure.REVENUE,
    product_line: str = "",
) -> list[Decimal]:
    """The twelve fiscal-month weights of a seasonality: flat, history (of the measure and
    line), manual percentages, or a named profile's calendar months in fiscal order."""
    if seasonality == "flat":
        return planning.flat_profile()
    if seasonality == "history":
        return history_season(session, year_start, measure, product_line)
    if seasonality == "manual":
        if manual is None:
            raise ValidationFailed(_("Manual seasonality needs twelve monthly percentages."))
        return planning.manual_profile(list(manual))
    return planning.calendar_profile(profile_percentages(session, seasonality), year_start.month)


_NO_DATA = {
    Method.HISTORY: N_(
        "No rep won anything in the 12 months before FY{year}, so historical share "
        "cannot weigh them; choose another method."
    ),
    Method.POTENTIAL: N_("No rep owns customers with an annual potential; choose another method."),
    Method.PIPELINE: N_("No rep has open pipeline; choose another method."),
    Method.MANUAL: N_("Give at least one rep a positive manual weight."),
}


def _checked_weights(
    session: Session, weights: Mapping[int, object], rep_ids: list[int]
) -> dict[int, Decimal]:
    """Manual weights as amounts, each a rep who carries the plan; refused otherwise."""
    names = dict(
        session.execute(
            select(Person.id, Person.name).where(Person.id.in_(list(weights) or [0]))
        ).all()
    )
    carrying = set(rep_ids)
    checked: dict[int, Decimal] = {}
    for person_id, weight in weights.items():
        name = names.get(person_id)
        if name is None:
            raise ValidationFailed(
                _("There is no person with id {person_id} to give a weight.").format(
                    person_id=person_id
                )
            )
        if person_id not in carrying:
            raise ValidationFailed(
                _(
                    "{name} is not an active rep of the plan's regions; give weights to reps only."
                ).format(name=name)
            )
        checked[person_id] = to_amount(weight, _("The manual weight of {name}").format(name=name))
    return checked


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
    measure: object = Measure.REVENUE,
    product_line: str = "",
) -> PlanCells:
    """The whole plan (every region, rep and month) for a company figure; nothing is written."""
    chosen_measure = measure_of(measure)
    if company_target < 0 or company_target != company_target.to_integral_value():
        what = "amount" if chosen_measure == Measure.REVENUE else "number"
        raise ValidationFailed(
            _("The company target must be a whole, non-negative {what}.").format(what=what)
        )
    if ramp_mode not in RAMP_MODES:
        raise ValidationFailed(
            _("Unknown ramp mode '{ramp_mode}': use spread or absorb.").format(ramp_mode=ramp_mode)
        )
    try:
        chosen = Method(method)
    except ValueError:
        raise ValidationFailed(
            _("Unknown method '{method}': choose one of {items}.").format(
                method=method, items=", ".join(m.value for m in Method)
            )
        ) from None
    start = fiscal_start_month(session)
    months = plan_months(fiscal_year, start)
    tree = load_region_tree(session)
    active = set(session.scalars(select(Region.id).where(Region.active.is_(True))))
    root = company_region_id(tree)
    children = {r: [c for c in kids if c in active] for r, kids in tree.children.items() if r}
    reps = carrying_reps(session, tree)
    if not reps and company_target:
        raise ValidationFailed(_("There are no active reps to carry the target; add reps first."))
    rep_ids = [pid for pid, _region, _hire in reps]
    data = _method_data(session, chosen, rep_ids, months[0], chosen_measure, product_line)
    if chosen == Method.MANUAL:
        data = dict(_checked_weights(session, manual_weights or {}, rep_ids))
    if data is not None and rep_ids and not any(data.get(pid, 0) for pid in rep_ids):
        raise ValidationFailed(_(_NO_DATA[chosen]).format(year=fiscal_year))
    weights = planning.weights_for(
        chosen, rep_ids, history=data, potential=data, pipeline=data, manual=data
    )
    profile = season_profile(
        session, seasonality, months[0], manual_season, chosen_measure, product_line
    )
    schedule = ramp_schedule(session)
    root_units = np.array(
        [int(v) for v in planning.spread_over_months({root: company_target}, profile)[root]],
        dtype=np.int64,
    )
    full = {pid: float(weights[pid]) for pid in rep_ids}
    factors: dict[tuple[int, int] | None, np.ndarray] = {}  # by hire month (the day not counting)

    def ramp_of(hire: date | None) -> np.ndarray:
        month = None if hire is None else (hire.year, hire.month)
        if month not in factors:
            factors[month] = np.array(
                [float(f) for f in planning.ramp_factors(hire, months, schedule)]
            )
        return factors[month]

    ramped = {pid: ramp_of(hire) * full[pid] for pid, __, hire in reps}
    if ramp_mode == "absorb":
        full_sum = sum(full.values())
        ramped_sum = sum(ramped.values(), np.zeros(12))
        if full_sum > 0:
            share = ramped_sum / full_sum
            root_units = np.floor(root_units * share + 0.5).astype(np.int64)
    reps_in: dict[int, list[int]] = {}
    for pid, region_id, __ in reps:
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
    region_of = {pid: region_id for pid, region_id, __ in reps}
    for pid, units in rep_units.items():
        key = (pid, region_of[pid])
        cells.rep[key] = units
        cells.present[key] = np.ones(12, bool)
        cells.rep_locked[key] = np.zeros(12, bool)
    return cells


def manual_inputs(
    method: str,
    seasonality: str,
    manual_weights: Mapping[int, Decimal] | None,
    manual_season: Sequence | None,
) -> dict | None:
    """What a manual allocation was given, as stored with the plan (None when nothing manual):
    the monthly percentages of a manual seasonality and the reps' weights of the manual method."""
    inputs: dict = {}
    if seasonality == "manual" and manual_season is not None:
        inputs["season"] = [str(Decimal(str(v))) for v in manual_season]
    if method == Method.MANUAL and manual_weights:
        inputs["weights"] = {str(pid): str(Decimal(str(w))) for pid, w in manual_weights.items()}
    return inputs or None


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
    measure: object = Measure.REVENUE,
    product_line: str = "",
    stretch_levels: Sequence[object] | None = None,
) -> PlanInfo:
    """Set the company figure of a measure (and product line) and break it down to every
    region, rep and month (directors).

    The year's first plan of the series is version 1. When the newest version is approved or
    locked a new draft version is started (the old one is kept); a draft or submitted plan is
    allocated again from scratch and goes back to draft. The plan keeps its method, seasonality,
    padding, ramp mode and manual inputs, so it can be allocated again the same way.
    """
    ensure(allocate_refusal(actor))
    if not 2000 <= fiscal_year <= 2100:
        raise ValidationFailed(
            _("Fiscal year {fiscal_year} is not a plausible year.").format(fiscal_year=fiscal_year)
        )
    chosen_measure = measure_of(measure)
    product_line = " ".join((product_line or "").split())
    if product_line:
        check_line(session, chosen_measure, product_line)
    stretch = [str(v) for v in stretch_levels_of(stretch_levels)]
    company_target = to_amount(company_target, _("The company target"))
    padding_pct = to_amount(padding_pct, _("Padding"))
    if padding_pct < 0 or padding_pct > 100:
        raise ValidationFailed(_("Padding must be between 0 and 100 percent."))
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
        measure=chosen_measure,
        product_line=product_line,
    )
    latest = session.scalar(
        select(TargetPlan)
        .where(*series_of(fiscal_year, chosen_measure, product_line))
        .order_by(TargetPlan.version.desc())
        .limit(1)
    )
    method_name = Method(method).value
    inputs = manual_inputs(method_name, seasonality, manual_weights, manual_season)
    settings = {
        "method": method_name,
        "seasonality": seasonality,
        "company_target": company_target,
        "padding_pct": padding_pct,
        "ramp": ramp_mode,
        "measure": chosen_measure.value,
        **({"product_line": product_line} if product_line else {}),
        **({"stretch_levels": stretch} if stretch else {}),
        **({"manual_inputs": inputs} if inputs else {}),
    }
    if latest is None or latest.status in (PlanStatus.APPROVED, PlanStatus.LOCKED):
        plan = TargetPlan(
            fiscal_year=fiscal_year,
            measure=chosen_measure.value,
            product_line=product_line,
            stretch_levels=stretch or None,
            version=1 if latest is None else latest.version + 1,
            status=PlanStatus.DRAFT,
            method=method_name,
            seasonality=seasonality,
            company_target=company_target,
            padding_pct=padding_pct,
            ramp_mode=ramp_mode,
            manual_inputs=inputs,
            created_by_id=actor.id,
        )
        session.add(plan)
        session.flush()
        action, before = "create", None
    else:
        plan = latest
        before = {"status": plan.status, "company_target": plan.company_target}
        claim(session, plan, expected_lock_version)
        plan.status = PlanStatus.DRAFT
        plan.method = method_name
        plan.seasonality = seasonality
        plan.company_target = company_target
        plan.padding_pct = padding_pct
        plan.ramp_mode = ramp_mode
        plan.manual_inputs = inputs
        plan.stretch_levels = stretch or None
        action = "reallocate"
    rows = write_cells(session, plan.id, cells)
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
    return plan_info(session, plan, actor)


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
    plan = plan_by_id(session, plan_id)
    ensure(resplit_refusal(actor, state_of(session, plan), region_id))
    try:
        chosen = Method(method)
    except ValueError:
        raise ValidationFailed(_("Unknown method '{method}'.").format(method=method)) from None
    if chosen == Method.MANUAL:
        raise ValidationFailed(_("Enter manual figures in the grid instead."))
    tree = load_region_tree(session)
    old = load_cells(session, plan)
    if region_id not in old.region:
        raise NotFound(
            _("{get} has no targets in this plan.").format(get=tree.names.get(region_id, region_id))
        )
    children = plan_children(tree, old)
    below = tree.subtree(region_id) & set(old.region)
    locked: list[int | tuple[int, int]]
    locked = [r for r in below - {region_id} if old.region_locked[r].any()]
    locked += [k for k in old.rep if k[1] in below and old.rep_locked[k].any()]
    if locked:
        raise ValidationFailed(_("Some rows below this region are locked; unlock them first."))
    rep_keys = [k for k in old.rep if k[1] in below]
    person_ids = sorted({pid for pid, __ in rep_keys})
    hires = dict(
        session.execute(
            select(Person.id, Person.hire_date).where(Person.id.in_(person_ids or [0]))
        ).all()
    )
    # the plan's own measure and line: a units plan weighs reps by the units they sold
    data = _method_data(
        session, chosen, person_ids, old.months[0], measure_of(plan.measure), plan.product_line
    )
    if data is not None and person_ids and not any(data.get(p, 0) for p in person_ids):
        raise ValidationFailed(_(_NO_DATA[chosen]).format(year=plan.fiscal_year))
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
        raise PlanningError(_("The new split would break the plan: ") + "; ".join(problems[:3]))
    claim(session, plan, expected_lock_version)
    changed = save_cells(session, plan, old, new)
    audit.record(
        session,
        actor,
        "resplit_region",
        "target_plan",
        plan.id,
        after={"region": tree.names.get(region_id), "method": chosen.value, "rows": changed},
    )
    session.flush()
    return plan_info(session, plan, actor)
