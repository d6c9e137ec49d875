"""Pipeline reviews: a manager walks through a rep's deals, takes notes and agrees commitments.

Rules:
- A manager records reviews with reps in their subtree; directors and admins with anyone.
- The deals discussed must be the rep's; each commitment has a description and may have a due
  date and a deal.
- The rep (and their managers) see the open commitments; either may mark one done.
- A review records something: deals discussed, notes or a commitment; an empty one is refused.
- The next review shows what changed since the last one: deals moved, added, won and lost come
  from the stage history, slips from the audit of close-date changes. "Since" means after the
  moment the last review was recorded (a review saved this morning does not list this
  morning's earlier changes again); a review recorded on a later day than it was held counts
  from the end of the day it was held.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from core import clock
from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.i18n import _
from core.models import Actor, Role
from core.org import audit
from core.org.access import ensure_active, ensure_can_view_person, ensure_role, in_scope
from core.pipeline import pricing
from db.schema import (
    AuditLog,
    Deal,
    DealStageHistory,
    Person,
    PipelineReview,
    ReviewCommitment,
    ReviewDeal,
    Stage,
)


class CommitmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    description: str = Field(min_length=1, max_length=500)
    due_on: date | None = None
    deal_id: int | None = None


class ReviewCreate(BaseModel):
    """A pipeline review as the manager records it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    rep_id: int
    held_on: date
    deal_ids: list[int] = Field(default_factory=list)
    notes: str | None = Field(default=None, max_length=10_000)
    commitments: list[CommitmentCreate] = Field(default_factory=list)


def _rep(session: Session, actor: Actor, rep_id: int) -> Person:
    rep = session.get(Person, rep_id)
    if rep is None:
        raise NotFound(_("No person with id {rep_id}.").format(rep_id=rep_id))
    ensure_can_view_person(actor, person_id=rep.id, region_id=rep.region_id)
    return rep


