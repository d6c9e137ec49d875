"""Scope on every read: a shared customer's page shows the deals and activities of others as
existence only (owner, stage, expected close) unless the viewer's scope covers them. Each read
service is checked against a table of who may see what. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest

from core import customers
from core.errors import PermissionDenied
from core.pipeline import activities
from core.pipeline.activities import ActivityCreate
from db.schema import Customer, Deal, Person
from tests import customer_factories as cf
from tests import factories as f

TODAY = date(2026, 6, 15)
AMOUNTS = {"own": Decimal("100.00"), "colleague": Decimal("200.00"), "far": Decimal("400.00")}
DEAL_OWNER = {"own": "rep1", "colleague": "rep2", "far": "rep3"}


@dataclass
class SharedCustomer:
    """A customer of rep1 (region A) on which rep2 (A) and rep3 (region B) also have deals."""

    people: dict[str, Person]
    customer: Customer
    deals: dict[str, Deal]
    notes: dict[str, str]


def _shared_customer(session) -> SharedCustomer:
    a, b = f.region(session, "Scope A"), f.region(session, "Scope B")
    people = {
        "rep1": f.person(session, "rep", a),
        "rep2": f.person(session, "rep", a),
        "rep3": f.person(session, "rep", b),
        "manager_a": f.person(session, "manager", a, manages=[a]),
        "manager_b": f.person(session, "manager", b, manages=[b]),
        "director": f.person(session, "director"),
    }
    customer = f.customer(session, people["rep1"], a, "Shared Scope Works")
    deals = {
        "own": f.deal(session, people["rep1"], customer, amount=AMOUNTS["own"]),
        "colleague": f.deal(session, people["rep2"], customer, amount=AMOUNTS["colleague"]),
        "far": f.deal(
            session,
            people["rep3"],
            customer,
            amount=AMOUNTS["far"],
            stage_name="Evaluation",
            expected_close=date(2026, 11, 30),
        ),
    }
    notes = {}
    for who in ("rep1", "rep3"):
        visit = cf.activity(session, people[who], customer, on=date(2026, 6, 1))
        visit.notes = notes[who] = f"Secret note of {who}"
        visit.outcome = f"Outcome of {who}"
    cf.stage_change(
        session, deals["far"], deals["far"].stage_id, at=datetime(2026, 5, 2, 9), who=people["rep3"]
    )
    session.flush()
    return SharedCustomer(people, customer, deals, notes)


# viewer -> (deals whose amounts they see, whose activity notes they see, may log a visit)
SCOPE = {
    "rep1": ({"own"}, {"rep1"}, True),
    "rep2": ({"colleague"}, set(), False),
    "rep3": ({"far"}, {"rep3"}, False),
    "manager_a": ({"own", "colleague"}, {"rep1"}, True),
    "manager_b": ({"far"}, {"rep3"}, False),
    "director": ({"own", "colleague", "far"}, {"rep1", "rep3"}, True),
}


@pytest.mark.parametrize("viewer", list(SCOPE))
def test_each_read_of_a_shared_customer_returns_only_what_the_scope_allows(session, viewer):
    world = _shared_customer(session)
    shown_deals, shown_notes, may_log = SCOPE[viewer]
    hidden_deals = set(world.deals) - shown_deals
    actor = f.actor(session, world.people[viewer])

    # the summary: amounts of the deals in scope, every deal counted
    detail = customers.customer_detail(session, actor, world.customer.id)
    summary = detail.summary
    assert summary.open_pipeline == sum((AMOUNTS[d] for d in shown_deals), Decimal(0))
    assert summary.open_deals == 3 and summary.deals_not_shown == len(hidden_deals)

    # the timeline: deals in scope with name and amount, the others as existence only
    timeline = customers.customer_timeline(session, actor, world.customer.id)
    text = " ".join(timeline["what"])
    for key in shown_deals:
        row = timeline[timeline["what"].str.startswith(world.deals[key].name)].iloc[0]
        assert Decimal(row["amount"]) == AMOUNTS[key] and not row["amount_hidden"]
    for key in hidden_deals:
        deal, owner = world.deals[key], world.people[DEAL_OWNER[key]]
        assert deal.name not in text
        rows = timeline[timeline["what"].str.startswith(f"A deal of {owner.name}")]
        assert len(rows) >= 1 and rows["amount_hidden"].all() and rows["amount"].isna().all()
        assert f"expected close {deal.expected_close.isoformat()}" in " ".join(rows["what"])
    amounts = {Decimal(a) for a in timeline["amount"].dropna()}
    assert amounts <= {AMOUNTS[d] for d in shown_deals}
    for who, note in world.notes.items():
        assert (note in text) == (who in shown_notes)
        assert (f"Outcome of {who}" in text) == (who in shown_notes)
    assert (timeline["kind"] == "Activity").sum() == 2  # every visit exists for everyone

    # the customer's activity list
    listed = activities.recent_activities(session, actor, customer_id=world.customer.id)
    assert {n for n in listed["notes"].dropna()} == {world.notes[w] for w in shown_notes}

    # "log a visit" is offered exactly where the service accepts it
    assert detail.can_log_activity is may_log
    savepoint = session.begin_nested()
    visit = ActivityCreate(type="visit", occurred_on=TODAY, customer_id=world.customer.id)
    try:
        activities.log_activity(session, actor, visit, today=TODAY)
        accepted = True
    except PermissionDenied:
        accepted = False
    finally:
        savepoint.rollback()
    assert accepted is may_log


def test_a_deactivated_viewer_is_not_offered_to_log_a_visit(session):
    world = _shared_customer(session)
    owner = f.actor(session, world.people["rep1"]).model_copy(update={"active": False})
    detail = customers.customer_detail(session, owner, world.customer.id)
    assert detail.can_log_activity is False
