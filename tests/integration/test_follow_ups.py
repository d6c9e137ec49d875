"""Follow-ups: add, done, snooze, reschedule, reads and the deal's next step, per role."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.models import ActivityType, Actor
from core.pipeline import follow_ups
from core.pipeline.activities import ActivityCreate
from core.pipeline.follow_ups import NextFollowUp
from db.schema import Activity, AuditLog, Deal, FollowUp
from tests import factories
from tests.pipeline_factories import Team, team

TODAY = date(2026, 6, 10)


@pytest.fixture
def t(session) -> Team:
    """A region with its manager, two reps and one customer each."""
    return team(session)


@pytest.fixture
def rep(session, t: Team) -> Actor:
    """The team's rep, signed in."""
    return t.actor(session, t.rep)


@pytest.fixture
def deal(session, t: Team) -> Deal:
    """An open deal of the rep's own customer."""
    return factories.deal(session, t.rep, t.customer)


def _follow_up(session, actor: Actor, title: str, *, due_on: date = TODAY, **where) -> int:
    """A follow-up `actor` adds on TODAY; `where` names its deal or customer (and owner)."""
    return follow_ups.add_follow_up(
        session, actor, title=title, due_on=due_on, today=TODAY, **where
    )


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_rep_adds_a_follow_up_on_own_deal_and_it_is_audited(session, t, rep, deal):
    fid = follow_ups.add_follow_up(
        session,
        rep,
        title="  Call   Anna back ",
        due_on=TODAY,
        due_at=time(15, 30),
        deal_id=deal.id,
        kind=ActivityType.CALL,
        today=TODAY,
    )
    row = session.get_one(FollowUp, fid)
    assert (row.owner_id, row.deal_id, row.customer_id) == (t.rep.id, deal.id, t.customer.id)
    assert (row.title, row.status, row.due_at, row.first_due_on) == (
        "Call Anna back",
        "open",
        time(15, 30),
        TODAY,
    )
    entry = session.scalars(
        select(AuditLog).where(AuditLog.entity == "follow_up", AuditLog.entity_id == fid)
    ).one()
    assert entry.action == "follow_up.add" and entry.actor_id == t.rep.id


def test_bad_input_is_refused_and_writes_nothing(session, t, rep, deal):
    before = _count(session, FollowUp)
    cases = [
        dict(title="   ", due_on=TODAY, deal_id=deal.id),
        dict(title="x" * 201, due_on=TODAY, deal_id=deal.id),
        dict(title="Call", due_on=TODAY - timedelta(days=1), deal_id=deal.id),
        dict(title="Call", due_on=TODAY),
        dict(title="Call", due_on=TODAY, deal_id=deal.id, customer_id=t.other_customer.id),
    ]
    for case in cases:
        with pytest.raises(ValidationFailed):
            follow_ups.add_follow_up(session, rep, today=TODAY, **case)
    with pytest.raises(NotFound):
        _follow_up(session, rep, "Call", deal_id=10**9)
    assert _count(session, FollowUp) == before


def test_refusals_per_role(session, t, rep, deal):
    other = t.actor(session, t.other_rep)
    # another rep may neither add on my deal nor add for me
    with pytest.raises(PermissionDenied):
        _follow_up(session, other, "x", deal_id=deal.id)
    with pytest.raises(PermissionDenied):
        _follow_up(session, other, "x", customer_id=t.other_customer.id, owner_id=t.rep.id)
    # a rep on a customer she does not own
    with pytest.raises(PermissionDenied):
        _follow_up(session, rep, "x", customer_id=t.other_customer.id)
    fid = _follow_up(session, rep, "Send offer", deal_id=deal.id)
    for change in (
        lambda: follow_ups.complete_follow_up(session, other, fid),
        lambda: follow_ups.snooze_follow_up(
            session, other, fid, TODAY + timedelta(days=2), today=TODAY
        ),
        lambda: follow_ups.reschedule_follow_up(session, other, fid, due_on=TODAY, today=TODAY),
    ):
        with pytest.raises(PermissionDenied):
            change()
    with pytest.raises(PermissionDenied):
        follow_ups.follow_ups_of_person(session, other, t.rep.id, today=TODAY)
    with pytest.raises(PermissionDenied):
        follow_ups.follow_ups_of_deal(session, other, deal.id, today=TODAY)
    # the other rep reads the customer's follow-ups without mine
    assert follow_ups.follow_ups_of_customer(session, other, t.customer.id, today=TODAY) == []
    # a manager of another region may not act either
    far_region = factories.region(session)
    far_manager = factories.person(session, "manager", far_region, manages=[far_region])
    far = factories.actor(session, far_manager)
    with pytest.raises(PermissionDenied):
        follow_ups.complete_follow_up(session, far, fid)
    with pytest.raises(PermissionDenied):
        follow_ups.follow_ups_of_person(session, far, t.rep.id, today=TODAY)
    # a deactivated owner can no longer act
    t.rep.active = False
    session.flush()
    with pytest.raises(PermissionDenied):
        follow_ups.complete_follow_up(session, factories.actor(session, t.rep), fid)
    assert session.get_one(FollowUp, fid).status == "open"


