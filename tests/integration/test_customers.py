"""Customer services against SQLite and PostgreSQL: search, dedupe, contacts, reassignment,
merge, and the permission refusals (each leaves the database unchanged)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select, text

from core import customers
from core.customers.archive import CustomerFilters
from core.customers.duplicates import LikelyDuplicate
from core.customers.editing import ContactInput, CustomerInput, CustomerUpdate
from core.errors import PermissionDenied, ValidationFailed
from core.pipeline import follow_ups
from db.schema import (
    Activity,
    AuditLog,
    Contact,
    Customer,
    Deal,
    FollowUp,
    Person,
    Region,
    Stage,
)
from tests import customer_factories as cf
from tests import factories as f

TODAY = date(2026, 6, 15)


@pytest.fixture
def org(session):
    """Two sibling regions (A with a team below it, B), a manager of A, reps in A, team, B."""
    a = f.region(session, "Region A")
    team = f.region(session, "Team A1", parent=a)
    b = f.region(session, "Region B")
    manager = f.person(session, "manager", a, manages=[a])
    rep_a = f.person(session, "rep", a)
    rep_team = f.person(session, "rep", team)
    rep_b = f.person(session, "rep", b)
    director = f.person(session, "director")
    return {
        "a": a,
        "team": team,
        "b": b,
        "manager": manager,
        "rep_a": rep_a,
        "rep_team": rep_team,
        "rep_b": rep_b,
        "director": director,
        "actor": lambda who: f.actor(session, who),
    }


def _audit_count(session, action: str | None = None) -> int:
    query = select(func.count()).select_from(AuditLog)
    if action:
        query = query.where(AuditLog.action == action)
    return session.scalar(query)


# --- search -------------------------------------------------------------------------------


def test_search_ignores_case_accents_punctuation_and_legal_form(session, org):
    rep = org["rep_a"]
    f.customer(session, rep, org["a"], "Société Générale Müller GmbH")
    f.customer(session, rep, org["a"], "O'Brien & Sons Ltd")
    actor = org["actor"](rep)
    for typed, expected in [
        ("MULLER", "Société Générale Müller GmbH"),
        ("générale mül", "Société Générale Müller GmbH"),
        ("obrien", None),  # the apostrophe becomes a space: "o brien"
        ("o'brien & sons", "O'Brien & Sons Ltd"),
    ]:
        found = customers.search_customers(session, actor, CustomerFilters(search=typed))
        names = list(found["name"])
        if expected is None:
            assert "O'Brien & Sons Ltd" not in names
        else:
            assert expected in names, (typed, names)
            assert customers.count_customers(session, actor, CustomerFilters(search=typed)) == len(
                names
            )


def test_filters_sorting_and_paging_match_an_independent_computation(session, org):
    rep, other = org["rep_team"], org["rep_b"]
    made = []
    for i, (owner, region, industry, status, last) in enumerate(
        [
            (rep, org["team"], "Retail", "active", TODAY - timedelta(days=200)),
            (rep, org["team"], "Retail", "prospect", None),
            (rep, org["team"], "Energy", "active", TODAY - timedelta(days=5)),
            (other, org["b"], "Retail", "active", TODAY - timedelta(days=400)),
            (org["rep_a"], org["a"], "Retail", "dormant", TODAY - timedelta(days=91)),
        ]
    ):
        c = f.customer(session, owner, region, f"Zeta Filter Test {i}")
        c.industry, c.status, c.last_activity_on = industry, status, last
        c.annual_potential = Decimal(1000 * (i + 1))
        made.append(c)
    session.flush()
    actor = org["actor"](rep)

    frame = pd.DataFrame(
        [
            {
                "id": c.id,
                "region_id": c.region_id,
                "owner_id": c.owner_id,
                "industry": c.industry,
                "last": c.last_activity_on,
                "potential": c.annual_potential,
            }
            for c in made
        ]
    )
    subtree = {org["a"].id, org["team"].id}
    stale = frame["last"].isna() | (frame["last"] < TODAY - timedelta(days=90))
    expected = frame[frame.region_id.isin(subtree) & (frame.industry == "Retail") & stale]
    filters = CustomerFilters(
        search="zeta filter test",
        region_id=org["a"].id,
        industry="Retail",
        inactive_days=90,
        sort="potential",
        descending=True,
    )
    got = customers.search_customers(session, actor, filters, today=TODAY)
    assert list(got["id"]) == list(expected.sort_values("potential", ascending=False)["id"])
    assert customers.count_customers(session, actor, filters, today=TODAY) == len(expected)

    by_owner = customers.search_customers(
        session, actor, CustomerFilters(search="zeta filter", owner_id=rep.id)
    )
    assert sorted(by_owner["id"]) == sorted(frame[frame.owner_id == rep.id]["id"])

    everything = CustomerFilters(search="zeta filter test", sort="name")
    pages = [
        customers.search_customers(session, actor, everything, page=p, page_size=2)
        for p in (1, 2, 3)
    ]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [n for p in pages for n in p["name"]] == [f"Zeta Filter Test {i}" for i in range(5)]


def test_a_rep_sees_customers_of_every_region(session, org):
    f.customer(session, org["rep_b"], org["b"], "Faraway Customer of B")
    actor = org["actor"](org["rep_a"])
    found = customers.search_customers(session, actor, CustomerFilters(search="faraway"))
    assert list(found["name"]) == ["Faraway Customer of B"]
    detail = customers.customer_detail(session, actor, int(found["id"][0]))
    assert detail.owner == org["rep_b"].name and not detail.can_edit


def test_a_bad_page_or_sort_is_refused_with_a_clear_message(session, org):
    actor = org["actor"](org["rep_a"])
    with pytest.raises(ValidationFailed, match="Page must be 1 or more"):
        customers.search_customers(session, actor, CustomerFilters(), page=0)
    with pytest.raises(ValidationError, match="cannot sort by 'colour'"):
        CustomerFilters(sort="colour")


# --- duplicates and create ----------------------------------------------------------------


def test_the_same_normalised_name_in_the_same_region_can_never_be_created(session, org):
    f.customer(session, org["rep_a"], org["a"], "Müller GmbH")
    actor = org["actor"](org["rep_a"])
    before = session.scalar(select(func.count()).select_from(Customer))
    data = CustomerInput(name="MULLER ltd.", region_id=org["a"].id)
    for confirmed in (False, True):
        with pytest.raises(LikelyDuplicate, match="already exists in Region A") as caught:
            customers.create_customer(session, actor, data, confirmed=confirmed)
        assert caught.value.blocking
    assert session.scalar(select(func.count()).select_from(Customer)) == before


def test_a_very_similar_name_needs_an_explicit_confirmation(session, org):
    existing = f.customer(session, org["rep_b"], org["b"], "Northwind Traders")
    actor = org["actor"](org["rep_a"])
    data = CustomerInput(name="Nortwind Traders", region_id=org["a"].id, industry="Retail")
    with pytest.raises(LikelyDuplicate) as caught:
        customers.create_customer(session, actor, data)
    [candidate] = [c for c in caught.value.candidates if c.id == existing.id]
    assert not candidate.exact and not candidate.same_region and candidate.similarity > 0.9
    assert not caught.value.blocking
    assert session.scalar(select(Customer.id).where(Customer.name == "Nortwind Traders")) is None

    new_id = customers.create_customer(session, actor, data, confirmed=True)
    created = session.get(Customer, new_id)
    assert (created.owner_id, created.normalized_name) == (org["rep_a"].id, "nortwind traders")
    entry = session.scalar(
        select(AuditLog).where(AuditLog.entity == "customer", AuditLog.entity_id == new_id)
    )
    assert entry.action == "create"
    assert existing.id in entry.after["confirmed_not_duplicate_of"]


def test_the_same_name_in_another_region_is_flagged_but_may_be_confirmed(session, org):
    f.customer(session, org["rep_b"], org["b"], "Acme Tools")
    actor = org["actor"](org["rep_a"])
    data = CustomerInput(name="ACME Tools Inc", region_id=org["a"].id)
    with pytest.raises(LikelyDuplicate) as caught:
        customers.create_customer(session, actor, data)
    assert caught.value.candidates[0].exact and not caught.value.blocking
    assert customers.create_customer(session, actor, data, confirmed=True)


def test_an_unrelated_name_is_created_at_once(session, org):
    actor = org["actor"](org["rep_a"])
    new_id = customers.create_customer(
        session, actor, CustomerInput(name="Qwxyzzy Unique Holdings", region_id=org["a"].id)
    )
    assert session.get(Customer, new_id).status == "prospect"


def test_bad_customer_input_is_refused_with_the_field_named(session, org):
    with pytest.raises(ValidationError, match="name"):
        CustomerInput(name="  ", region_id=org["a"].id)
    with pytest.raises(ValidationError, match="annual_potential"):
        CustomerInput(name="X Corp", region_id=org["a"].id, annual_potential=Decimal(-1))
    actor = org["actor"](org["director"])
    before = session.scalar(select(func.count()).select_from(Customer))
    with pytest.raises(ValidationFailed, match="Region: there is no region"):
        customers.create_customer(
            session, actor, CustomerInput(name="Lost Corp", region_id=999_999, owner_id=None)
        )
    assert session.scalar(select(func.count()).select_from(Customer)) == before


def test_a_rep_creates_customers_only_for_themselves_in_their_region(session, org):
    actor = org["actor"](org["rep_a"])
    with pytest.raises(PermissionDenied, match="for themselves"):
        customers.create_customer(
            session,
            actor,
            CustomerInput(name="Other Owner Co", region_id=org["a"].id, owner_id=org["rep_b"].id),
        )
    with pytest.raises(PermissionDenied, match="regions of your own area"):
        customers.create_customer(
            session, actor, CustomerInput(name="Elsewhere Co", region_id=org["b"].id)
        )


# --- edit and permissions -----------------------------------------------------------------


def test_who_may_edit_a_customer(session, org):
    in_a = f.customer(session, org["rep_a"], org["a"], "Editable In A")
    in_team = f.customer(session, org["rep_team"], org["team"], "Editable In Team")
    in_b = f.customer(session, org["rep_b"], org["b"], "Editable In B")
    change = CustomerUpdate(industry="Energy")

    customers.update_customer(session, org["actor"](org["rep_a"]), in_a.id, change)
    with pytest.raises(PermissionDenied, match="only change your own"):
        customers.update_customer(session, org["actor"](org["rep_a"]), in_team.id, change)
    customers.update_customer(session, org["actor"](org["manager"]), in_team.id, change)
    with pytest.raises(PermissionDenied, match="outside the regions you manage"):
        customers.update_customer(session, org["actor"](org["manager"]), in_b.id, change)
    customers.update_customer(session, org["actor"](org["director"]), in_b.id, change)
    session.refresh(in_a), session.refresh(in_team), session.refresh(in_b)
    assert (in_a.industry, in_team.industry, in_b.industry) == ("Energy",) * 3
    assert _audit_count(session, "edit") >= 3


def test_renaming_into_an_existing_name_is_stopped(session, org):
    f.customer(session, org["rep_a"], org["a"], "Blue Harbour Foods")
    other = f.customer(session, org["rep_a"], org["a"], "Green Field Farms")
    actor = org["actor"](org["rep_a"])
    with pytest.raises(LikelyDuplicate):
        customers.update_customer(
            session, actor, other.id, CustomerUpdate(name="Blue Harbour Foods Ltd")
        )
    session.refresh(other)
    assert other.name == "Green Field Farms"


# --- contacts and timeline ----------------------------------------------------------------


def test_adding_a_contact_updates_last_activity_and_the_timeline(session, org):
    cust = f.customer(session, org["rep_a"], org["a"], "Timeline Works Ltd")
    deal = f.deal(session, org["rep_a"], cust, amount=Decimal("5000.00"))
    cf.activity(session, org["rep_a"], cust, on=TODAY - timedelta(days=3), kind="call")
    won_stage = session.scalar(select(Stage.id).where(Stage.name == "Negotiation"))
    cf.stage_change(session, deal, won_stage, at=datetime(2026, 6, 13, 10, 0), who=org["rep_a"])
    actor = org["actor"](org["rep_a"])

    contact_id = customers.add_contact(
        session,
        actor,
        cust.id,
        ContactInput(name="Jane Roe", title="CFO", email="Jane@Example.com", phone="+49 30 123456"),
        today=TODAY,
    )
    session.refresh(cust)
    assert cust.last_activity_on == TODAY
    assert session.get(Contact, contact_id).email == "jane@example.com"

    timeline = customers.customer_timeline(session, actor, cust.id)
    assert timeline.iloc[0]["what"] == "Contact added: Jane Roe (CFO)"
    assert list(timeline["when"]) == sorted(timeline["when"], reverse=True)
    kinds = set(timeline["kind"])
    assert {"Deal", "Activity", "Stage change", "Record"} <= kinds
    assert any("→ Negotiation" in w for w in timeline["what"])


def test_touching_last_activity_never_moves_it_backwards(session, org):
    cust = f.customer(session, org["rep_a"], org["a"], "Touch Me Ltd")
    customers.touch_last_activity(session, cust.id, TODAY)
    customers.touch_last_activity(session, cust.id, TODAY - timedelta(days=10))
    session.refresh(cust)
    assert cust.last_activity_on == TODAY


def test_bad_contacts_are_refused_and_nothing_is_saved(session, org):
    with pytest.raises(ValidationError, match="email address"):
        ContactInput(name="A", email="not-an-email")
    with pytest.raises(ValidationError, match="phone number"):
        ContactInput(name="A", phone="call me")
    with pytest.raises(ValidationError, match="phone number"):
        ContactInput(name="A", phone="123")
    with pytest.raises(ValidationError, match="name"):
        ContactInput(name="")
    cust = f.customer(session, org["rep_b"], org["b"], "Not Yours Ltd")
    with pytest.raises(PermissionDenied):
        customers.add_contact(session, org["actor"](org["rep_a"]), cust.id, ContactInput(name="X"))
    assert session.scalar(select(func.count()).where(Contact.customer_id == cust.id)) == 0


def test_one_primary_contact_and_edit_and_remove(session, org):
    cust = f.customer(session, org["rep_a"], org["a"], "Primary Co")
    actor = org["actor"](org["rep_a"])
    first = customers.add_contact(session, actor, cust.id, ContactInput(name="A", is_primary=True))
    second = customers.add_contact(session, actor, cust.id, ContactInput(name="B"))
    customers.update_contact(session, actor, second, ContactInput(name="B2", is_primary=True))
    session.expire_all()
    assert [session.get(Contact, i).is_primary for i in (first, second)] == [False, True]
    customers.remove_contact(session, actor, first)
    detail = customers.customer_detail(session, actor, cust.id)
    assert [c.name for c in detail.contacts] == ["B2"]
    actions = session.scalars(
        select(AuditLog.action)
        .where(AuditLog.entity == "customer", AuditLog.entity_id == cust.id)
        .order_by(AuditLog.id)
    ).all()
    assert actions == ["add_contact", "add_contact", "edit_contact", "remove_contact"]


def test_summary_figures_match_a_hand_count(session, org):
    cust = f.customer(session, org["rep_a"], org["a"], "Summary Figures Co")
    f.deal(
        session,
        org["rep_a"],
        cust,
        amount=Decimal("100.50"),
        status="won",
        closed_on=date(2026, 1, 5),
    )
    f.deal(
        session,
        org["rep_a"],
        cust,
        amount=Decimal("200.25"),
        status="won",
        closed_on=date(2026, 2, 5),
    )
    f.deal(
        session,
        org["rep_a"],
        cust,
        amount=Decimal("999"),
        status="lost",
        closed_on=date(2026, 3, 5),
    )
    f.deal(session, org["rep_a"], cust, amount=Decimal("40"))
    cf.activity(session, org["rep_a"], cust, on=date(2026, 4, 1))
    s = customers.customer_detail(session, org["actor"](org["rep_a"]), cust.id).summary
    assert s.won_to_date == Decimal("300.75")
    assert s.open_pipeline == Decimal("40")
    assert s.win_rate == Decimal("0.6667")
    assert s.last_contact == date(2026, 4, 1)
    assert s.deals_not_shown == 0
    # a rep of another region sees that the deals exist, not their amounts
    other = customers.customer_detail(session, org["actor"](org["rep_b"]), cust.id).summary
    assert (other.won_to_date, other.open_pipeline) == (Decimal(0), Decimal(0))
    assert (other.won_deals, other.lost_deals, other.open_deals) == (2, 1, 1)
    assert other.win_rate == Decimal("0.6667") and other.deals_not_shown == 4


# --- reassignment -------------------------------------------------------------------------


def test_a_manager_hands_a_leaving_reps_book_over_with_open_deals(session, org):
    leaver, heir = org["rep_a"], org["rep_team"]
    book = [f.customer(session, leaver, org["a"], f"Leaver Book {i}") for i in range(3)]
    open_deals = [f.deal(session, leaver, c) for c in book]
    won = f.deal(session, leaver, book[0], status="won", closed_on=date(2026, 2, 1))
    colleague_deal = f.deal(session, org["manager"], book[1])
    versions = {d.id: d.version for d in open_deals}
    actor = org["actor"](org["manager"])

    result = customers.reassign_book(
        session, actor, leaver.id, heir.id, with_open_deals=True, reason="left the company"
    )
    assert (result.customers, result.deals) == (3, 3)
    session.expire_all()
    assert {session.get(Customer, c.id).owner_id for c in book} == {heir.id}
    for d in open_deals:
        moved = session.get(Deal, d.id)
        assert (moved.owner_id, moved.region_id) == (heir.id, org["team"].id)
        assert moved.version == versions[d.id] + 1
    assert (session.get(Deal, won.id).owner_id, session.get(Deal, won.id).region_id) == (
        leaver.id,
        org["a"].id,
    )
    assert session.get(Deal, colleague_deal.id).owner_id == org["manager"].id
    entries = session.scalars(
        select(AuditLog).where(AuditLog.action == "reassign", AuditLog.entity == "customer")
    ).all()
    mine = [e for e in entries if e.entity_id in {c.id for c in book}]
    assert len(mine) == 3
    assert all(
        e.before["owner_id"] == leaver.id
        and e.after["owner_id"] == heir.id
        and e.after["reason"] == "left the company"
        and e.actor_id == org["manager"].id
        and e.at is not None
        for e in mine
    )
    deal_entries = session.scalar(
        select(func.count()).where(
            AuditLog.action == "reassign",
            AuditLog.entity == "deal",
            AuditLog.entity_id.in_([d.id for d in open_deals]),
        )
    )
    assert deal_entries == 3


def test_the_former_owners_open_follow_ups_go_with_the_handed_over_customers_and_deals(
    session, org
):
    leaver, heir = org["rep_a"], org["rep_team"]
    leaving = org["actor"](leaver)
    with_deal, plain = (f.customer(session, leaver, org["a"], f"Follow Book {i}") for i in (1, 2))
    deal = f.deal(session, leaver, with_deal)
    soon = date.today() + timedelta(days=2)

    def follow_up(who, **on):
        return follow_ups.add_follow_up(session, who, title="Call back", due_on=soon, **on)

    on_deal = follow_up(leaving, deal_id=deal.id)
    on_customer = follow_up(leaving, customer_id=plain.id)
    snoozed = follow_up(leaving, customer_id=with_deal.id)
    follow_ups.snooze_follow_up(session, leaving, snoozed, soon + timedelta(days=1))
    done = follow_up(leaving, customer_id=plain.id)
    follow_ups.complete_follow_up(session, leaving, done)
    managers = follow_up(org["actor"](org["manager"]), customer_id=plain.id)

    customers.reassign_customers(
        session, org["actor"](org["manager"]), [plain.id], heir.id, with_open_deals=True
    )
    session.expire_all()
    owners = lambda: {  # noqa: E731
        i: session.get(FollowUp, i).owner_id
        for i in (on_deal, on_customer, snoozed, done, managers)
    }
    assert owners() == {
        on_deal: leaver.id,  # its customer stayed
        on_customer: heir.id,
        snoozed: leaver.id,
        done: leaver.id,  # done: history, not work to do
        managers: org["manager"].id,
    }
    customers.reassign_customers(
        session, org["actor"](org["manager"]), [with_deal.id], heir.id, with_open_deals=False
    )
    session.expire_all()
    assert owners()[on_deal] == leaver.id and owners()[snoozed] == heir.id  # the deal stayed
    customers.reassign_book(session, org["actor"](org["manager"]), heir.id, leaver.id)
    customers.reassign_book(session, org["actor"](org["manager"]), leaver.id, heir.id)
    session.expire_all()
    assert session.get(Deal, deal.id).owner_id == heir.id and owners()[on_deal] == heir.id


def test_reassigning_without_deals_leaves_the_deals_with_the_former_owner(session, org):
    cust = f.customer(session, org["rep_a"], org["a"], "Keep Deals Co")
    deal = f.deal(session, org["rep_a"], cust)
    customers.reassign_customers(session, org["actor"](org["director"]), [cust.id], org["rep_b"].id)
    session.expire_all()
    assert session.get(Customer, cust.id).owner_id == org["rep_b"].id
    assert session.get(Deal, deal.id).owner_id == org["rep_a"].id


def test_reps_may_not_reassign_and_managers_only_within_their_subtree(session, org):
    in_a = f.customer(session, org["rep_a"], org["a"], "Scope A Co")
    in_b = f.customer(session, org["rep_b"], org["b"], "Scope B Co")
    before = _audit_count(session)
    with pytest.raises(PermissionDenied, match="may reassign customers"):
        customers.reassign_customers(
            session, org["actor"](org["rep_a"]), [in_a.id], org["rep_team"].id
        )
    with pytest.raises(PermissionDenied, match="1 of these customers are outside"):
        customers.reassign_customers(
            session, org["actor"](org["manager"]), [in_a.id, in_b.id], org["rep_team"].id
        )
    with pytest.raises(PermissionDenied, match="works outside the regions you manage"):
        customers.reassign_customers(
            session, org["actor"](org["manager"]), [in_a.id], org["rep_b"].id
        )
    session.expire_all()
    assert session.get(Customer, in_a.id).owner_id == org["rep_a"].id
    assert session.get(Customer, in_b.id).owner_id == org["rep_b"].id
    assert _audit_count(session) == before


def test_customers_cannot_go_to_a_deactivated_person(session, org):
    cust = f.customer(session, org["rep_a"], org["a"], "No Ghost Owner Co")
    gone = f.person(session, "rep", org["a"], active=False)
    with pytest.raises(ValidationFailed, match="deactivated"):
        customers.reassign_customers(session, org["actor"](org["manager"]), [cust.id], gone.id)


# --- merge --------------------------------------------------------------------------------


def test_merging_moves_contacts_deals_and_activities_and_deletes_the_duplicate(session, org):
    survivor = f.customer(session, org["rep_a"], org["a"], "Merge Survivor Ltd")
    duplicate = f.customer(session, org["rep_team"], org["team"], "Merge Survivor Limited Co")
    duplicate.industry, duplicate.last_activity_on = "Energy", TODAY
    actor = org["actor"](org["manager"])
    customers.add_contact(
        session, actor, duplicate.id, ContactInput(name="Dup Contact"), today=TODAY
    )
    deals = [f.deal(session, org["rep_team"], duplicate) for _ in range(2)]
    cf.activity(session, org["rep_team"], duplicate, on=TODAY)
    duplicate_id = duplicate.id

    result = customers.merge_customers(session, actor, survivor.id, duplicate_id)
    assert (result.contacts, result.deals, result.activities) == (1, 2, 1)
    session.expire_all()
    assert session.get(Customer, duplicate_id) is None
    assert {session.get(Deal, d.id).customer_id for d in deals} == {survivor.id}
    assert session.scalar(select(func.count()).where(Activity.customer_id == duplicate_id)) == 0
    kept = session.get(Customer, survivor.id)
    assert (kept.industry, kept.last_activity_on) == ("Energy", TODAY)
    entry = session.scalar(
        select(AuditLog).where(AuditLog.action == "merge", AuditLog.entity_id == survivor.id)
    )
    assert entry.before["name"] == "Merge Survivor Limited Co"
    assert entry.after == {"contacts": 1, "deals": 2, "activities": 1}


def test_merge_refusals_leave_both_customers(session, org):
    one = f.customer(session, org["rep_a"], org["a"], "Refuse Merge One")
    two = f.customer(session, org["rep_b"], org["b"], "Refuse Merge Two")
    with pytest.raises(PermissionDenied, match="may merge customers"):
        customers.merge_customers(session, org["actor"](org["rep_a"]), one.id, two.id)
    with pytest.raises(PermissionDenied, match="outside the regions you manage"):
        customers.merge_customers(session, org["actor"](org["manager"]), one.id, two.id)
    with pytest.raises(ValidationFailed, match="two different customers"):
        customers.merge_customers(session, org["actor"](org["director"]), one.id, one.id)
    assert session.get(Customer, one.id) and session.get(Customer, two.id)


def test_duplicate_candidates_come_from_the_demo_archive_without_a_full_scan(session):
    name, region_id = session.execute(select(Customer.name, Customer.region_id).limit(1)).one()
    found = customers.find_duplicates(session, name.upper(), region_id)
    assert found and found[0].exact and found[0].blocking
    assert found[0].name == name or customers.normalize_name(found[0].name) == (
        customers.normalize_name(name)
    )


def test_filter_options_list_the_archives_values(session, org):
    opts = customers.filter_options(session)
    industries = set(session.scalars(select(Customer.industry).distinct())) - {None}
    assert set(opts["industries"]) == industries
    assert {r[0] for r in opts["regions"]} == set(session.scalars(select(Region.id)))
    reps = set(session.scalars(select(Person.id).where(Person.role.in_(["rep", "manager"]))))
    assert {o[0] for o in opts["owners"]} == reps


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # EXPLAIN QUERY PLAN is SQLite's
def test_the_name_prefix_lookup_uses_the_index_on_sqlite(session):
    from core.customers.names import starts_with

    query = select(Customer.id).where(starts_with(Customer.normalized_name, "acme"))
    compiled = query.compile(session.bind, compile_kwargs={"literal_binds": True})
    plan = " ".join(str(row[-1]) for row in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "SEARCH customer USING" in plan and "ix_customer_normalized_name" in plan, plan
