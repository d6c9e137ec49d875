"""Funnel and velocity from the stage history of a cohort of deals, read from the stays kept on
write (core.pipeline.stage_stays): one pass over the cohort's deals, one over their stays.

Rules:
- Cohort: the deals created in the period, in the chosen scope (the company, a region with its
  subtree, or one rep), whatever happened to them since.
- A deal *reached* a stage when its history has an entry into it.
- Conversion of a stage = deals that reached the next open stage (for the last open stage: Won)
  / deals that reached this stage.
- Days in stage = time from entering a stage to the deal's next stage change, averaged over the
  completed stays (a stay still going is not counted).
- Win rate by stage reached = won / (won + lost) among the cohort's closed deals that reached
  the stage.
- Where deals are lost = the last open stage before the move to Lost.
- Why deals are lost = the lost deals of the cohort by their reason on the administrator's list
  (a renamed reason counts under its new name, a retired one still counts); lost deals without
  a listed reason count as "(no reason given)".
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from core.errors import PermissionDenied
from core.i18n import _
from core.models import Actor, Period, Role
from core.org.access import ensure_can_view_person, in_scope
from core.org.regions import load_region_tree
from core.pipeline.wording import listing
from db.schema import Deal, DealStageStay, DealStatus, LostReason, Person, Stage


class FunnelStage(BaseModel):
    stage: str
    position: int
    reached: int
    conversion: Decimal | None
    average_days: Decimal | None
    won: int
    lost: int
    win_rate: Decimal | None
    lost_here: int


class Funnel(BaseModel):
    scope: str
    period: str
    deals: int
    won: int
    lost: int
    open: int
    stages: list[FunnelStage]
    lost_reasons: list[tuple[str, int]]


def _no_index(column: Any) -> Any:
    """`+column`: the same value, but SQLite uses no index for the condition (a region's deals
    of a period are read from the period's range of ix_deal_created_outcome, not from every
    deal of the region)."""
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def _filters(session: Session, actor: Actor, region_id: int | None, person_id: int | None):
    """The deals of the chosen scope the actor may see, and the scope's name."""
    tree = load_region_tree(session)
    if person_id is not None:
        person = session.get(Person, person_id)
        if person is None:
            raise PermissionDenied(_("No such person."))
        ensure_can_view_person(actor, person_id=person_id, region_id=person.region_id)
        return [Deal.owner_id == person_id], person.name
    if actor.role == Role.REP:
        if region_id is not None:
            raise PermissionDenied(_("Reps see the funnel of their own deals."))
        return [Deal.owner_id == actor.id], actor.name
    if region_id is not None:
        if not in_scope(actor, region_id):
            raise PermissionDenied(_("You can only see figures of regions you manage."))
        return [_no_index(Deal.region_id).in_(tree.subtree(region_id))], tree.names[region_id]
    if actor.sees_everything:
        root = tree.root_id
        return [], tree.names[root] if root is not None else _("Company")
    ids = actor.scope_region_ids or frozenset()
    tops = sorted(tree.names[r] for r in ids if tree.parents.get(r) not in ids)
    return [_no_index(Deal.region_id).in_(ids)], listing(tops) or _("No region")


def _ratio(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None


def funnel(
    session: Session,
    actor: Actor,
    period: Period,
    *,
    region_id: int | None = None,
    person_id: int | None = None,
) -> Funnel:
    """The funnel of deals created in the period in a scope the actor may see."""
    filters, label = _filters(session, actor, region_id, person_id)
    cohort = [Deal.created_on.between(period.start, period.end), *filters]
    stages = session.execute(
        select(Stage.id, Stage.name, Stage.position, Stage.is_won, Stage.is_lost).order_by(
            Stage.position
        )
    ).all()
    won_id = next((s.id for s in stages if s.is_won), None)
    lost_id = next((s.id for s in stages if s.is_lost), None)
    won_ids = [s.id for s in stages if s.is_won]
    lost_ids = [s.id for s in stages if s.is_lost]

    # The cohort's deals once: totals by status and the lost deals by reason.
    deals = won = lost = 0
    reasons: list[tuple[str | None, int]] = []
    for status, reason, count in session.execute(
        select(Deal.status, LostReason.name, func.count())
        .select_from(Deal)
        .outerjoin(LostReason, LostReason.id == Deal.lost_reason_id)
        .where(*cohort)
        .group_by(Deal.status, LostReason.id, LostReason.name, LostReason.position)
        .order_by(func.count().desc(), LostReason.position, LostReason.name)
    ):
        deals += count
        if status == DealStatus.WON:
            won += count
        elif status == DealStatus.LOST:
            lost += count
            reasons.append((reason, count))

    # The cohort's stays once (kept on write by core.pipeline.stage_stays): reached, won and
    # lost among them (a deal's status follows its current stage), days, and lost from here.
    stay = DealStageStay
    # every stage named, so the index is read one stage's range at a time, in stage order
    in_cohort = [
        stay.stage_id.in_([s.id for s in stages]),
        stay.created_on.between(period.start, period.end),
    ]
    if filters:
        in_cohort.append(stay.deal_id.in_(select(Deal.id).where(*cohort)))
    figures = session.execute(
        select(
            stay.stage_id,
            func.sum(case((stay.first_entry, 1), else_=0)),
            func.sum(case((stay.first_entry & stay.current_stage_id.in_(won_ids), 1), else_=0)),
            func.sum(case((stay.first_entry & stay.current_stage_id.in_(lost_ids), 1), else_=0)),
            func.avg(stay.days),
            func.sum(case((stay.left_for_stage_id == lost_id, 1), else_=0)),
        )
        .where(*in_cohort)
        .group_by(stay.stage_id)
    ).all()
    reached = {row[0]: (int(row[1] or 0), int(row[2] or 0), int(row[3] or 0)) for row in figures}
    average_days = {
        row[0]: Decimal(str(round(float(row[4]), 1))) for row in figures if row[4] is not None
    }
    lost_at = {row[0]: int(row[5] or 0) for row in figures}

    open_stages = [s for s in stages if not s.is_won and not s.is_lost]
    rows = []
    for index, stage in enumerate(open_stages):
        n, w, lo = reached.get(stage.id, (0, 0, 0))
        next_id = open_stages[index + 1].id if index + 1 < len(open_stages) else won_id
        next_n = reached.get(next_id, (0, 0, 0))[0] if next_id is not None else 0
        rows.append(
            FunnelStage(
                stage=stage.name,
                position=stage.position,
                reached=n,
                conversion=_ratio(next_n, n),
                average_days=average_days.get(stage.id),
                won=w,
                lost=lo,
                win_rate=_ratio(w, w + lo),
                lost_here=int(lost_at.get(stage.id, 0)),
            )
        )
    return Funnel(
        scope=label,
        period=period.label,
        deals=deals,
        won=won,
        lost=lost,
        open=deals - won - lost,
        stages=rows,
        lost_reasons=[(r or _("(no reason given)"), int(c)) for r, c in reasons],
    )
