"""One stage model: the flags on My deals, the pipeline table and the deal page (stalled,
overdue, slipping, next stage is won) agree with each other and with the alerts, and the
slipping threshold is the one setting the administrator edits. SQLite and PostgreSQL."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core.performance import alerts
from core.pipeline import views
from core.pipeline.flags import slipping_threshold
from db.schema import AppSetting, Person, Stage
from tests import factories
from tests import performance_factories as pf

TODAY = date(2030, 5, 20)
FAR = TODAY + timedelta(days=120)


@pytest.fixture
def rep_area(session):
    """A fresh region with one rep and one customer of theirs."""
    region = factories.region(session)
    rep = factories.person(session, "rep", region)
    return {"rep": rep, "customer": factories.customer(session, rep, region)}


def _admin(session):
    return factories.actor(
        session, session.scalar(select(Person).where(Person.username == "admin"))
    )


def _alerted(session, who, rule) -> set[int]:
    found = alerts.current_alerts(session, factories.actor(session, who), today=TODAY)
    return {a.subject_id for a in found if a.rule == rule}


def _my_flags(session, who, flag) -> dict[int, bool]:
    frame = views.my_open_deals(session, factories.actor(session, who), today=TODAY)
    return {int(i): bool(v) for i, v in zip(frame["id"], frame[flag])}


def _table_flags(session, who, flag) -> dict[int, bool]:
    frame = views.pipeline_deals(
        session, factories.actor(session, who), views.PipelineFilter(), today=TODAY
    )
    return {int(i): bool(v) for i, v in zip(frame["id"], frame[flag])}


def _young_deal(session, area, **kw):
    """An open deal created recently with an activity yesterday: never 'quiet' for the alerts."""
    record = pf.deal(
        session, area["rep"], area["customer"], created_on=TODAY - timedelta(days=3), **kw
    )
    pf.activity(session, area["rep"], area["customer"], TODAY - timedelta(days=1), deal=record)
    return record


def test_the_slipping_threshold_set_by_the_admin_is_used_by_my_deals_alerts_and_the_deal(
    session, rep_area
):
    rep = rep_area["rep"]
    twice = _young_deal(session, rep_area, expected_close=FAR, close_date_changes=2)
    thrice = _young_deal(session, rep_area, expected_close=FAR, close_date_changes=3)
    once = _young_deal(session, rep_area, expected_close=FAR, close_date_changes=1)
    actor = factories.actor(session, rep)

    # the default: moved twice is slipping everywhere
    assert slipping_threshold(session) == 2
    assert _alerted(session, rep, "slipping_deal") == {twice.id, thrice.id}
    assert _my_flags(session, rep, "slipping") == {twice.id: True, thrice.id: True, once.id: False}

    alerts.set_thresholds(session, _admin(session), {"slipping_changes": 3})
    assert slipping_threshold(session) == 3
    assert _alerted(session, rep, "slipping_deal") == {thrice.id}
    assert _my_flags(session, rep, "slipping") == {
        twice.id: False,
        thrice.id: True,
        once.id: False,
    }
    assert _table_flags(session, rep, "slipping") == _my_flags(session, rep, "slipping")
    assert not views.deal_detail(session, actor, twice.id, today=TODAY).slipping
    assert views.deal_detail(session, actor, thrice.id, today=TODAY).slipping


def test_a_broken_stored_threshold_falls_back_to_the_default(session):
    row = session.get(AppSetting, alerts.SETTING)
    if row is None:
        session.add(AppSetting(key=alerts.SETTING, value={"slipping_changes": "many"}))
    else:
        row.value = {**dict(row.value), "slipping_changes": "many"}
    session.flush()
    assert slipping_threshold(session) == 2


def test_only_a_deal_in_the_last_open_stage_has_won_as_its_next_stage(session, rep_area):
    rep = rep_area["rep"]
    actor = factories.actor(session, rep)
    negotiation = _young_deal(session, rep_area, stage="Negotiation", expected_close=FAR)
    evaluation = _young_deal(session, rep_area, stage="Evaluation", expected_close=FAR)
    lead = _young_deal(session, rep_area, stage="Lead", expected_close=FAR)

    detail = views.deal_detail(session, actor, negotiation.id, today=TODAY)
    assert detail.next_stage == "Won" and detail.next_is_won
    assert not views.deal_detail(session, actor, evaluation.id, today=TODAY).next_is_won
    expected = {negotiation.id: True, evaluation.id: False, lead.id: False}
    assert _my_flags(session, rep, "next_is_won") == expected
    assert _table_flags(session, rep, "next_is_won") == expected


def test_stalled_and_overdue_flags_agree_with_the_alerts_for_the_same_deals(session, rep_area):
    rep = rep_area["rep"]
    actor = factories.actor(session, rep)
    lead = session.scalar(select(Stage).where(Stage.name == "Lead"))
    qualified = session.scalar(select(Stage).where(Stage.name == "Qualified"))
    lead.max_days, qualified.max_days = 10, None
    session.flush()
    long_in_lead = _young_deal(
        session, rep_area, stage="Lead", stage_entered_on=TODAY - timedelta(days=11),
        expected_close=FAR,
    )  # fmt: skip
    just_in_time = _young_deal(
        session, rep_area, stage="Lead", stage_entered_on=TODAY - timedelta(days=10),
        expected_close=FAR,
    )  # fmt: skip
    no_limit = _young_deal(
        session, rep_area, stage="Qualified", stage_entered_on=TODAY - timedelta(days=300),
        expected_close=FAR,
    )  # fmt: skip
    late = _young_deal(
        session, rep_area, stage="Qualified", stage_entered_on=TODAY - timedelta(days=1),
        expected_close=TODAY - timedelta(days=1),
    )  # fmt: skip
    due_today = _young_deal(
        session, rep_area, stage="Qualified", stage_entered_on=TODAY - timedelta(days=1),
        expected_close=TODAY,
    )  # fmt: skip
    ids = [long_in_lead.id, just_in_time.id, no_limit.id, late.id, due_today.id]

    stalled = {long_in_lead.id}
    overdue = {late.id}
    assert _alerted(session, rep, "stalled_deal") == stalled
    assert _alerted(session, rep, "overdue_close") == overdue
    for flag, expected in (("stalled", stalled), ("overdue", overdue)):
        by_id = {i: i in expected for i in ids}
        assert _my_flags(session, rep, flag) == by_id, flag
        assert _table_flags(session, rep, flag) == by_id, flag
        assert {
            i: getattr(views.deal_detail(session, actor, i, today=TODAY), flag) for i in ids
        } == by_id, flag
    frame = views.my_open_deals(session, actor, today=TODAY)
    days = {int(i): int(d) for i, d in zip(frame["id"], frame["days_in_stage"])}
    assert days == {long_in_lead.id: 11, just_in_time.id: 10, no_limit.id: 300, late.id: 1,
                    due_today.id: 1}  # fmt: skip
    assert views.deal_detail(session, actor, long_in_lead.id, today=TODAY).days_in_stage == 11


def test_closed_deals_are_never_stalled_overdue_or_slipping_in_the_table(session, rep_area):
    rep = rep_area["rep"]
    won = pf.deal(
        session, rep, rep_area["customer"], status="won", created_on=TODAY - timedelta(days=90),
        closed_on=TODAY - timedelta(days=60), close_date_changes=5,
    )  # fmt: skip
    filters = views.PipelineFilter(statuses=("won",), owner_id=rep.id)
    frame = views.pipeline_deals(session, factories.actor(session, rep), filters, today=TODAY)
    row = frame[frame["id"] == won.id].iloc[0]
    assert not (row["stalled"] or row["overdue"] or row["slipping"] or row["next_is_won"])
