"""The navigation's open-alert count against the Alerts list on the small demo (SQLite and
PostgreSQL): the count equals the unlimited list's length for a director, a manager and a rep,
also after acknowledging and snoozing, and so does each rule's count; a limited list keeps the
largest deals first and only keys the unlimited list has; one rule's count checked by raw SQL."""

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import bindparam, delete, select, text

from core.org.access import load_actor
from core.org.regions import load_region_tree
from core.performance import alerts
from core.performance.alert_pace import measure_pace_alerts, rep_alerts
from core.performance.alert_settings import thresholds
from core.pipeline.pricing import company_currency
from core.progress import figures
from db.schema import Deal, Person, PlanBudgetRate
from tests.conftest import SEED_TODAY

TODAY = SEED_TODAY


def _actor(session, **where):
    query = select(Person.id).where(*(getattr(Person, k) == v for k, v in where.items()))
    return load_actor(session, session.scalar(query.order_by(Person.id)))


def _people(session):
    director = _actor(session, role="director", active=True)
    manager = _actor(session, role="manager", active=True)
    # a rep with alerts of her own, so the rep's case is not an empty one
    everything = alerts.current_alerts(session, director, today=TODAY, limit_per_rule=None)
    owners = sorted({a.owner_id for a in everything if a.subject_type in ("deal", "customer")})
    rep_id = session.scalar(
        select(Person.id).where(Person.role == "rep", Person.id.in_(owners)).order_by(Person.id)
    )
    return {"director": director, "manager": manager, "rep": load_actor(session, rep_id)}


def _unlimited(session, actor):
    return alerts.current_alerts(session, actor, today=TODAY, limit_per_rule=None)


@pytest.mark.parametrize("who", ["director", "manager", "rep"])
def test_the_count_is_the_length_of_the_unlimited_list(session, who):
    actor = _people(session)[who]
    listed = _unlimited(session, actor)
    assert listed, f"the demo gives the {who} alerts"
    assert alerts.open_alert_count(session, actor, today=TODAY) == len(listed)


@pytest.mark.parametrize("who", ["director", "manager", "rep"])
def test_acknowledged_and_snoozed_alerts_leave_the_count_as_they_leave_the_list(session, who):
    actor = _people(session)[who]
    listed = _unlimited(session, actor)
    before = alerts.open_alert_count(session, actor, today=TODAY)
    # one of each of the first rules listed, then some more
    by_rule: dict[str, str] = {}
    for alert in listed:
        by_rule.setdefault(alert.rule, alert.key)
    picked = list(by_rule.values())[:4] + [a.key for a in listed[-2:]]
    picked = list(dict.fromkeys(picked))
    acknowledged, snoozed = picked[::2], picked[1::2]
    alerts.acknowledge(session, actor, acknowledged)
    if snoozed:
        alerts.snooze(session, actor, snoozed, TODAY + timedelta(days=5), today=TODAY)
    # a key of a fact that is gone (a deal that never existed) changes nothing
    alerts.acknowledge(session, actor, ["overdue_close:deal:999999999:2000-01-01"])
    after = _unlimited(session, actor)
    assert len(after) == len(listed) - len(picked)
    assert alerts.open_alert_count(session, actor, today=TODAY) == before - len(picked)
    assert alerts.open_alert_count(session, actor, today=TODAY) == len(after)
    # once the snooze is over, the snoozed ones count again
    later = TODAY + timedelta(days=6)
    assert alerts.open_alert_count(session, actor, today=later) == len(
        _unlimited_on(session, actor, later)
    )
    alerts.reopen(session, actor, picked)
    assert alerts.open_alert_count(session, actor, today=TODAY) == before


def _unlimited_on(session, actor, day):
    return alerts.current_alerts(session, actor, today=day, limit_per_rule=None)


