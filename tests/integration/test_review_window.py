"""What changed since the last review starts at the moment it was recorded; empty reviews are
refused. Against SQLite and PostgreSQL."""

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, update

from core.errors import ValidationFailed
from core.pipeline import deals, reviews
from core.pipeline.deals import DealMove
from core.pipeline.reviews import CommitmentCreate, ReviewCreate
from db.schema import DealStageHistory, PipelineReview
from tests import factories
from tests.pipeline_factories import stage, team

TODAY = date.today()


def _move(session, actor, deal, to: str, at: datetime) -> None:
    """Move a deal to another open stage and date the stage change `at`."""
    deals.move_deal(
        session,
        actor,
        deal.id,
        DealMove(to_stage_id=stage(session, to).id, seen_version=deal.version, reason="r"),
    )
    session.execute(
        update(DealStageHistory)
        .where(DealStageHistory.deal_id == deal.id, DealStageHistory.from_stage_id.is_not(None))
        .values(changed_at=at)
    )


def _record(session, manager, rep_id: int, held_on: date, recorded_at: datetime) -> int:
    review_id = reviews.record_review(
        session, manager, ReviewCreate(rep_id=rep_id, held_on=held_on, notes="Walked the list")
    )
    session.execute(
        update(PipelineReview).where(PipelineReview.id == review_id).values(created_at=recorded_at)
    )
    return review_id


def test_changes_made_before_this_mornings_review_are_not_listed_again(session):
    t = team(session)
    rep, manager = t.actor(session, t.rep), t.actor(session, t.manager)
    before = factories.deal(session, t.rep, t.customer, stage_name="Evaluation")
    later = factories.deal(session, t.rep, t.customer, stage_name="Evaluation")
    session.flush()
    morning = datetime.combine(TODAY, time(9, 0))
    _move(session, rep, before, "Lead", morning - timedelta(hours=1))
    _record(session, manager, t.rep.id, TODAY, morning)
    _move(session, rep, later, "Lead", morning + timedelta(minutes=30))

    since, changes = reviews.changes_since_last_review(session, manager, t.rep.id, today=TODAY)

    assert since == TODAY
    assert list(zip(changes["change"].astype(str), changes["deal_id"])) == [("moved", later.id)]


def test_a_review_recorded_a_day_later_counts_from_the_end_of_the_day_it_was_held(session):
    t = team(session)
    rep, manager = t.actor(session, t.rep), t.actor(session, t.manager)
    on_the_day = factories.deal(session, t.rep, t.customer, stage_name="Evaluation")
    next_day = factories.deal(session, t.rep, t.customer, stage_name="Evaluation")
    session.flush()
    held = TODAY - timedelta(days=2)
    _move(session, rep, on_the_day, "Lead", datetime.combine(held, time(16, 0)))
    _move(session, rep, next_day, "Lead", datetime.combine(held + timedelta(1), time(8, 0)))
    _record(session, manager, t.rep.id, held, datetime.combine(TODAY, time(7, 0)))

    since, changes = reviews.changes_since_last_review(session, manager, t.rep.id, today=TODAY)

    assert since == held
    assert list(changes["deal_id"]) == [next_day.id]


def test_the_latest_of_two_reviews_on_one_day_is_the_one_changes_count_from(session):
    t = team(session)
    rep, manager = t.actor(session, t.rep), t.actor(session, t.manager)
    between = factories.deal(session, t.rep, t.customer, stage_name="Evaluation")
    after = factories.deal(session, t.rep, t.customer, stage_name="Evaluation")
    session.flush()
    nine, eleven = datetime.combine(TODAY, time(9)), datetime.combine(TODAY, time(11))
    _record(session, manager, t.rep.id, TODAY, nine)
    _move(session, rep, between, "Lead", nine + timedelta(hours=1))
    _record(session, manager, t.rep.id, TODAY, eleven)
    _move(session, rep, after, "Lead", eleven + timedelta(hours=1))

    _, changes = reviews.changes_since_last_review(session, manager, t.rep.id, today=TODAY)

    assert list(changes["deal_id"]) == [after.id]


def test_an_empty_review_is_refused_and_nothing_is_saved(session):
    t = team(session)
    manager = t.actor(session, t.manager)
    count = select(func.count()).where(PipelineReview.rep_id == t.rep.id)
    with pytest.raises(ValidationFailed, match="This review is empty"):
        reviews.record_review(session, manager, ReviewCreate(rep_id=t.rep.id, held_on=TODAY))
    with pytest.raises(ValidationFailed, match="This review is empty"):
        reviews.record_review(
            session, manager, ReviewCreate(rep_id=t.rep.id, held_on=TODAY, notes="   ")
        )
    assert session.scalar(count) == 0
    # any one of the three makes a review worth keeping
    deal = factories.deal(session, t.rep, t.customer)
    session.flush()
    for data in (
        ReviewCreate(rep_id=t.rep.id, held_on=TODAY, deal_ids=[deal.id]),
        ReviewCreate(rep_id=t.rep.id, held_on=TODAY, notes="Pricing risk"),
        ReviewCreate(
            rep_id=t.rep.id, held_on=TODAY, commitments=[CommitmentCreate(description="Call")]
        ),
    ):
        reviews.record_review(session, manager, data)
    assert session.scalar(count) == 3
