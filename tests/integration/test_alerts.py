"""Each alert rule on hand-built cases in a fresh region: one case that must fire and one that
must not. Then who sees which alerts, acknowledge/snooze, thresholds and bad input."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.errors import PermissionDenied, ValidationFailed
from core.performance import alerts
from db.schema import AlertState, AppSetting, Person
from tests import factories
from tests import performance_factories as pf

TODAY = date(2030, 5, 20)  # 2030Q2: 50 of 91 days gone; May 20 of 31 days
FAR = TODAY + timedelta(days=120)


@pytest.fixture
def area(session):
    """A region with a manager and two reps, an approved FY2030 plan, and one customer each."""
    region = factories.region(session)
    manager = factories.person(session, "manager", region, manages=[region])
    slow = factories.person(session, "rep", region)
    fast = factories.person(session, "rep", region)
    plan = pf.approved_plan(session, 2030)
    for rep in (slow, fast):
        for month, amount in ((4, 3000), (5, 3100), (6, 3000)):
            pf.rep_target(session, plan, rep, date(2030, month, 1), amount)
    return {
        "region": region,
        "manager": manager,
        "slow": slow,
        "fast": fast,
        "slow_customer": factories.customer(session, slow, region),
        "fast_customer": factories.customer(session, fast, region),
    }


def _alerts(session, who, rule):
    actor = factories.actor(session, who)
    return [a for a in alerts.current_alerts(session, actor, today=TODAY) if a.rule == rule]


def _subjects(found):
    return {a.subject_id for a in found}


def test_behind_pace_fires_below_eighty_percent_of_expected_to_date(session, area):
    slow, fast = area["slow"], area["fast"]
    # expected to date: April 3,000 + May 3,100 x 20/31 = 5,000
    pf.deal(
        session,
        slow,
        area["slow_customer"],
        amount=1000,
        status="won",
        created_on=date(2030, 3, 1),
        closed_on=date(2030, 4, 10),
    )
    pf.deal(
        session,
        fast,
        area["fast_customer"],
        amount=4500,
        status="won",
        created_on=date(2030, 3, 1),
        closed_on=date(2030, 5, 2),
    )
    found = _alerts(session, area["manager"], "behind_pace")
    assert _subjects(found) == {slow.id}
    alert = found[0]
    assert alert.figures["expected_to_date"] == "5000.00"
    assert alert.figures["won_to_date"] == "1000.00"
    assert alert.figures["pace"] == 0.2
    assert alert.owner == slow.name
    assert "pace 20%" in alert.message


def test_behind_pace_stays_quiet_early_in_the_quarter(session, area):
    early = date(2030, 4, 10)  # 10 of 91 days: below the 25 % threshold
    actor = factories.actor(session, area["manager"])
    found = alerts.current_alerts(session, actor, today=early)
    assert not [a for a in found if a.rule == "behind_pace"]


def test_low_coverage_fires_when_pipeline_is_below_twice_the_remaining_gap(session, area):
    slow, fast = area["slow"], area["fast"]
    # slow: gap 9,100, pipeline 5,000 -> 0.55 x; fast: gap 4,600, pipeline 10,000 -> 2.17 x
    pf.deal(
        session,
        fast,
        area["fast_customer"],
        amount=4500,
        status="won",
        created_on=date(2030, 3, 1),
        closed_on=date(2030, 5, 2),
    )
    pf.deal(
        session,
        slow,
        area["slow_customer"],
        amount=5000,
        created_on=date(2030, 5, 1),
        expected_close=date(2030, 6, 10),
    )
    pf.deal(
        session,
        fast,
        area["fast_customer"],
        amount=10000,
        created_on=date(2030, 5, 1),
        expected_close=date(2030, 6, 10),
    )
    pf.deal(
        session,
        slow,
        area["slow_customer"],
        amount=90000,
        created_on=date(2030, 5, 1),
        expected_close=date(2030, 7, 10),
    )  # after the quarter: does not count
    found = _alerts(session, area["manager"], "low_coverage")
    assert _subjects(found) == {slow.id}
    assert found[0].figures["remaining_gap"] == "9100.00"
    assert found[0].figures["open_pipeline"] == "5000.00"
    assert found[0].figures["coverage"] == 0.55


def test_a_deal_longer_in_its_stage_than_allowed_or_quiet_for_long_is_stalled(session, area):
    rep, customer = area["slow"], area["slow_customer"]
    common = dict(stage="Qualified", created_on=TODAY - timedelta(days=60), expected_close=FAR)
    too_long = pf.deal(
        session, rep, customer, stage_entered_on=TODAY - timedelta(days=40), **common
    )  # Qualified allows 30 days
    pf.activity(session, rep, customer, TODAY - timedelta(days=2), deal=too_long)
    quiet = pf.deal(
        session, rep, customer, stage_entered_on=TODAY - timedelta(days=10), **common
    )  # no activity at all for 60 days
    healthy = pf.deal(session, rep, customer, stage_entered_on=TODAY - timedelta(days=10), **common)
    pf.activity(session, rep, customer, TODAY - timedelta(days=5), deal=healthy)
    young = pf.deal(
        session,
        rep,
        customer,
        stage="Qualified",
        created_on=TODAY - timedelta(days=20),
        expected_close=FAR,
    )
    found = {a.subject_id: a for a in _alerts(session, area["manager"], "stalled_deal")}
    assert set(found) == {too_long.id, quiet.id}
    assert found[too_long.id].figures["days_in_stage"] == 40
    assert found[too_long.id].figures["max_days"] == 30
    assert "40 days in qualified (maximum 30)" in found[too_long.id].message.lower()
    assert "no activity logged" in found[quiet.id].message.lower()
    assert healthy.id not in found and young.id not in found


def test_a_big_stalled_deal_is_at_risk_and_a_small_one_is_not(session, area):
    rep, customer = area["slow"], area["slow_customer"]
    threshold = alerts.big_deal_threshold(session)
    common = dict(
        stage="Qualified",
        created_on=TODAY - timedelta(days=60),
        expected_close=FAR,
        stage_entered_on=TODAY - timedelta(days=45),
    )
    big = pf.deal(session, rep, customer, amount=threshold * 3, **common)
    small = pf.deal(session, rep, customer, amount=100, **common)
    healthy_big = pf.deal(
        session,
        rep,
        customer,
        amount=threshold * 3,
        stage="Qualified",
        created_on=TODAY - timedelta(days=5),
        expected_close=FAR,
    )
    at_risk = _alerts(session, area["manager"], "big_deal_at_risk")
    assert _subjects(at_risk) == {big.id}
    assert Decimal(at_risk[0].figures["top_decile_from"]) == alerts.big_deal_threshold(session)
    assert at_risk[0].severity == "high"
    stalled = _subjects(_alerts(session, area["manager"], "stalled_deal"))
    assert {big.id, small.id} <= stalled and healthy_big.id not in stalled


def test_the_big_deal_threshold_is_the_smallest_amount_of_the_top_tenth(session):
    from db.schema import Deal

    # in the company currency, over the open deals that are priced
    amounts = sorted(
        session.scalars(
            select(Deal.company_amount).where(
                Deal.status == "open", Deal.company_amount.is_not(None)
            )
        ),
        reverse=True,
    )
    top = amounts[: -(-len(amounts) // 10)]  # ceil(n / 10) largest
    assert alerts.big_deal_threshold(session) == top[-1]


def test_a_close_date_moved_twice_is_slipping_once_is_not(session, area):
    rep, customer = area["slow"], area["slow_customer"]
    common = dict(created_on=TODAY - timedelta(days=5), expected_close=FAR)
    twice = pf.deal(session, rep, customer, close_date_changes=2, **common)
    once = pf.deal(session, rep, customer, close_date_changes=1, **common)
    found = _alerts(session, area["manager"], "slipping_deal")
    assert _subjects(found) == {twice.id}
    assert found[0].figures["close_date_changes"] == 2
    assert once.id not in _subjects(found)


def test_an_open_deal_past_its_close_date_is_overdue_one_due_today_is_not(session, area):
    rep, customer = area["slow"], area["slow_customer"]
    late = pf.deal(
        session,
        rep,
        customer,
        created_on=TODAY - timedelta(days=5),
        expected_close=TODAY - timedelta(days=3),
    )
    due = pf.deal(
        session, rep, customer, created_on=TODAY - timedelta(days=5), expected_close=TODAY
    )
    pf.deal(
        session,
        rep,
        customer,
        status="won",
        created_on=TODAY - timedelta(days=50),
        closed_on=TODAY - timedelta(days=10),
    )  # closed deals are never overdue
    found = _alerts(session, area["manager"], "overdue_close")
    assert _subjects(found) == {late.id}
    assert found[0].figures["days_overdue"] == 3
    assert due.id not in _subjects(found)


def test_an_active_owned_customer_without_contact_for_long_is_neglected(session, area):
    rep, region = area["slow"], area["region"]
    neglected = factories.customer(session, rep, region)
    neglected.last_activity_on = TODAY - timedelta(days=91)
    never = factories.customer(session, rep, region)
    recent = factories.customer(session, rep, region)
    recent.last_activity_on = TODAY - timedelta(days=89)
    prospect = factories.customer(session, rep, region)
    prospect.status, prospect.last_activity_on = "prospect", TODAY - timedelta(days=400)
    orphan = factories.customer(session, rep, region)
    orphan.owner_id, orphan.last_activity_on = None, TODAY - timedelta(days=400)
    area["slow_customer"].last_activity_on = TODAY
    area["fast_customer"].last_activity_on = TODAY
    session.flush()
    found = {a.subject_id: a for a in _alerts(session, area["manager"], "neglected_customer")}
    assert set(found) == {neglected.id, never.id}
    assert found[neglected.id].figures["days"] == 91
    assert found[neglected.id].owner == rep.name


def test_a_deal_without_the_role_its_stage_requires_is_flagged(session, area):
    rep, customer = area["slow"], area["slow_customer"]
    common = dict(created_on=TODAY - timedelta(days=5), expected_close=FAR)
    lacking = pf.deal(session, rep, customer, stage="Negotiation", **common)
    pf.team_member(session, lacking, area["manager"], "finance")  # legal is missing
    staffed = pf.deal(session, rep, customer, stage="Technical exchange", **common)
    pf.team_member(session, staffed, area["fast"], "pre-sales engineer")
    found = _alerts(session, area["manager"], "missing_role")
    assert _subjects(found) == {lacking.id}
    assert found[0].figures["missing"] == ["legal"]
    assert "missing: legal" in found[0].message


def test_each_role_sees_only_its_own_area(session, area):
    slow, fast = area["slow"], area["fast"]
    mine = pf.deal(
        session,
        slow,
        area["slow_customer"],
        created_on=TODAY - timedelta(days=5),
        expected_close=TODAY - timedelta(days=1),
    )
    theirs = pf.deal(
        session,
        fast,
        area["fast_customer"],
        created_on=TODAY - timedelta(days=5),
        expected_close=TODAY - timedelta(days=1),
    )
    assert _subjects(_alerts(session, slow, "overdue_close")) == {mine.id}
    assert _subjects(_alerts(session, area["manager"], "overdue_close")) == {mine.id, theirs.id}
    other_manager = session.scalar(select(Person).where(Person.username == "manager"))
    assert not {mine.id, theirs.id} & _subjects(_alerts(session, other_manager, "overdue_close"))
    director = session.scalar(select(Person).where(Person.username == "director"))
    assert {mine.id, theirs.id} <= _subjects(_alerts(session, director, "overdue_close"))


def test_acknowledged_and_snoozed_alerts_leave_only_that_persons_open_list(session, area):
    slow = area["slow"]
    late = pf.deal(
        session,
        slow,
        area["slow_customer"],
        created_on=TODAY - timedelta(days=5),
        expected_close=TODAY - timedelta(days=1),
    )
    slipping = pf.deal(
        session,
        slow,
        area["slow_customer"],
        created_on=TODAY - timedelta(days=5),
        expected_close=FAR,
        close_date_changes=3,
    )
    manager = factories.actor(session, area["manager"])
    late_key = _alerts(session, area["manager"], "overdue_close")[0].key
    slip_key = next(
        a.key
        for a in _alerts(session, area["manager"], "slipping_deal")
        if a.subject_id == slipping.id
    )
    before = alerts.open_alert_count(session, manager, today=TODAY)
    assert alerts.acknowledge(session, manager, [late_key]) == 1
    assert alerts.snooze(session, manager, [slip_key], TODAY + timedelta(days=7), today=TODAY) == 1
    assert alerts.open_alert_count(session, manager, today=TODAY) == before - 2
    everything = {
        a.key: a for a in alerts.current_alerts(session, manager, today=TODAY, include_hidden=True)
    }
    assert everything[late_key].state == "acknowledged"
    assert everything[slip_key].state == "snoozed"
    # the snooze ends: the alert is back
    later = TODAY + timedelta(days=8)
    assert slip_key in {a.key for a in alerts.current_alerts(session, manager, today=later)}
    # the rep still sees both
    assert {late.id} == _subjects(_alerts(session, slow, "overdue_close"))
    alerts.reopen(session, manager, [late_key])
    assert late_key in {a.key for a in alerts.current_alerts(session, manager, today=TODAY)}


@pytest.mark.parametrize(
    ("keys", "until", "message"),
    [
        ([], TODAY + timedelta(days=3), "at least one"),
        (["nonsense:1"], TODAY + timedelta(days=3), "is not an alert"),
        (["overdue_close:deal:1:2030-01-01"], TODAY, "after today"),
        (["overdue_close:deal:1:2030-01-01"], TODAY + timedelta(days=91), "at most 90 days"),
    ],
)
def test_bad_snoozes_are_refused_and_change_nothing(session, area, keys, until, message):
    manager = factories.actor(session, area["manager"])
    count = session.scalar(select(func.count()).select_from(AlertState))
    with pytest.raises(ValidationFailed, match=message):
        alerts.snooze(session, manager, keys, until, today=TODAY)
    assert session.scalar(select(func.count()).select_from(AlertState)) == count


def test_admins_change_thresholds_and_the_rules_follow(session, area):
    rep, region = area["slow"], area["region"]
    customer = factories.customer(session, rep, region)
    customer.last_activity_on = TODAY - timedelta(days=120)
    session.flush()
    assert customer.id in _subjects(_alerts(session, rep, "neglected_customer"))
    admin = factories.actor(
        session, session.scalar(select(Person).where(Person.username == "admin"))
    )
    alerts.set_thresholds(session, admin, {"neglected_days": 150})
    assert alerts.thresholds(session).neglected_days == 150
    assert customer.id not in _subjects(_alerts(session, rep, "neglected_customer"))


def test_bad_thresholds_and_non_admins_are_refused_and_nothing_changes(session, area):
    admin = factories.actor(
        session, session.scalar(select(Person).where(Person.username == "admin"))
    )
    before = session.get(AppSetting, alerts.SETTING)
    before_value = None if before is None else dict(before.value)
    with pytest.raises(ValidationFailed, match="neglected_days"):
        alerts.set_thresholds(session, admin, {"neglected_days": -5})
    with pytest.raises(PermissionDenied):
        alerts.set_thresholds(
            session, factories.actor(session, area["manager"]), {"slipping_changes": 3}
        )
    after = session.get(AppSetting, alerts.SETTING)
    assert (None if after is None else dict(after.value)) == before_value