def test_manager_keeps_follow_ups_of_people_in_the_subtree(session, t, deal):
    manager = t.actor(session, t.manager)
    fid = _follow_up(session, manager, "Prepare the review", deal_id=deal.id, owner_id=t.rep.id)
    assert session.get_one(FollowUp, fid).owner_id == t.rep.id
    rows = follow_ups.follow_ups_of_person(session, manager, t.rep.id, today=TODAY)
    assert [r.id for r in rows] == [fid] and rows[0].can_change
    follow_ups.complete_follow_up(session, manager, fid)
    row = session.get_one(FollowUp, fid)
    assert row.status == "done" and row.done_by_id == t.manager.id


def test_snooze_reschedule_and_done_states(session, t, rep):
    fid = _follow_up(session, rep, "Visit", customer_id=t.customer.id)
    with pytest.raises(ValidationFailed):
        follow_ups.snooze_follow_up(session, rep, fid, TODAY, today=TODAY)
    follow_ups.snooze_follow_up(session, rep, fid, TODAY + timedelta(days=3), today=TODAY)
    row = session.get_one(FollowUp, fid)
    assert (row.status, row.due_on, row.snoozed_until, row.snooze_count, row.first_due_on) == (
        "snoozed",
        TODAY + timedelta(days=3),
        TODAY + timedelta(days=3),
        1,
        TODAY,
    )
    listed = follow_ups.follow_ups_of_person(session, rep, t.rep.id, today=TODAY)
    assert [r.id for r in listed] == [fid] and not listed[0].overdue
    # seen a week later it is overdue
    later = follow_ups.follow_ups_of_person(session, rep, t.rep.id, today=TODAY + timedelta(7))
    assert later[0].overdue
    follow_ups.reschedule_follow_up(
        session,
        rep,
        fid,
        due_on=TODAY + timedelta(days=1),
        due_at=time(9, 0),
        title="Visit the plant",
        today=TODAY,
    )
    row = session.get_one(FollowUp, fid)
    assert (row.status, row.due_on, row.due_at, row.title, row.snoozed_until) == (
        "open",
        TODAY + timedelta(days=1),
        time(9, 0),
        "Visit the plant",
        None,
    )
    follow_ups.complete_follow_up(session, rep, fid)
    with pytest.raises(ValidationFailed):
        follow_ups.complete_follow_up(session, rep, fid)
    with pytest.raises(ValidationFailed):
        follow_ups.snooze_follow_up(session, rep, fid, TODAY + timedelta(days=3), today=TODAY)
    assert follow_ups.follow_ups_of_person(session, rep, t.rep.id, today=TODAY) == []
    done = follow_ups.follow_ups_of_person(session, rep, t.rep.id, include_done=True, today=TODAY)
    assert [r.status for r in done] == ["done"] and not done[0].can_change
    actions = session.scalars(
        select(AuditLog.action)
        .where(AuditLog.entity == "follow_up", AuditLog.entity_id == fid)
        .order_by(AuditLog.id)
    ).all()
    assert actions == [
        "follow_up.add",
        "follow_up.snooze",
        "follow_up.reschedule",
        "follow_up.done",
    ]


def test_next_step_is_the_earliest_open_follow_up_else_the_note(session, t, rep):
    with_follow_ups = factories.deal(session, t.rep, t.customer)
    with_note = factories.deal(session, t.rep, t.customer)
    with_note.next_step = "Wait for the budget"
    with_follow_ups.next_step = "Old note"
    bare = factories.deal(session, t.rep, t.customer)
    session.flush()
    on_deal = {"deal_id": with_follow_ups.id}
    late = _follow_up(session, rep, "Later", due_on=TODAY + timedelta(5), **on_deal)
    _follow_up(session, rep, "Same day, no time", due_on=TODAY + timedelta(2), **on_deal)
    timed = _follow_up(
        session, rep, "Same day at nine", due_on=TODAY + timedelta(2), due_at=time(9, 0), **on_deal
    )
    steps = follow_ups.next_steps(session, [with_follow_ups.id, with_note.id, bare.id])
    assert steps[with_follow_ups.id].follow_up_id == timed
    assert steps[with_follow_ups.id].text == "Same day at nine"
    assert steps[with_note.id].text == "Wait for the budget" and steps[with_note.id].due_on is None
    assert bare.id not in steps
    follow_ups.complete_follow_up(session, rep, timed)
    assert follow_ups.next_steps(session, [with_follow_ups.id])[with_follow_ups.id].text == (
        "Same day, no time"
    )
    assert late


