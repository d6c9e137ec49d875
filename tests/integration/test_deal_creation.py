"""Deals created in the app: who may create for whom, validation, the starting stage's entry
rules, the warning before a second open deal, a deal for a new customer, copies and reopening
a lost deal. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from core.customers import LikelyDuplicate
from core.errors import PermissionDenied, ValidationFailed
from core.pipeline import creation, deals, views
from core.pipeline.creation import DealDraft
from db.schema import AuditLog, Customer, Deal, DealStageHistory, FollowUp, Person, Product
from tests import factories
from tests.pipeline_factories import lost_reason_id, stage, team

TODAY = date.today()
LATER = TODAY + timedelta(days=45)


def _draft(customer_id: int | None = None, **changes) -> DealDraft:
    values = {
        "customer_id": customer_id,
        "name": "Pilot for 40 seats",
        "amount": Decimal("12500.00"),
        "quantity": 40,
        "expected_close": LATER,
    }
    return DealDraft(**(values | changes))


def _deal_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Deal))


def _product(session, *, active: bool = True) -> Product:
    return session.scalar(select(Product).where(Product.active.is_(active)).order_by(Product.id))


def _audit(session, deal_id: int) -> list[AuditLog]:
    return list(
        session.scalars(
            select(AuditLog)
            .where(AuditLog.entity == "deal", AuditLog.entity_id == deal_id)
            .order_by(AuditLog.id)
        )
    )


def test_a_rep_creates_a_deal_for_herself_at_the_first_stage(session):
    t = team(session)
    rep = t.actor(session, t.rep)
    product = _product(session)
    result = creation.create_deal(session, rep, _draft(t.customer.id, product_id=product.id))
    assert result.warning is None and result.deal_id is not None
    deal = session.get(Deal, result.deal_id)
    assert (deal.owner_id, deal.region_id, deal.customer_id) == (
        t.rep.id,
        t.region.id,
        t.customer.id,
    )
    assert (deal.amount, deal.quantity, deal.product_id) == (Decimal("12500.00"), 40, product.id)
    assert (deal.status, deal.stage_id, deal.version) == ("open", stage(session, "Lead").id, 1)
    assert (deal.created_on, deal.stage_entered_on, deal.expected_close) == (TODAY, TODAY, LATER)
    assert deal.forecast_category == "pipeline"
    [entered] = session.scalars(select(DealStageHistory).where(DealStageHistory.deal_id == deal.id))
    assert (entered.from_stage_id, entered.to_stage_id, entered.changed_by_id) == (
        None,
        stage(session, "Lead").id,
        t.rep.id,
    )
    [entry] = _audit(session, deal.id)
    assert (entry.action, entry.actor_id) == ("deal.create", t.rep.id)
    assert entry.after["quantity"] == 40 and entry.after["owner_id"] == t.rep.id


def test_a_rep_cannot_create_a_deal_for_another_rep(session):
    t = team(session)
    before = _deal_count(session)
    with pytest.raises(PermissionDenied, match="only create deals for yourself"):
        creation.create_deal(
            session, t.actor(session, t.rep), _draft(t.customer.id, owner_id=t.other_rep.id)
        )
    assert _deal_count(session) == before


def test_a_manager_creates_for_a_rep_of_her_area_but_not_outside_it(session):
    t = team(session)
    manager = t.actor(session, t.manager)
    result = creation.create_deal(session, manager, _draft(t.customer.id, owner_id=t.rep.id))
    deal = session.get(Deal, result.deal_id)
    assert (deal.owner_id, deal.region_id) == (t.rep.id, t.region.id)
    assert _audit(session, deal.id)[0].actor_id == t.manager.id
    far = factories.region(session)
    far_rep = factories.person(session, "rep", far)
    before = _deal_count(session)
    with pytest.raises(PermissionDenied, match="outside the regions you manage"):
        creation.create_deal(session, manager, _draft(t.customer.id, owner_id=far_rep.id))
    assert _deal_count(session) == before
    assert far_rep.id not in {pid for pid, _ in creation.owner_choices(session, manager)}
    assert {t.rep.id, t.other_rep.id, t.manager.id} <= {
        pid for pid, _ in creation.owner_choices(session, manager)
    }
    director = factories.actor(
        session, session.scalar(select(Person).where(Person.username == "director"))
    )
    other = creation.create_deal(
        session, director, _draft(t.customer.id, owner_id=far_rep.id), confirm=True
    )
    assert session.get(Deal, other.deal_id).region_id == far.id


def test_bad_input_is_refused_and_nothing_is_written(session):
    t = team(session)
    rep = t.actor(session, t.rep)
    for bad in ({"amount": Decimal("-1")}, {"quantity": 0}, {"name": "  "}, {"customer_id": 0}):
        with pytest.raises(ValidationError):
            _draft(**({"customer_id": t.customer.id} | bad))
    before = _deal_count(session)
    refusals = [
        (_draft(t.customer.id, expected_close=TODAY - timedelta(days=1)), "cannot be before today"),
        (_draft(10**9), "no customer with id"),
        (_draft(None), "pick a customer"),
        (_draft(t.customer.id, product_id=10**9), "active product"),
        (_draft(t.customer.id, next_step_due=LATER), "give the next step"),
        (_draft(t.customer.id, stage_id=stage(session, "Won").id), "starts at an open stage"),
        (_draft(t.customer.id, stage_id=stage(session, "Lost").id), "starts at an open stage"),
    ]
    inactive = _product(session, active=False)
    if inactive is not None:
        refusals.append((_draft(t.customer.id, product_id=inactive.id), "active product"))
    for draft, message in refusals:
        with pytest.raises(ValidationFailed, match=f"(?i){message}"):
            creation.create_deal(session, rep, draft)
    assert _deal_count(session) == before


def test_a_later_starting_stage_needs_its_entry_rules(session):
    t = team(session)
    rep = t.actor(session, t.rep)
    qualified = stage(session, "Qualified")
    with pytest.raises(ValidationFailed, match="Exit checklist of Lead not ticked"):
        creation.create_deal(session, rep, _draft(t.customer.id, stage_id=qualified.id))
    done = ["Contact identified", "Need confirmed"]
    result = creation.create_deal(
        session, rep, _draft(t.customer.id, stage_id=qualified.id, checklist_done=done)
    )
    deal = session.get(Deal, result.deal_id)
    assert deal.stage_id == qualified.id and sorted(deal.checklist_done) == sorted(done)
    # Technical exchange needs a pre-sales engineer on the team, which a new deal has not
    every_item = done + ["Budget confirmed", "Decision maker known"]
    with pytest.raises(ValidationFailed, match="needs on the deal team: pre-sales engineer"):
        creation.create_deal(
            session,
            rep,
            _draft(
                t.other_customer.id,
                stage_id=stage(session, "Technical exchange").id,
                checklist_done=every_item,
            ),
        )


def test_a_second_open_deal_for_the_same_customer_and_product_asks_for_confirmation(session):
    t = team(session)
    rep = t.actor(session, t.rep)
    product, other_product = session.scalars(select(Product).order_by(Product.id).limit(2))
    first = creation.create_deal(session, rep, _draft(t.customer.id, product_id=product.id))
    before = _deal_count(session)
    warned = creation.create_deal(session, rep, _draft(t.customer.id, product_id=product.id))
    assert warned.deal_id is None and _deal_count(session) == before
    assert t.customer.name in warned.warning and product.name in warned.warning
    assert [d.id for d in warned.similar] == [first.deal_id]
    other = creation.create_deal(session, rep, _draft(t.customer.id, product_id=other_product.id))
    assert other.warning is None and other.deal_id is not None
    confirmed = creation.create_deal(
        session, rep, _draft(t.customer.id, product_id=product.id), confirm=True
    )
    assert confirmed.deal_id is not None
    assert _audit(session, confirmed.deal_id)[0].after["confirmed_besides_open_deals"] == [
        first.deal_id
    ]


def test_the_second_open_deal_warning_names_another_reps_deal_only_to_those_who_see_it(session):
    t = team(session)
    product = session.scalars(select(Product).order_by(Product.id).limit(1)).one()
    other_rep = t.actor(session, t.other_rep)
    theirs = creation.create_deal(
        session, other_rep, _draft(t.customer.id, product_id=product.id, name="Quiet expansion")
    )
    warned = creation.create_deal(
        session, t.actor(session, t.rep), _draft(t.customer.id, product_id=product.id)
    )
    assert warned.deal_id is None
    assert "Quiet expansion" not in warned.warning
    assert t.other_rep.name in warned.warning and product.name in warned.warning
    [similar] = warned.similar
    assert (similar.id, similar.name, similar.expected_close) == (theirs.deal_id, None, None)
    assert similar.owner == t.other_rep.name
    managed = creation.create_deal(
        session,
        t.actor(session, t.manager),
        _draft(t.customer.id, owner_id=t.rep.id, product_id=product.id),
    )
    assert "Quiet expansion" in managed.warning
    assert [d.name for d in managed.similar] == ["Quiet expansion"]


def test_the_next_step_with_a_due_date_becomes_the_deals_follow_up(session):
    t = team(session)
    manager = t.actor(session, t.manager)
    due = TODAY + timedelta(days=3)
    result = creation.create_deal(
        session,
        manager,
        _draft(t.customer.id, owner_id=t.rep.id, next_step="Call the buyer", next_step_due=due),
    )
    [follow_up] = session.scalars(select(FollowUp).where(FollowUp.deal_id == result.deal_id))
    assert (follow_up.title, follow_up.due_on, follow_up.owner_id) == (
        "Call the buyer",
        due,
        t.rep.id,
    )
    assert session.get(Deal, result.deal_id).next_step is None
    plain = creation.create_deal(
        session, t.actor(session, t.rep), _draft(t.other_customer.id, next_step="Send the offer")
    )
    assert session.get(Deal, plain.deal_id).next_step == "Send the offer"
    assert not session.scalars(select(FollowUp).where(FollowUp.deal_id == plain.deal_id)).all()


def test_a_deal_for_a_new_customer_goes_through_the_duplicate_check(session):
    t = team(session)
    rep = t.actor(session, t.rep)
    result = creation.create_deal_for_new_customer(session, rep, "Nordlicht Logistik", _draft(None))
    deal = session.get(Deal, result.deal_id)
    customer = session.get(Customer, deal.customer_id)
    assert (customer.name, customer.owner_id, customer.region_id) == (
        "Nordlicht Logistik",
        t.rep.id,
        t.region.id,
    )
    before = (_deal_count(session), session.scalar(select(func.count()).select_from(Customer)))
    with pytest.raises(LikelyDuplicate):
        creation.create_deal_for_new_customer(session, rep, "Nordlicht Logistic", _draft(None))
    with pytest.raises(LikelyDuplicate, match="already exists"):
        creation.create_deal_for_new_customer(
            session, rep, "Nordlicht Logistik GmbH", _draft(None), customer_confirmed=True
        )
    assert before == (
        _deal_count(session),
        session.scalar(select(func.count()).select_from(Customer)),
    )
    confirmed = creation.create_deal_for_new_customer(
        session, rep, "Nordlicht Logistic", _draft(None), customer_confirmed=True
    )
    assert confirmed.deal_id is not None
    with pytest.raises(PermissionDenied):
        creation.create_deal_for_new_customer(
            session, rep, "Someone Else's Co", _draft(None, owner_id=t.other_rep.id)
        )


def test_a_copy_is_a_new_open_deal_at_the_first_stage(session):
    t = team(session)
    rep = t.actor(session, t.rep)
    source = factories.deal(session, t.rep, t.customer, stage_name="Evaluation")
    source.quantity = 7
    source.product_id = _product(session).id
    source.expected_close = TODAY + timedelta(days=20)
    session.flush()
    warned = creation.clone_deal(session, rep, source.id)
    assert warned.deal_id is None and "already has an open deal" in warned.warning
    copy_id = creation.clone_deal(session, rep, source.id, confirm=True).deal_id
    copy = session.get(Deal, copy_id)
    assert (copy.customer_id, copy.product_id, copy.amount, copy.quantity) == (
        source.customer_id,
        source.product_id,
        source.amount,
        7,
    )
    assert (copy.stage_id, copy.status, copy.owner_id) == (
        stage(session, "Lead").id,
        "open",
        t.rep.id,
    )
    assert copy.expected_close == source.expected_close and copy.name.endswith("(copy)")
    [entry] = _audit(session, copy_id)
    assert entry.action == "deal.clone" and entry.after["cloned_from"] == source.id
    with pytest.raises(PermissionDenied):
        creation.clone_deal(session, t.actor(session, t.other_rep), source.id, confirm=True)


def _lose(session, t, deal):
    deals.move_deal(
        session,
        t.actor(session, t.rep),
        deal.id,
        deals.DealMove(
            to_stage_id=stage(session, "Lost").id,
            seen_version=deal.version,
            lost_reason_id=lost_reason_id(session, "Competitor"),
            lost_note="They chose the incumbent",
        ),
    )


def test_a_manager_reopens_a_lost_deal_at_the_stage_it_was_lost_from(session):
    t = team(session)
    deal = factories.deal(session, t.rep, t.customer, stage_name="Evaluation")
    _lose(session, t, deal)
    assert (deal.status, deal.lost_reason, deal.lost_note) == (
        "lost",
        "Competitor",
        "They chose the incumbent",
    )
    request = deals.DealReopen(seen_version=deal.version, reason="New budget approved")
    with pytest.raises(PermissionDenied, match="manager"):
        deals.reopen_lost_deal(session, t.actor(session, t.rep), deal.id, request)
    far = factories.region(session)
    outsider = factories.person(session, "manager", far, manages=[far])
    with pytest.raises(PermissionDenied, match="outside"):
        deals.reopen_lost_deal(session, factories.actor(session, outsider), deal.id, request)
    with pytest.raises(ValidationError):
        deals.DealReopen(seen_version=deal.version, reason="x" * 301)
    with pytest.raises(ValidationFailed, match="reason"):
        deals.reopen_lost_deal(
            session,
            t.actor(session, t.manager),
            deal.id,
            deals.DealReopen(seen_version=deal.version, reason="  "),
        )
    assert deal.status == "lost"
    manager = t.actor(session, t.manager)
    stage_id = deals.reopen_lost_deal(session, manager, deal.id, request)
    assert stage_id == stage(session, "Evaluation").id
    assert (deal.status, deal.stage_id, deal.closed_on) == ("open", stage_id, None)
    assert (deal.lost_reason, deal.lost_reason_id, deal.lost_note) == (None, None, None)
    last = session.scalars(
        select(DealStageHistory)
        .where(DealStageHistory.deal_id == deal.id)
        .order_by(DealStageHistory.id.desc())
    ).first()
    assert (last.from_stage_id, last.to_stage_id, last.reason, last.changed_by_id) == (
        stage(session, "Lost").id,
        stage_id,
        "New budget approved",
        t.manager.id,
    )
    entry = _audit(session, deal.id)[-1]
    assert entry.action == "deal.move.reopen" and entry.before["lost_note"] == (
        "They chose the incumbent"
    )
    with pytest.raises(ValidationFailed, match="Only a lost deal"):
        deals.reopen_lost_deal(
            session, manager, deal.id, deals.DealReopen(seen_version=deal.version, reason="again")
        )


def test_a_reopened_deal_is_credited_to_the_owners_current_region(session):
    t = team(session)
    deal = factories.deal(session, t.rep, t.customer, stage_name="Evaluation")
    _lose(session, t, deal)
    lost_in = deal.region_id
    assert lost_in == t.region.id
    elsewhere = factories.region(session)
    t.rep.region_id = elsewhere.id  # the rep moved region after the deal was lost
    session.flush()
    request = deals.DealReopen(seen_version=deal.version, reason="New budget approved")
    deals.reopen_lost_deal(session, t.actor(session, t.manager), deal.id, request)
    assert (deal.status, deal.region_id) == ("open", elsewhere.id)


def test_a_lost_deal_without_its_history_reopens_at_the_first_stage(session):
    t = team(session)
    deal = factories.deal(session, t.rep, t.customer, status="lost", closed_on=TODAY)
    stage_id = deals.reopen_lost_deal(
        session,
        t.actor(session, t.manager),
        deal.id,
        deals.DealReopen(seen_version=deal.version, reason="Came back to us"),
    )
    assert stage_id == stage(session, "Lead").id and deal.status == "open"


def test_the_deal_view_shows_the_lost_note_and_who_may_reopen(session):
    t = team(session)
    deal = factories.deal(session, t.rep, t.customer, stage_name="Negotiation")
    _lose(session, t, deal)
    for_rep = views.deal_detail(session, t.actor(session, t.rep), deal.id)
    assert (for_rep.lost_reason, for_rep.lost_note, for_rep.can_reopen) == (
        "Competitor",
        "They chose the incumbent",
        False,
    )
    assert views.deal_detail(session, t.actor(session, t.manager), deal.id).can_reopen is True
