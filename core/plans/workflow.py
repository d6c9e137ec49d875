"""A plan's versions and status: draft -> submitted -> approved -> locked.

Business rules:
- A manager (or the director) submits a draft for approval; the director returns a submitted
  plan to draft, approves a draft or submitted plan and locks an approved one.
- A plan leaves draft only when every level adds up to its parent.
- An approved or locked plan is never changed: a change starts a new draft version copied from
  it, and the earlier versions are kept.
- Every change is audited, and refused when made against an out-of-date copy of the plan.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from core.errors import ValidationFailed
from core.i18n import _
from core.models import Actor, PlanStatus
from core.org import audit
from core.org.regions import load_region_tree
from core.plans.budget_rates import copy_budget_rates
from core.plans.cells import (
    PlanInfo,
    check_sums,
    claim,
    load_cells,
    plan_by_id,
    plan_info,
    state_of,
    write_cells,
)
from core.plans.rules import TRANSITIONS, ensure, new_version_refusal, transition_refusal
from db.schema import TargetPlan


def _transition(
    session: Session,
    actor: Actor,
    plan_id: int,
    action: str,
    *,
    expected_lock_version: int | None,
) -> PlanInfo:
    """Move a plan to the next status by the rule of `action` (see rules.TRANSITIONS)."""
    plan = plan_by_id(session, plan_id)
    ensure(transition_refusal(actor, state_of(session, plan), action))
    _from, to, _done = TRANSITIONS[action]
    if plan.status == PlanStatus.DRAFT and to != PlanStatus.DRAFT:
        problems = check_sums(
            load_cells(session, plan), load_region_tree(session), Decimal(plan.padding_pct)
        )
        if problems:
            raise ValidationFailed(_("The plan does not add up: ") + "; ".join(problems[:5]))
    claim(session, plan, expected_lock_version)
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
    return plan_info(session, plan, actor)


def submit_plan(
    session: Session, actor: Actor, plan_id: int, *, expected_lock_version: int | None = None
) -> PlanInfo:
    """A manager (or the director) hands a draft plan in for approval."""
    return _transition(
        session, actor, plan_id, "submit", expected_lock_version=expected_lock_version
    )


def return_to_draft(
    session: Session, actor: Actor, plan_id: int, *, expected_lock_version: int | None = None
) -> PlanInfo:
    """The director sends a submitted plan back so managers can change it again."""
    return _transition(
        session, actor, plan_id, "return_to_draft", expected_lock_version=expected_lock_version
    )


def approve_plan(
    session: Session, actor: Actor, plan_id: int, *, expected_lock_version: int | None = None
) -> PlanInfo:
    """The director approves a draft or submitted plan; it becomes the year's active plan."""
    return _transition(
        session, actor, plan_id, "approve", expected_lock_version=expected_lock_version
    )


def lock_plan(
    session: Session, actor: Actor, plan_id: int, *, expected_lock_version: int | None = None
) -> PlanInfo:
    """The director locks an approved plan: from then on a change makes a new version."""
    return _transition(session, actor, plan_id, "lock", expected_lock_version=expected_lock_version)


def new_version(session: Session, actor: Actor, plan_id: int) -> PlanInfo:
    """A new draft version copied from the newest version when it is approved or locked
    (which stays as it was)."""
    source = plan_by_id(session, plan_id)
    ensure(new_version_refusal(actor, state_of(session, source)))
    plan = TargetPlan(
        fiscal_year=source.fiscal_year,
        measure=source.measure,
        product_line=source.product_line,
        stretch_levels=source.stretch_levels,
        version=source.version + 1,
        status=PlanStatus.DRAFT,
        method=source.method,
        seasonality=source.seasonality,
        company_target=source.company_target,
        padding_pct=source.padding_pct,
        ramp_mode=source.ramp_mode,
        manual_inputs=source.manual_inputs,
        notes=_("Copied from v{version}.").format(version=source.version),
        created_by_id=actor.id,
    )
    session.add(plan)
    session.flush()
    cells = load_cells(session, source)
    write_cells(session, plan.id, cells)
    copy_budget_rates(session, source.id, plan.id)
    audit.record(
        session,
        actor,
        "new_version",
        "target_plan",
        plan.id,
        after={"from_version": source.version, "version": plan.version},
    )
    session.flush()
    return plan_info(session, plan, actor)