def test_logging_an_activity_closes_the_follow_up_and_sets_the_next_in_one_go(session, rep, deal):
    fid = _follow_up(session, rep, "Visit", deal_id=deal.id)
    activity_id = follow_ups.log_activity_with_follow_ups(
        session,
        rep,
        ActivityCreate(type=ActivityType.VISIT, occurred_on=TODAY, deal_id=deal.id),
        close_follow_up_id=fid,
        next_follow_up=NextFollowUp(title="Send the offer", due_on=TODAY + timedelta(2)),
        today=TODAY,
    )
    closed = session.get_one(FollowUp, fid)
    assert closed.status == "done" and closed.done_activity_id == activity_id
    step = follow_ups.next_steps(session, [deal.id])[deal.id]
    assert (step.text, step.due_on) == ("Send the offer", TODAY + timedelta(2))


def test_a_refused_next_follow_up_rolls_back_the_activity(session, t, rep, deal):
    fid = _follow_up(session, rep, "Visit", deal_id=deal.id)
    activities_before = _count(session, Activity)
    with pytest.raises(ValidationFailed), session.begin_nested():
        follow_ups.log_activity_with_follow_ups(
            session,
            rep,
            ActivityCreate(type=ActivityType.VISIT, occurred_on=TODAY, deal_id=deal.id),
            close_follow_up_id=fid,
            next_follow_up=NextFollowUp(title="Too early", due_on=TODAY - timedelta(1)),
            today=TODAY,
        )
    assert _count(session, Activity) == activities_before
    assert session.get_one(FollowUp, fid).status == "open"
    # a follow-up of another deal is not closed by this activity
    other_deal = factories.deal(session, t.rep, t.customer)
    with pytest.raises(ValidationFailed), session.begin_nested():
        follow_ups.log_activity_with_follow_ups(
            session,
            rep,
            ActivityCreate(type=ActivityType.CALL, occurred_on=TODAY, deal_id=other_deal.id),
            close_follow_up_id=fid,
            today=TODAY,
        )
    assert session.get_one(FollowUp, fid).status == "open"
    assert session.get_one(Deal, deal.id).version == deal.version


def test_my_deals_the_pipeline_and_the_deal_show_the_follow_up_as_next_step(session, t, rep, deal):
    from core.pipeline import views

    deal.next_step = "Old note"
    noted = factories.deal(session, t.rep, t.customer)
    noted.next_step = "Only a note"
    session.flush()
    _follow_up(session, rep, "Call the buyer", due_on=TODAY + timedelta(3), deal_id=deal.id)
    mine = views.my_open_deals(session, rep).set_index("id")
    assert mine.loc[deal.id, "next_step"] == "Call the buyer"
    assert mine.loc[deal.id, "next_step_due"] == TODAY + timedelta(3)
    assert mine.loc[noted.id, "next_step"] == "Only a note"
    assert mine.loc[noted.id, "next_step_due"] is None
    board = views.pipeline_deals(
        session, t.actor(session, t.manager), views.PipelineFilter(owner_id=t.rep.id)
    ).set_index("id")
    assert board.loc[deal.id, "next_step"] == "Call the buyer"
    detail = views.deal_detail(session, rep, deal.id)
    assert (detail.next_step, detail.next_step_due, detail.next_step_note) == (
        "Call the buyer",
        TODAY + timedelta(3),
        "Old note",
    )


def test_a_merged_customer_hands_its_follow_ups_to_the_survivor(session, t, rep):
    from core.customers.ownership import merge_customers

    duplicate = factories.customer(session, t.rep, t.region)
    fid = _follow_up(session, rep, "Call the buyer", customer_id=duplicate.id)
    merge_customers(session, t.actor(session, t.manager), t.customer.id, duplicate.id)
    session.expire_all()
    assert session.get_one(FollowUp, fid).customer_id == t.customer.id
    shown = follow_ups.follow_ups_of_customer(session, rep, t.customer.id, today=TODAY)
    assert [row.id for row in shown] == [fid]
