"""Stretch levels: percentages of the target above 100 (110 %, 125 %) a plan names, drawn as
marks on the attainment charts.

Business rules:
- Each level is above 100 and at most 1000 percent, with at most two decimals; they are kept
  sorted, each once.
- Directors name them on a draft or submitted plan; an approved or locked plan is never
  rewritten: new levels start a new draft version.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from core.errors import ValidationFailed
from core.i18n import _
from core.models import Actor, to_amount
from core.org import audit
from core.plans.cells import PlanInfo, claim, plan_by_id, plan_info, state_of
from core.plans.rules import CLOSED, company_target_refusal, ensure
from core.plans.workflow import new_version

MAX_STRETCH = Decimal(1000)


def stretch_levels_of(levels: Sequence[object] | None) -> list[Decimal]:
    """Stretch levels as sorted percentages, each above 100 and at most 1000, two decimals."""
    out: set[Decimal] = set()
    for raw in levels or []:
        value = to_amount(raw, _("A stretch level")).quantize(Decimal("0.01"), ROUND_HALF_UP)
        if not Decimal(100) < value <= MAX_STRETCH:
            raise ValidationFailed(
                _("A stretch level is a percentage of the target above 100 (got {value}).").format(
                    value=value
                )
            )
        # 110.00 is kept as 110 (normalize() would make it 1.1E+2, shown as such)
        out.add(value.quantize(Decimal(1)) if value == value.to_integral_value() else value)
    return sorted(out)


def set_stretch_levels(
    session: Session,
    actor: Actor,
    plan_id: int,
    levels: Sequence[object],
    *,
    expected_lock_version: int | None = None,
) -> PlanInfo:
    """Name a draft or submitted plan's stretch levels (directors); an approved or locked
    plan gets a new version first."""
    plan = plan_by_id(session, plan_id)
    ensure(company_target_refusal(actor, state_of(session, plan)))
    stretch = [str(v) for v in stretch_levels_of(levels)]
    if plan.status in CLOSED:  # never rewrite an approved or locked version
        claim(session, plan, expected_lock_version)
        plan = plan_by_id(session, new_version(session, actor, plan.id).id)
        expected_lock_version = None
    before = {"stretch_levels": plan.stretch_levels}
    claim(session, plan, expected_lock_version)
    plan.stretch_levels = stretch or None
    audit.record(
        session,
        actor,
        "stretch_levels",
        "target_plan",
        plan.id,
        before=before,
        after={"stretch_levels": stretch},
    )
    session.flush()
    return plan_info(session, plan, actor)