def _amounts(session, deal_ids) -> dict[int, Decimal | None]:
    rows = session.execute(
        text("SELECT id, company_amount FROM deal WHERE id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        ),
        {"ids": list(deal_ids)},
    ).all()
    return {i: (None if a is None else Decimal(str(a))) for i, a in rows}


@pytest.mark.parametrize("rule", ["stalled_deal", "missing_role"])
def test_a_limited_list_holds_the_largest_deals_first(session, rule):
    director = _people(session)["director"]
    everything = [a for a in _unlimited(session, director) if a.rule == rule]
    limit = 3
    limited = [
        a
        for a in alerts.current_alerts(session, director, today=TODAY, limit_per_rule=limit)
        if a.rule == rule
    ]
    assert len(everything) > limit, "the demo has more of these than the limit"
    assert {a.key for a in limited} <= {a.key for a in everything}
    amounts = _amounts(session, {a.subject_id for a in everything})

    def size(alert):  # largest first, then by id; the deals not priced last
        amount = amounts[alert.subject_id]
        return (amount is None, -(amount or 0), alert.subject_id)

    if rule == "stalled_deal":
        expected = sorted(everything, key=size)[:limit]
        assert [a.key for a in limited] == [a.key for a in expected]
    else:  # the limit is per stage: each stage's largest
        stages = {a.figures["stage"] for a in everything}
        for stage in stages:
            of_stage = [a for a in everything if a.figures["stage"] == stage]
            mine = [a.key for a in limited if a.figures["stage"] == stage]
            assert mine == [a.key for a in sorted(of_stage, key=size)[:limit]]


def test_the_overdue_close_count_matches_a_raw_sql_count(session):
    director = _people(session)["director"]
    # the demo's open deals close ahead: two of them slip into the past
    session.execute(
        text(
            "UPDATE deal SET expected_close = :day WHERE id IN"
            " (SELECT id FROM deal WHERE status = 'open' ORDER BY id LIMIT 2)"
        ),
        {"day": TODAY - timedelta(days=3)},
    )
    raw = session.execute(
        text("SELECT COUNT(*) FROM deal WHERE status = 'open' AND expected_close < :today"),
        {"today": TODAY},
    ).scalar_one()
    assert raw > 0, "the demo has overdue deals"
    assert alerts.rule_counts(session, director, today=TODAY)["overdue_close"] == raw
    listed = [a for a in _unlimited(session, director) if a.rule == "overdue_close"]
    assert len(listed) == raw


def test_the_neglected_customer_count_matches_a_raw_sql_count(session):
    manager = _people(session)["manager"]
    since = TODAY - timedelta(days=alerts.thresholds(session).neglected_days)
    regions = sorted(manager.scope_region_ids or ())
    raw = session.execute(
        text(
            "SELECT COUNT(*) FROM customer WHERE status = 'active' AND owner_id IS NOT NULL"
            " AND (last_activity_on IS NULL OR last_activity_on < :since)"
            " AND region_id IN :regions"
        ).bindparams(bindparam("regions", expanding=True)),
        {"since": since, "regions": regions},
    ).scalar_one()
    assert raw > 0, "the demo has neglected customers in the manager's region"
    assert alerts.rule_counts(session, manager, today=TODAY)["neglected_customer"] == raw


@pytest.mark.parametrize("who", ["director", "manager", "rep"])
def test_each_rule_counts_the_length_of_its_unlimited_list(session, who):
    actor = _people(session)[who]
    listed = alerts.current_alerts(
        session, actor, today=TODAY, include_hidden=True, limit_per_rule=None
    )
    lengths = Counter(alert.rule for alert in listed)
    counted = alerts.rule_counts(session, actor, today=TODAY)
    assert set(counted) == set(alerts.RULES)
    assert counted == {rule: lengths.get(rule, 0) for rule in alerts.RULES}
    assert counted["behind_pace"] + counted["low_coverage"] > 0, "the demo has reps' alerts"


def test_the_reps_rules_count_nothing_behind_pace_early_in_the_quarter(session):
    # two days into the fiscal quarter: no series is behind pace yet; coverage still counts
    director = _people(session)["director"]
    start = alerts.alerts_period(session, TODAY).start
    early = start + timedelta(days=1)
    counted = alerts.rule_counts(session, director, today=early)
    listed = Counter(a.rule for a in _unlimited_on(session, director, early))
    assert counted["behind_pace"] == listed.get("behind_pace", 0) == 0
    assert counted["low_coverage"] == listed.get("low_coverage", 0)


def _manager_selling_in(session, currencies):
    """The first manager whose regions have open deals in one of `currencies` (the first
    manager's region may sell in the company currency only)."""
    for manager_id in session.scalars(
        select(Person.id).where(Person.role == "manager", Person.active).order_by(Person.id)
    ):
        manager = load_actor(session, manager_id)
        foreign = select(Deal.id).where(
            Deal.status == "open",
            Deal.currency.in_(currencies),
            Deal.region_id.in_(manager.scope_region_ids),
        )
        if session.scalar(foreign.limit(1)) is not None:
            return manager
    raise AssertionError("some manager's regions sell in another currency")


@pytest.mark.parametrize("who", ["director", "manager"])
def test_the_reps_rules_count_their_lists_when_the_plan_fixes_budget_rates(session, who):
    # budget rates convert the reps' won and open deals differently: the counts follow them
    period = alerts.alerts_period(session, TODAY)
    plan_id = figures.active_plan_id(session, period.fiscal_year)
    currencies = session.scalars(
        select(Deal.currency).where(Deal.status == "open").group_by(Deal.currency)
    ).all()
    rates = [code for code in currencies if code != company_currency(session)]
    assert plan_id is not None and rates, "the demo sells in more than one currency"
    actor = (
        _people(session)["director"] if who == "director" else _manager_selling_in(session, rates)
    )
    before = alerts.rule_counts(session, actor, today=TODAY)
    changed = False
    # the service refuses to change an approved plan's rates: the rows are written directly;
    # a very high and a very low rate, so that some rep's figures move whatever today is
    for rate in (Decimal(1000), Decimal("0.001")):
        session.add_all(PlanBudgetRate(plan_id=plan_id, currency=c, rate=rate) for c in rates)
        session.flush()
        assert figures.budget_rates(session, period)
        counted = alerts.rule_counts(session, actor, today=TODAY)
        listed = Counter(a.rule for a in _unlimited(session, actor))
        for rule in ("behind_pace", "low_coverage"):
            assert counted[rule] == listed.get(rule, 0), (rate, rule)
        changed |= (counted["behind_pace"], counted["low_coverage"]) != (
            before["behind_pace"],
            before["low_coverage"],
        )
        session.execute(delete(PlanBudgetRate).where(PlanBudgetRate.plan_id == plan_id))
        session.flush()
    # a manager's regions may hold a single small foreign deal whose rep the rules raise or
    # not whatever its rate: the counts then follow the lists through the budget-rate branch;
    # the director's reps prove the rates reach the rules
    assert changed or who == "manager", "the rates change some rep's figures"


@pytest.mark.parametrize("who", ["director", "manager", "rep"])
def test_a_list_of_some_severities_is_the_full_list_filtered(session, who):
    """Skipping the rules that cannot raise a severity changes nothing: every rule function
    raises only the severities RULE_SEVERITIES declares for it."""
    from core.performance.alert_rules import RULE_FUNCTIONS, RULE_SEVERITIES

    actor = _people(session)[who]
    every = _unlimited(session, actor)
    assert {a.severity for a in every} == {"high", "medium", "low"} or who != "director"
    for severity in ("high", "medium", "low"):
        some = alerts.current_alerts(
            session, actor, today=TODAY, limit_per_rule=None, severities={severity}
        )
        assert [a.key for a in some] == [a.key for a in every if a.severity == severity]
    assert set(RULE_SEVERITIES) == set(RULE_FUNCTIONS)


@pytest.mark.parametrize("rule", [rep_alerts, measure_pace_alerts])
@pytest.mark.parametrize("limit", [1, 3])
def test_a_limited_pace_list_is_the_head_of_the_unlimited_one(session, rule, limit):
    """The pace rules read the raised reps' rows `limit` at a time and stop once they have
    enough: the alerts are the first ones of the unlimited list, in its order."""
    director = _people(session)["director"]
    limits, names = thresholds(session), load_region_tree(session).names
    unlimited = [a.key for a in rule(session, director, TODAY, limits, names, None)]
    assert len(unlimited) > limit, "the demo raises more pace alerts than the limit"
    limited = [a.key for a in rule(session, director, TODAY, limits, names, limit)]
    assert limited == unlimited[:limit]