def reviewable_reps(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """Reps the actor may review: a manager's subtree, everyone for directors and admins."""
    ensure_role(actor, Role.MANAGER, action=_("run pipeline reviews"))
    query = (
        select(Person.id, Person.name)
        .where(Person.role == Role.REP, Person.active.is_(True))
        .order_by(Person.name)
    )
    if not actor.sees_everything:
        query = query.where(Person.region_id.in_(actor.scope_region_ids or frozenset()))
    return [(pid, name) for pid, name in session.execute(query)]


def record_review(
    session: Session, actor: Actor, data: ReviewCreate, *, today: date | None = None
) -> int:
    """Save a review with the deals discussed and the commitments agreed; returns its id."""
    today = today or clock.today()
    ensure_role(actor, Role.MANAGER, action=_("record pipeline reviews"))
    rep = _rep(session, actor, data.rep_id)
    if rep.role != Role.REP:
        raise ValidationFailed(_("{name} is not a sales rep.").format(name=rep.name))
    if actor.id is None:
        raise ValidationFailed(_("Reviews are recorded by a person, not by the command line."))
    if data.held_on > today:
        raise ValidationFailed(_("A review cannot be dated in the future."))
    if not (data.deal_ids or data.notes or data.commitments):
        raise ValidationFailed(
            _(
                "This review is empty: choose the deals discussed, write notes or add a "
                "commitment before saving it."
            )
        )
    deal_ids = sorted(set(data.deal_ids) | {c.deal_id for c in data.commitments if c.deal_id})
    if deal_ids:
        owners = dict(
            session.execute(select(Deal.id, Deal.owner_id).where(Deal.id.in_(deal_ids))).all()
        )
        foreign = [d for d in deal_ids if owners.get(d) != rep.id]
        if foreign:
            raise ValidationFailed(
                _("Deal {foreign} is not one of {name}'s deals.").format(
                    foreign=foreign[0], name=rep.name
                )
            )
    for number, commitment in enumerate(data.commitments, start=1):
        if commitment.due_on is not None and commitment.due_on < data.held_on:
            raise ValidationFailed(
                _("Commitment {number}: the due date is before the review.").format(number=number)
            )
    review = PipelineReview(
        rep_id=rep.id,
        manager_id=actor.id,
        held_on=data.held_on,
        notes=data.notes or None,
        # the same clock as the stage history and the audit log, so "since" compares alike
        # (rows left to the server default, another clock, were set to the end of their held
        # day by migration 0017)
        created_at=datetime.now(),
    )
    session.add(review)
    session.flush()
    for deal_id in sorted(set(data.deal_ids)):
        session.add(ReviewDeal(review_id=review.id, deal_id=deal_id))
    for commitment in data.commitments:
        session.add(
            ReviewCommitment(
                review_id=review.id,
                deal_id=commitment.deal_id,
                description=commitment.description,
                due_on=commitment.due_on,
            )
        )
    session.flush()
    audit.record(
        session, actor, "review.record", "pipeline_review", review.id, after=data.model_dump()
    )
    return review.id


def reviews_of(session: Session, actor: Actor, rep_id: int, *, limit: int = 20) -> pd.DataFrame:
    """A rep's latest reviews with how many deals were discussed and commitments agreed."""
    _rep(session, actor, rep_id)
    manager = aliased(Person)
    deals = (
        select(ReviewDeal.review_id, func.count().label("n"))
        .group_by(ReviewDeal.review_id)
        .subquery()
    )
    commitments = (
        select(ReviewCommitment.review_id, func.count().label("n"))
        .group_by(ReviewCommitment.review_id)
        .subquery()
    )
    query = (
        select(
            PipelineReview.id,
            PipelineReview.held_on,
            manager.name.label("manager"),
            func.coalesce(deals.c.n, 0).label("deals_discussed"),
            func.coalesce(commitments.c.n, 0).label("commitments"),
            PipelineReview.notes,
        )
        .join(manager, manager.id == PipelineReview.manager_id)
        .outerjoin(deals, deals.c.review_id == PipelineReview.id)
        .outerjoin(commitments, commitments.c.review_id == PipelineReview.id)
        .where(PipelineReview.rep_id == rep_id)
        .order_by(PipelineReview.held_on.desc(), PipelineReview.id.desc())
        .limit(limit)
    )
    return pd.DataFrame(session.execute(query).all(), columns=list(query.selected_columns.keys()))


def open_commitments(session: Session, actor: Actor, rep_id: int) -> pd.DataFrame:
    """What the rep committed to in reviews and has not done yet, soonest due first."""
    _rep(session, actor, rep_id)
    query = (
        select(
            ReviewCommitment.id,
            ReviewCommitment.description,
            ReviewCommitment.due_on,
            Deal.name.label("deal"),
            PipelineReview.held_on.label("agreed_on"),
        )
        .join(PipelineReview, PipelineReview.id == ReviewCommitment.review_id)
        .outerjoin(Deal, Deal.id == ReviewCommitment.deal_id)
        .where(PipelineReview.rep_id == rep_id, ReviewCommitment.done_on.is_(None))
        .order_by(ReviewCommitment.due_on.is_(None), ReviewCommitment.due_on, ReviewCommitment.id)
    )
    return pd.DataFrame(session.execute(query).all(), columns=list(query.selected_columns.keys()))


def complete_commitment(
    session: Session, actor: Actor, commitment_id: int, *, done_on: date | None = None
) -> None:
    """Mark a commitment done (the rep, or a manager over the rep)."""
    ensure_active(actor)
    commitment = session.get(ReviewCommitment, commitment_id)
    if commitment is None:
        raise NotFound(_("That commitment no longer exists."))
    review = session.get_one(PipelineReview, commitment.review_id)
    rep = session.get_one(Person, review.rep_id)
    allowed = (
        actor.id == rep.id
        or actor.sees_everything
        or (actor.role == Role.MANAGER and in_scope(actor, rep.region_id))
    )
    if not allowed:
        raise PermissionDenied(_("Only the rep or their manager can mark this commitment done."))
    if commitment.done_on is not None:
        raise ValidationFailed(_("This commitment is already done."))
    commitment.done_on = done_on or clock.today()
    session.flush()
    audit.record(
        session,
        actor,
        "review.commitment.done",
        "review_commitment",
        commitment.id,
        after={"done_on": commitment.done_on},
    )


def last_review_date(session: Session, rep_id: int, *, until: date | None = None) -> date | None:
    """The date of the rep's latest review (on or before `until`)."""
    query = select(func.max(PipelineReview.held_on)).where(PipelineReview.rep_id == rep_id)
    if until is not None:
        query = query.where(PipelineReview.held_on <= until)
    return session.scalar(query)


def last_review_moment(
    session: Session, rep_id: int, *, until: date | None = None
) -> tuple[date, datetime] | None:
    """The day the rep's latest review (on or before `until`) was held and the moment changes
    count from: when it was recorded, or the end of its day when it was recorded later."""
    query = (
        select(PipelineReview.held_on, PipelineReview.created_at)
        .where(PipelineReview.rep_id == rep_id)
        .order_by(PipelineReview.held_on.desc(), PipelineReview.id.desc())
        .limit(1)
    )
    if until is not None:
        query = query.where(PipelineReview.held_on <= until)
    found = session.execute(query).first()
    if found is None:
        return None
    held_on, recorded_at = found
    end_of_day = datetime.combine(held_on + timedelta(days=1), time.min)
    return held_on, min(recorded_at, end_of_day) if recorded_at else end_of_day


CHANGE_KINDS = ("added", "moved", "slipped", "won", "lost")


def changes_since(
    session: Session, actor: Actor, rep_id: int, since: date | datetime
) -> pd.DataFrame:
    """What happened to the rep's deals since `since`: from the start of that day for a date,
    strictly after that moment for a datetime. One row per event with change (added, moved,
    slipped, won, lost), deal, from and to stage, when and amount."""
    _rep(session, actor, rep_id)
    if isinstance(since, datetime):
        start, exclusive = since, True
    else:
        start, exclusive = datetime.combine(since, time.min), False
    from_stage, to_stage = aliased(Stage), aliased(Stage)
    history = (
        select(
            DealStageHistory.deal_id,
            DealStageHistory.changed_at.label("at"),
            from_stage.name.label("from_stage"),
            to_stage.name.label("to_stage"),
            pricing.in_company_currency(DealStageHistory.amount).label("amount"),
            to_stage.is_won,
            to_stage.is_lost,
            (DealStageHistory.from_stage_id.is_(None)).label("is_new"),
        )
        .join(Deal, Deal.id == DealStageHistory.deal_id)
        .join(to_stage, to_stage.id == DealStageHistory.to_stage_id)
        .outerjoin(from_stage, from_stage.id == DealStageHistory.from_stage_id)
        .where(
            Deal.owner_id == rep_id,
            (DealStageHistory.changed_at > start)
            if exclusive
            else (DealStageHistory.changed_at >= start),
        )
    )
    rows = []
    for r in session.execute(history):
        kind = "won" if r.is_won else "lost" if r.is_lost else "added" if r.is_new else "moved"
        rows.append((kind, r.deal_id, r.from_stage, r.to_stage, r.at, r.amount))
    # Deals created since (the demo data may not write a first history row). Only their day is
    # known: a window that starts during a day counts the deals created from the next day on.
    first_day = start.date() if start.time() == time.min else start.date() + timedelta(days=1)
    created = select(Deal.id, Deal.created_on, Deal.company_amount).where(
        Deal.owner_id == rep_id, Deal.created_on >= first_day
    )
    added = {row[1] for row in rows if row[0] == "added"}
    for deal_id, created_on, amount in session.execute(created):
        if deal_id not in added:
            at = datetime.combine(created_on, time.min)
            rows.append(("added", deal_id, None, None, at, amount))
    slips = (
        select(
            AuditLog.entity_id, AuditLog.at, Deal.company_amount, AuditLog.before, AuditLog.after
        )
        .join(Deal, Deal.id == AuditLog.entity_id)
        .where(
            AuditLog.entity == "deal",
            AuditLog.action == "deal.slip",
            AuditLog.at > start if exclusive else AuditLog.at >= start,
            Deal.owner_id == rep_id,
        )
    )
    for deal_id, at, amount, before, after in session.execute(slips):
        old = (before or {}).get("expected_close")
        new = (after or {}).get("expected_close")
        rows.append(("slipped", deal_id, old, new, at, amount))
    frame = pd.DataFrame(rows, columns=["change", "deal_id", "from", "to", "when", "amount"])
    names = dict(
        session.execute(
            select(Deal.id, Deal.name).where(Deal.id.in_(frame["deal_id"].unique().tolist()))
        ).all()
    )
    frame.insert(2, "deal", frame["deal_id"].map(names))
    frame["change"] = pd.Categorical(frame["change"], categories=CHANGE_KINDS, ordered=True)
    return frame.sort_values(["change", "when"]).reset_index(drop=True)


def changes_since_last_review(
    session: Session, actor: Actor, rep_id: int, *, today: date | None = None
) -> tuple[date | None, pd.DataFrame]:
    """The last review's date and what changed after it was recorded; everything of the last 30
    days when the rep was never reviewed."""
    today = today or clock.today()
    last = last_review_moment(session, rep_id, until=today)
    if last is None:
        return None, changes_since(session, actor, rep_id, today - timedelta(days=30))
    held_on, moment = last
    return held_on, changes_since(session, actor, rep_id, moment)


class ReviewDetail(BaseModel):
    """One recorded review, as its link (/reviews?review=ID) shows it."""

    id: int
    rep_id: int
    rep: str
    manager: str
    held_on: date
    notes: str | None
    deals: list[str]
    commitments: list[tuple[str, date | None, date | None]]
    """(what, due on, done on) in the order they were agreed."""


def review_detail(session: Session, actor: Actor, review_id: int) -> ReviewDetail:
    """A review with its deals and commitments, for whoever may see the rep's reviews (the
    rep, managers of the rep's region, directors and admins)."""
    review = session.get(PipelineReview, review_id)
    if review is None:
        raise NotFound(_("No pipeline review with id {review_id}.").format(review_id=review_id))
    rep = _rep(session, actor, review.rep_id)
    manager = session.get(Person, review.manager_id)
    deals = session.scalars(
        select(Deal.name)
        .join(ReviewDeal, ReviewDeal.deal_id == Deal.id)
        .where(ReviewDeal.review_id == review.id)
        .order_by(Deal.name)
    ).all()
    commitments = session.execute(
        select(ReviewCommitment.description, ReviewCommitment.due_on, ReviewCommitment.done_on)
        .where(ReviewCommitment.review_id == review.id)
        .order_by(ReviewCommitment.id)
    ).all()
    return ReviewDetail(
        id=review.id,
        rep_id=rep.id,
        rep=rep.name,
        manager=manager.name if manager else "",
        held_on=review.held_on,
        notes=review.notes,
        deals=list(deals),
        commitments=[tuple(row) for row in commitments],
    )
