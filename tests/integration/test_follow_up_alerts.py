"""The overdue follow-up alert: fires once a follow-up is open the set number of days after its
due day, not before, not when done or snoozed ahead; seen by its owner and their managers."""

from __future__ import annotations

from datetime import date, timedelta

from core.performance import alerts
from core.pipeline import follow_ups
from tests import factories
from tests.pipeline_factories import team

TODAY = date(2030, 5, 20)


def _overdue(session, who, today=TODAY):
    actor = factories.actor(session, who)
    return [
        a
        for a in alerts.current_alerts(session, actor, today=today)
        if a.rule == "overdue_follow_up"
    ]


def _add(session, who, title, due_on, **where):
    actor = factories.actor(session, who)
    return follow_ups.add_follow_up(
        session, actor, title=title, due_on=due_on, today=due_on, **where
    )


def test_overdue_follow_ups_fire_for_owner_and_manager_only(session):
    t = team(session)
    deal = factories.deal(session, t.rep, t.customer)
    week_late = _add(session, t.rep, "Send the offer", TODAY - timedelta(days=8), deal_id=deal.id)
    day_late = _add(
        session, t.rep, "Call back", TODAY - timedelta(days=1), customer_id=t.customer.id
    )
    _add(session, t.rep, "Due today", TODAY, customer_id=t.customer.id)
    done = _add(session, t.rep, "Done already", TODAY - timedelta(days=3), deal_id=deal.id)
    follow_ups.complete_follow_up(session, factories.actor(session, t.rep), done)
    snoozed = _add(session, t.rep, "Snoozed ahead", TODAY - timedelta(days=4), deal_id=deal.id)
    follow_ups.snooze_follow_up(
        session, factories.actor(session, t.rep), snoozed, TODAY + timedelta(days=2), today=TODAY
    )
    _add(
        session,
        t.other_rep,
        "Someone else's",
        TODAY - timedelta(days=2),
        customer_id=t.other_customer.id,
    )

    mine = _overdue(session, t.rep)
    assert [a.figures["follow_up_id"] for a in mine] == [week_late, day_late]
    by_id = {a.figures["follow_up_id"]: a for a in mine}
    assert by_id[week_late].severity == "medium" and by_id[day_late].severity == "low"
    assert (by_id[week_late].subject_type, by_id[week_late].subject_id) == ("deal", deal.id)
    assert (by_id[day_late].subject_type, by_id[day_late].subject_id) == (
        "customer",
        t.customer.id,
    )
    assert by_id[week_late].figures["days_late"] == 8
    assert "Send the offer" in by_id[week_late].message and "8 days ago" in by_id[week_late].message

    manager_sees = {a.figures["follow_up_id"] for a in _overdue(session, t.manager)}
    assert {week_late, day_late} <= manager_sees and len(manager_sees) == 3
    far_region = factories.region(session)
    far_manager = factories.person(session, "manager", far_region, manages=[far_region])
    assert _overdue(session, far_manager) == []
    assert {a.figures["follow_up_id"] for a in _overdue(session, t.other_rep)} == manager_sees - {
        week_late,
        day_late,
    }


def test_the_threshold_of_days_is_a_setting(session):
    t = team(session)
    admin = factories.person(session, "admin")
    two_late = _add(
        session, t.rep, "Two days late", TODAY - timedelta(days=2), customer_id=t.customer.id
    )
    _add(session, t.rep, "One day late", TODAY - timedelta(days=1), customer_id=t.customer.id)
    alerts.set_thresholds(session, factories.actor(session, admin), {"follow_up_overdue_days": 2})
    assert [a.figures["follow_up_id"] for a in _overdue(session, t.rep)] == [two_late]


def test_acknowledging_hides_it_and_a_later_snooze_raises_it_anew(session):
    t = team(session)
    fid = _add(session, t.rep, "Visit", TODAY - timedelta(days=2), customer_id=t.customer.id)
    (alert,) = _overdue(session, t.rep)
    alerts.acknowledge(session, factories.actor(session, t.rep), [alert.key])
    assert _overdue(session, t.rep) == []
    follow_ups.snooze_follow_up(
        session, factories.actor(session, t.rep), fid, TODAY + timedelta(days=1), today=TODAY
    )
    later = _overdue(session, t.rep, TODAY + timedelta(days=3))
    assert [a.figures["follow_up_id"] for a in later] == [fid] and later[0].key != alert.key


def test_a_limited_list_keeps_the_longest_overdue_with_their_names(session):
    """With a limit per rule, the follow-ups longest past their due day are kept (ties by
    creation), and each still names its deal or customer."""
    t = team(session)
    deal = factories.deal(session, t.rep, t.customer)
    days_late = [5, 9, 3, 12, 9]
    ids = [
        _add(session, t.rep, f"Late {n}", TODAY - timedelta(days=n), deal_id=deal.id)
        if i % 2
        else _add(session, t.rep, f"Late {n}", TODAY - timedelta(days=n), customer_id=t.customer.id)
        for i, n in enumerate(days_late)
    ]
    actor = factories.actor(session, t.rep)
    kept = [
        a
        for a in alerts.current_alerts(session, actor, today=TODAY, limit_per_rule=3)
        if a.rule == "overdue_follow_up"
    ]
    oldest = sorted(range(len(ids)), key=lambda i: (-days_late[i], ids[i]))[:3]
    assert {a.figures["follow_up_id"] for a in kept} == {ids[i] for i in oldest}
    for alert in kept:
        i = ids.index(alert.figures["follow_up_id"])
        assert alert.figures["days_late"] == days_late[i]
        assert alert.subject == (deal.name if i % 2 else t.customer.name)
