"""Activities, pipeline reviews and stage settings against SQLite and PostgreSQL."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy import delete, func, select

from core.errors import PermissionDenied, ValidationFailed
from core.pipeline import activities, deals, reviews, stages, views
from core.pipeline.activities import ActivityCreate
from core.pipeline.deals import DealMove, DealUpdate
from core.pipeline.reviews import CommitmentCreate, ReviewCreate
from db.schema import (
    Activity,
    Customer,
    Deal,
    DealStageHistory,
    DealTeamMember,
    FollowUp,
    PipelineReview,
    ReviewCommitment,
    ReviewDeal,
    Stage,
)
from tests import factories
from tests.pipeline_factories import lost_reason_id, stage, team

TODAY = date.today()


def test_a_rep_logs_a_visit_on_an_own_customer_and_it_moves_the_last_activity_date(session):
    t = team(session)
    rep = t.actor(session, t.rep)
    deal = factories.deal(session, t.rep, t.customer)
    t.customer.last_activity_on = TODAY - timedelta(days=30)
    session.flush()
    activity_id = activities.log_activity(
        session,
        rep,
        ActivityCreate(type="visit", occurred_on=TODAY - timedelta(1), deal_id=deal.id, notes="ok"),
    )
    logged = session.get(Activity, activity_id)
    assert (logged.person_id, logged.customer_id, logged.deal_id) == (
        t.rep.id,
        t.customer.id,
        deal.id,
    )
    assert session.get(Customer, t.customer.id).last_activity_on == TODAY - timedelta(1)
    activities.log_activity(
        session,
        rep,
        ActivityCreate(type="call", occurred_on=TODAY - timedelta(9), customer_id=t.customer.id),
    )
    assert session.get(Customer, t.customer.id).last_activity_on == TODAY - timedelta(1)
    assert views.deal_detail(session, rep, deal.id).activities[0].type == "visit"


def test_deal_team_members_may_log_on_the_deal_but_other_reps_may_not(session):
    t = team(session)
    deal = factories.deal(session, t.rep, t.customer)
    other = t.actor(session, t.other_rep)
    visit = ActivityCreate(type="demo", occurred_on=TODAY, deal_id=deal.id)
    before = session.scalar(select(func.count()).select_from(Activity))
    with pytest.raises(PermissionDenied, match="deals whose team you are on"):
        activities.log_activity(session, other, visit)
    with pytest.raises(PermissionDenied):
        activities.log_activity(
            session,
            other,
            ActivityCreate(type="call", occurred_on=TODAY, customer_id=t.customer.id),
        )
    assert session.scalar(select(func.count()).select_from(Activity)) == before
    deals.add_team_member(
        session, t.actor(session, t.rep), deal.id, t.other_rep.id, "pre-sales engineer"
    )
    assert activities.log_activity(session, other, visit)
    manager = t.actor(session, t.manager)
    assert activities.log_activity(
        session,
        manager,
        ActivityCreate(type="meeting", occurred_on=TODAY, customer_id=t.customer.id),
    )


def test_bad_activities_are_refused_with_a_clear_message(session):
    t = team(session)
    rep = t.actor(session, t.rep)
    deal = factories.deal(session, t.rep, t.customer)
    with pytest.raises(ValidationFailed, match="future"):
        activities.log_activity(
            session,
            rep,
            ActivityCreate(type="call", occurred_on=TODAY + timedelta(1), deal_id=deal.id),
        )
    with pytest.raises(ValidationFailed, match="another customer"):
        activities.log_activity(
            session,
            rep,
            ActivityCreate(
                type="call", occurred_on=TODAY, deal_id=deal.id, customer_id=t.other_customer.id
            ),
        )
    with pytest.raises(ValidationError):
        ActivityCreate(type="fax", occurred_on=TODAY, customer_id=t.customer.id)


def test_a_manager_records_a_review_and_the_rep_sees_the_open_commitments(session):
    t = team(session)
    deal = factories.deal(session, t.rep, t.customer)
    foreign = factories.deal(session, t.other_rep, t.other_customer)
    manager, rep = t.actor(session, t.manager), t.actor(session, t.rep)
    review = ReviewCreate(
        rep_id=t.rep.id,
        held_on=TODAY,
        deal_ids=[deal.id],
        notes="Pricing risk",
        commitments=[
            CommitmentCreate(
                description="Send proposal", due_on=TODAY + timedelta(7), deal_id=deal.id
            ),
            CommitmentCreate(description="Book demo"),
        ],
    )
    with pytest.raises(PermissionDenied):
        reviews.record_review(session, rep, review)
    with pytest.raises(ValidationFailed, match=f"Deal {foreign.id} is not one of"):
        reviews.record_review(
            session, manager, review.model_copy(update={"deal_ids": [deal.id, foreign.id]})
        )
    late = CommitmentCreate(description="x", due_on=TODAY - timedelta(1))
    with pytest.raises(ValidationFailed, match="Commitment 1: the due date is before"):
        reviews.record_review(session, manager, review.model_copy(update={"commitments": [late]}))
    assert session.scalar(select(func.count()).where(PipelineReview.rep_id == t.rep.id)) == 0

    reviews.record_review(session, manager, review)
    open_items = reviews.open_commitments(session, rep, t.rep.id)
    assert list(open_items["description"]) == ["Send proposal", "Book demo"]
    assert open_items.iloc[0]["deal"] == deal.name
    listed = reviews.reviews_of(session, rep, t.rep.id)
    assert listed.iloc[0][["deals_discussed", "commitments"]].tolist() == [1, 2]
    reviews.complete_commitment(session, rep, int(open_items.iloc[0]["id"]))
    assert list(reviews.open_commitments(session, rep, t.rep.id)["description"]) == ["Book demo"]
    with pytest.raises(PermissionDenied):
        reviews.open_commitments(session, t.actor(session, t.other_rep), t.rep.id)


def test_the_next_review_shows_deals_moved_added_slipped_won_and_lost_since_the_last(session):
    t = team(session)
    rep, manager = t.actor(session, t.rep), t.actor(session, t.manager)
    reviews.record_review(
        session,
        manager,
        ReviewCreate(rep_id=t.rep.id, held_on=TODAY - timedelta(days=1), notes="Last week"),
    )
    moved = factories.deal(session, t.rep, t.customer, stage_name="Evaluation")
    slipped = factories.deal(session, t.rep, t.customer, expected_close=TODAY + timedelta(5))
    won = factories.deal(session, t.rep, t.customer, stage_name="Negotiation")
    lost = factories.deal(session, t.rep, t.customer, stage_name="Lead")
    added = factories.deal(session, t.rep, t.customer)
    added.created_on = TODAY
    others = factories.deal(session, t.other_rep, t.other_customer, stage_name="Evaluation")
    session.flush()
    deals.move_deal(
        session,
        rep,
        moved.id,
        DealMove(to_stage_id=stage(session, "Lead").id, seen_version=1, reason="r"),
    )
    deals.move_deal(
        session, t.actor(session, t.other_rep), others.id,
        DealMove(to_stage_id=stage(session, "Lead").id, seen_version=1, reason="r"),
    )  # fmt: skip
    deals.update_deal(session, rep, slipped.id, 1, DealUpdate(expected_close=TODAY + timedelta(30)))
    deals.move_deal(
        session,
        manager,
        won.id,
        DealMove(
            to_stage_id=stage(session, "Won").id,
            seen_version=1,
            override=True,
            reason="signed",
            closed_on=TODAY,
            amount=Decimal(10),
        ),
    )
    deals.move_deal(
        session,
        rep,
        lost.id,
        DealMove(
            to_stage_id=stage(session, "Lost").id,
            seen_version=1,
            lost_reason_id=lost_reason_id(session, "Timing"),
        ),
    )
    since, changes = reviews.changes_since_last_review(session, manager, t.rep.id)
    assert since == TODAY - timedelta(days=1)
    got = sorted(zip(changes["change"].astype(str), changes["deal_id"]))
    assert got == sorted(
        [
            ("moved", moved.id),
            ("slipped", slipped.id),
            ("won", won.id),
            ("lost", lost.id),
            ("added", added.id),
        ]
    )
    slip = changes[changes["change"] == "slipped"].iloc[0]
    assert (slip["from"], slip["to"]) == (
        (TODAY + timedelta(5)).isoformat(),
        (TODAY + timedelta(30)).isoformat(),
    )


def test_an_admin_reorders_and_edits_stages_and_a_manager_may_not(session):
    admin = factories.actor(session, factories.person(session, "admin"))
    manager = factories.actor(session, factories.person(session, "manager"))
    current = stages.list_stages(session)
    with pytest.raises(PermissionDenied):
        stages.save_stages(session, manager, current)
    edited = [s.model_copy() for s in current]
    # swap the positions of the first two open stages and add a checklist item
    edited[0], edited[1] = (
        edited[0].model_copy(
            update={"position": current[1].position, "probability": Decimal("0.15")}
        ),
        edited[1].model_copy(
            update={"position": current[0].position, "probability": Decimal("0.05"), "max_days": 10}
        ),
    )
    edited[0] = edited[0].model_copy(
        update={"exit_checklist": [*current[0].exit_checklist, "NDA signed"]}
    )
    stages.save_stages(session, admin, edited)
    after = stages.list_stages(session)
    assert [s.name for s in after[:2]] == [current[1].name, current[0].name]
    assert after[1].exit_checklist[-1] == "NDA signed" and after[0].max_days == 10
    assert "pre-sales engineer" in stages.known_team_roles(session)


def test_a_stage_holding_deals_cannot_be_deleted_and_nothing_changes(session):
    admin = factories.actor(session, factories.person(session, "admin"))
    current = stages.list_stages(session)
    without_lead = [s for s in current if s.name != "Lead"]
    with pytest.raises(ValidationFailed, match="Stage 'Lead' holds .* deals"):
        stages.save_stages(session, admin, without_lead)
    assert session.scalar(select(func.count()).select_from(Stage)) == len(current)
    assert stages.list_stages(session) == current


def test_an_empty_database_gets_the_standard_b2b_stages_once(session):
    admin = factories.actor(session, factories.person(session, "admin"))
    pipeline = (ReviewCommitment, ReviewDeal, FollowUp, Activity, DealTeamMember, DealStageHistory)
    for model in (*pipeline, Deal):
        session.execute(delete(model))  # an empty pipeline (rolled back after the test)
    session.execute(delete(Stage))
    created = stages.create_default_stages(session, admin)
    names = [s.name for s in stages.list_stages(session)]
    assert created == 8 and names == [
        "Lead",
        "Qualified",
        "Technical exchange",
        "Requirements and solution",
        "Evaluation",
        "Negotiation",
        "Won",
        "Lost",
    ]
    assert stages.list_stages(session)[4].required_roles == ["executive sponsor"]
    with pytest.raises(ValidationFailed, match="already set up"):
        stages.create_default_stages(session, admin)
