"""Funnel and velocity from the stage history of a cohort of deals.

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

from pydantic import BaseModel
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.errors import PermissionDenied
from core.i18n import _
from core.models import Actor, Period, Role
from core.org.access import ensure_can_view_person, in_scope
from core.org.regions import load_region_tree
from core.pipeline.wording import listing
from db.schema import Deal, DealStageHistory, DealStatus, LostReason, Person, Stage
from db.sql_dates import days_between


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
        return [Deal.region_id.in_(tree.subtree(region_id))], tree.names[region_id]
    if actor.sees_everything:
        root = tree.root_id
        return [], tree.names[root] if root is not None else _("Company")
    ids = actor.scope_region_ids or frozenset()
    tops = sorted(tree.names[r] for r in ids if tree.parents.get(r) not in ids)
    return [Deal.region_id.in_(ids)], listing(tops) or _("No region")


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

    totals = session.execute(
        select(
            func.count(),
            func.sum(case((Deal.status == DealStatus.WON, 1), else_=0)),
            func.sum(case((Deal.status == DealStatus.LOST, 1), else_=0)),
        ).where(*cohort)
    ).one()
    deals, won, lost = int(totals[0] or 0), int(totals[1] or 0), int(totals[2] or 0)

    reached = {
        stage_id: (int(n), int(w or 0), int(lo or 0))
        for stage_id, n, w, lo in session.execute(
            select(
                DealStageHistory.to_stage_id,
                func.count(func.distinct(DealStageHistory.deal_id)),
                func.count(
                    func.distinct(case((Deal.status == DealStatus.WON, DealStageHistory.deal_id)))
                ),
                func.count(
                    func.distinct(case((Deal.status == DealStatus.LOST, DealStageHistory.deal_id)))
                ),
            )
            .join(Deal, Deal.id == DealStageHistory.deal_id)
            .where(*cohort)
            .group_by(DealStageHistory.to_stage_id)
        )
    }

    stays = (
        select(
            DealStageHistory.to_stage_id.label("stage_id"),
            DealStageHistory.changed_at.label("entered"),
            func.lead(DealStageHistory.changed_at)
            .over(
                partition_by=DealStageHistory.deal_id,
                order_by=(DealStageHistory.changed_at, DealStageHistory.id),
            )
            .label("left"),
        )
        .join(Deal, Deal.id == DealStageHistory.deal_id)
        .where(*cohort)
        .subquery()
    )
    days = days_between(session, stays.c.left, stays.c.entered, timestamps=True)
    average_days = {
        stage_id: Decimal(str(round(float(avg), 1)))
        for stage_id, avg in session.execute(
            select(stays.c.stage_id, func.avg(days))
            .where(stays.c.left.is_not(None))
            .group_by(stays.c.stage_id)
        )
        if avg is not None
    }

    # keyed by the stage left for Lost; None for a deal that was Lost from its creation
    lost_at: dict[int | None, int] = {}
    if lost_id is not None:
        lost_at = dict(
            session.execute(
                select(DealStageHistory.from_stage_id, func.count())
                .join(Deal, Deal.id == DealStageHistory.deal_id)
                .where(DealStageHistory.to_stage_id == lost_id, *cohort)
                .group_by(DealStageHistory.from_stage_id)
            ).all()
        )
    # Counted with CASE rather than filtered on status, so the cohort's date index is used.
    lost_count = func.sum(case((Deal.status == DealStatus.LOST, 1), else_=0))
    reasons = [
        (reason, count)
        for reason, count in session.execute(
            select(LostReason.name, lost_count)
            .select_from(Deal)
            .outerjoin(LostReason, LostReason.id == Deal.lost_reason_id)
            .where(*cohort)
            .group_by(LostReason.id, LostReason.name, LostReason.position)
            .order_by(lost_count.desc(), LostReason.position, LostReason.name)
        )
        if count
    ]

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
