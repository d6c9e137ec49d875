"""Every change to deals, targets, plans, customers and people made through the core services
writes an audit entry in the same transaction: who (actor id and label), what (action, entity,
id), when, and the values before and/or after. Table-driven; SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import customers
from core.models import CashStatus, Role
from core.org import changes as org
from core.org import people
from core.org.access import load_actor
from core.pipeline import creation, deals, lost_reasons
from core.plans import bottom_up as commitments
from core.plans.allocation import create_plan, resplit_region
from core.plans.files import upload_plan
from core.plans.grid import TargetEdits, part_key, save_edits, set_company_target
from core.plans.line_plans import break_by_product_line
from core.plans.seasonality import delete_profile, save_profile
from core.plans.stretch import set_stretch_levels
from core.plans.views import plan_table
from core.plans.workflow import approve_plan, lock_plan, new_version, return_to_draft, submit_plan
from core.transfer import import_table
from db.schema import AuditLog, Deal, Person, ScheduledOrgChange, Stage
from tests.pipeline_factories import lost_reason_id
from tests.security_support import ACCESS_PROFILE, World, build_world
from tests.transfer_support import csv_table

TODAY = date.today()


def _stage_id(session, name: str) -> int:
    return session.scalar(select(Stage.id).where(Stage.name == name))


def _win(session, world: World) -> int:
    """The world's deal won (through the service), returning its new version."""
    deals.move_deal(
        session,
        load_actor(session, world.director.id),
        world.deal_id,
        deals.DealMove(
            to_stage_id=_stage_id(session, "Won"),
            seen_version=world.deal_version,
            override=True,
            reason="signed",
            closed_on=TODAY,
            amount=Decimal("5000.00"),
        ),
    )
    return session.get(Deal, world.deal_id).version


def _lose(session, world: World) -> None:
    """The world's deal lost for Price (through the service)."""
    deals.move_deal(
        session,
        load_actor(session, world.owner.id),
        world.deal_id,
        deals.DealMove(
            to_stage_id=_stage_id(session, "Lost"),
            seen_version=world.deal_version,
            lost_reason_id=lost_reason_id(session, "Price"),
        ),
    )


def _demo_rep(session) -> int:
    """A rep of the home region who is part of the seeded plans."""
    return session.scalar(select(Person.id).where(Person.username == "rep"))


Call = Callable[..., object]
# (service, who acts: "owner" | "director", call(session, actor, world), audited entities,
#  whether before/after values are expected)
CHANGES: list[tuple[str, str, Call, set[str], bool]] = [
    # customers
    (
        "customers.create_customer",
        "owner",
        lambda s, a, w: customers.create_customer(
            s,
            a,
            customers.CustomerInput(name="Audited GmbH", region_id=w.home_region_id),
            confirmed=True,
        ),
        {"customer"},
        True,
    ),
    (
        "customers.update_customer",
        "owner",
        lambda s, a, w: customers.update_customer(
            s, a, w.customer_id, customers.CustomerUpdate(industry="Mining"), confirmed=True
        ),
        {"customer"},
        True,
    ),
    (
        "customers.add_contact",
        "owner",
        lambda s, a, w: customers.add_contact(
            s, a, w.customer_id, customers.ContactInput(name="Bo Buyer")
        ),
        {"customer"},
        True,
    ),
    (
        "customers.update_contact",
        "owner",
        lambda s, a, w: customers.update_contact(
            s, a, w.contact_id, customers.ContactInput(name="Ada Renamed")
        ),
        {"customer"},
        True,
    ),
    (
        "customers.remove_contact",
        "owner",
        lambda s, a, w: customers.remove_contact(s, a, w.contact_id),
        {"customer"},
        True,
    ),
    (
        "customers.reassign_customers",
        "director",
        lambda s, a, w: customers.reassign_customers(s, a, [w.customer_id], w.other_rep.id),
        {"customer"},
        True,
    ),
    (
        "customers.reassign_book",
        "director",
        lambda s, a, w: customers.reassign_book(s, a, w.owner.id, w.other_rep.id),
        {"customer"},
        True,
    ),
    (
        "customers.merge_customers",
        "director",
        lambda s, a, w: customers.merge_customers(s, a, w.customer_id, w.other_customer_id),
        {"customer"},
        True,
    ),
    # deals
    (
        "deals.move_deal",
        "owner",
        lambda s, a, w: deals.move_deal(
            s,
            a,
            w.deal_id,
            deals.DealMove(
                to_stage_id=_stage_id(s, "Lost"),
                seen_version=w.deal_version,
                lost_reason_id=lost_reason_id(s, "Price"),
            ),
        ),
        {"deal"},
        True,
    ),
    (
        "deals.update_deal",
        "owner",
        lambda s, a, w: deals.update_deal(
            s, a, w.deal_id, w.deal_version, deals.DealUpdate(amount=Decimal("7.50"))
        ),
        {"deal"},
        True,
    ),
    (
        "deals.tick_checklist_item",
        "owner",
        lambda s, a, w: deals.tick_checklist_item(
            s, a, w.deal_id, w.deal_version, "Budget confirmed", True
        ),
        {"deal"},
        True,
    ),
    (
        "deals.add_team_member",
        "owner",
        lambda s, a, w: deals.add_team_member(s, a, w.deal_id, w.other_rep.id, "Executive sponsor"),
        {"deal"},
        True,
    ),
    (
        "deals.remove_team_member",
        "owner",
        lambda s, a, w: deals.remove_team_member(s, a, w.member_id),
        {"deal"},
        True,
    ),
    (
        "deals.record_cash_step",
        "owner",
        lambda s, a, w: deals.record_cash_step(
            s,
            a,
            w.deal_id,
            deals.CashStep(
                step=CashStatus.CONTRACT_SIGNED,
                on=TODAY,
                amount=Decimal("5000"),
                seen_version=s.get(Deal, w.deal_id).version,
            ),
        ),
        {"deal"},
        True,
    ),
    (
        "creation.create_deal",
        "owner",
        lambda s, a, w: creation.create_deal(
            s,
            a,
            creation.DealDraft(
                customer_id=w.customer_id,
                name="Audited deal",
                amount=Decimal("100.00"),
                expected_close=TODAY + timedelta(days=30),
            ),
            confirm=True,
        ),
        {"deal"},
        True,
    ),
    (
        "creation.create_deal_for_new_customer",
        "owner",
        lambda s, a, w: creation.create_deal_for_new_customer(
            s,
            a,
            "Audited Newco",
            creation.DealDraft(
                name="Audited deal",
                amount=Decimal("100.00"),
                expected_close=TODAY + timedelta(days=30),
            ),
        ),
        {"deal", "customer"},
        True,
    ),
    (
        "creation.clone_deal",
        "owner",
        lambda s, a, w: creation.clone_deal(s, a, w.deal_id, confirm=True),
        {"deal"},
        True,
    ),
    (
        "deals.reopen_lost_deal",
        "director",
        lambda s, a, w: deals.reopen_lost_deal(
            s,
            a,
            w.deal_id,
            deals.DealReopen(seen_version=s.get(Deal, w.deal_id).version, reason="Budget back"),
        ),
        {"deal"},
        True,
    ),
    (
        "lost_reasons.add_lost_reason",
        "director",
        lambda s, a, w: lost_reasons.add_lost_reason(s, a, "Audited reason"),
        {"lost_reason"},
        True,
    ),
    (
        "lost_reasons.rename_lost_reason",
        "director",
        lambda s, a, w: lost_reasons.rename_lost_reason(
            s, a, lost_reason_id(s, "Price"), "Price too high"
        ),
        {"lost_reason"},
        True,
    ),
    (
        "lost_reasons.retire_lost_reason",
        "director",
        lambda s, a, w: lost_reasons.retire_lost_reason(s, a, lost_reason_id(s, "Price")),
        {"lost_reason"},
        True,
    ),
    (
        "lost_reasons.reorder_lost_reasons",
        "director",
        lambda s, a, w: lost_reasons.reorder_lost_reasons(
            s, a, [r.id for r in lost_reasons.list_lost_reasons(s, include_retired=True)][::-1]
        ),
        {"lost_reason"},
        True,
    ),
    # targets and plans
    (
        "commitments.set_commitments",
        "owner",
        lambda s, a, w: commitments.set_commitments(
            s, a, TODAY.year, {0: Decimal("1000")}, person_id=w.owner.id
        ),
        {"commitment"},
        True,
    ),
    (
        "plans.create_plan",
        "director",
        lambda s, a, w: create_plan(
            s, a, fiscal_year=TODAY.year + 3, company_target=Decimal("1000000"), method="equal"
        ),
        {"target_plan"},
        True,
    ),
    (
        "plans.create_plan (units, named profile, stretch levels)",
        "director",
        lambda s, a, w: create_plan(
            s,
            a,
            fiscal_year=TODAY.year + 3,
            company_target=Decimal("12000"),
            method="equal",
            measure="units",
            seasonality=ACCESS_PROFILE,
            stretch_levels=["110", "125"],
        ),
        {"target_plan"},
        True,
    ),
    (
        "plans.break_by_product_line",
        "director",
        lambda s, a, w: break_by_product_line(s, a, w.draft_plan_id, "equal"),
        {"target_plan"},
        True,
    ),
    (
        "plans.set_stretch_levels",
        "director",
        lambda s, a, w: set_stretch_levels(s, a, w.draft_plan_id, ["110", "125"]),
        {"target_plan"},
        True,
    ),
    (
        "seasonality.save_profile",
        "director",
        lambda s, a, w: save_profile(s, a, ACCESS_PROFILE, [5] * 8 + [15] * 4),
        {"seasonality_profile"},
        True,
    ),
    (
        "seasonality.delete_profile",
        "director",
        lambda s, a, w: delete_profile(s, a, ACCESS_PROFILE),
        {"seasonality_profile"},
        True,
    ),
    (
        "plans.submit_plan",
        "director",
        lambda s, a, w: submit_plan(s, a, w.draft_plan_id),
        {"target_plan"},
        True,
    ),
    (
        "plans.return_to_draft",
        "director",
        lambda s, a, w: return_to_draft(s, a, w.draft_plan_id),
        {"target_plan"},
        True,
    ),
    (
        "plans.approve_plan",
        "director",
        lambda s, a, w: approve_plan(s, a, w.draft_plan_id),
        {"target_plan"},
        True,
    ),
    (
        "plans.lock_plan",
        "director",
        lambda s, a, w: lock_plan(s, a, w.approved_plan_id),
        {"target_plan"},
        True,
    ),
    (
        "plans.new_version",
        "director",
        lambda s, a, w: new_version(s, a, w.draft_plan_id),
        {"target_plan"},
        True,
    ),
    (
        "plans.save_edits",
        "director",
        lambda s, a, w: save_edits(
            s,
            a,
            w.draft_plan_id,
            w.home_region_id,
            TargetEdits(locks={part_key("rep", _demo_rep(s)): True}),
            expected_lock_version=None,
        ),
        {"target_plan", "target"},
        True,
    ),
    (
        "plans.set_company_target",
        "director",
        lambda s, a, w: set_company_target(
            s, a, w.draft_plan_id, Decimal("9000000"), expected_lock_version=None
        ),
        {"target_plan", "target"},
        True,
    ),
    (
        "plans.upload_plan",
        "director",
        lambda s, a, w: upload_plan(
            s,
            a,
            w.draft_plan_id,
            plan_table(s, a, w.draft_plan_id),
            expected_lock_version=None,
        ),
        {"target_plan", "target"},
        True,
    ),
    (
        "plans.resplit_region",
        "director",
        lambda s, a, w: resplit_region(
            s, a, w.draft_plan_id, w.home_region_id, "equal", expected_lock_version=None
        ),
        {"target_plan", "target"},
        True,
    ),
    # people
    (
        "people.add_person",
        "director",
        lambda s, a, w: people.add_person(
            s,
            a,
            people.PersonCreate(
                email="audited.rep@test.example",
                name="Audited Rep",
                role=Role.REP,
                password="long enough",
            ),
        ),
        {"person"},
        True,
    ),
    (
        "people.set_password",
        "director",
        lambda s, a, w: people.set_password(s, a, w.owner.username, "a new secret"),
        {"person"},
        False,  # a password change records who and when, never the password
    ),
    (
        "people.deactivate",
        "director",
        lambda s, a, w: people.deactivate(s, a, w.owner.username),
        {"person"},
        True,
    ),
    (
        "org.set_hire_date",
        "director",
        lambda s, a, w: org.set_hire_date(s, a, w.owner.id, date(2019, 1, 1)),
        {"person"},
        True,
    ),
    (
        "org.move_person",
        "director",
        lambda s, a, w: org.move_person(s, a, w.owner.id, w.away_region_id, TODAY.replace(day=1)),
        {"person"},
        True,
    ),
    (
        "org.move_person (from a later month)",
        "director",
        lambda s, a, w: org.move_person(s, a, w.owner.id, w.away_region_id, NEXT_YEAR),
        {"person"},
        True,
    ),
    (
        "org.cancel_scheduled_move",
        "director",
        lambda s, a, w: org.cancel_scheduled_move(s, a, _waiting_move(s, w)),
        {"person"},
        True,
    ),
    (
        "org.assign_manager",
        "director",
        lambda s, a, w: org.assign_manager(s, a, w.home_region_id, w.outside_manager.id),
        {"region", "person"},
        True,
    ),
    # imports of the audited kinds
    (
        "import people",
        "director",
        lambda s, a, w: import_table(
            s, a, "people", csv_table("email,name,role\nimported.rep@test.example,Imp Rep,rep")
        ),
        {"person"},
        True,
    ),
    (
        "import customers",
        "director",
        lambda s, a, w: import_table(s, a, "customers", csv_table("name\nImported Customer Oy")),
        {"customer"},
        True,
    ),
    (
        "import deals",
        "director",
        lambda s, a, w: import_table(
            s,
            a,
            "deals",
            csv_table(
                f"external_id,customer,owner,amount,stage\n"
                f"AUD-1,Access test customer,{w.owner.email},100,Qualified"
            ),
        ),
        {"deal"},
        True,
    ),
    (
        "import targets",
        "director",
        lambda s, a, w: import_table(
            s,
            a,
            "targets",
            csv_table(f"period,rep,amount\n{TODAY.year + 4}-01,{w.owner.email},500"),
        ),
        {"target_plan", "target"},
        True,
    ),
    (
        "import targets of units",
        "director",
        lambda s, a, w: import_table(
            s,
            a,
            "targets",
            csv_table(f"period,rep,amount,measure\n{TODAY.year + 4}-01,{w.owner.email},5,units"),
        ),
        {"target_plan", "target"},
        True,
    ),
    (
        "import seasonality",
        "director",
        lambda s, a, w: import_table(
            s,
            a,
            "seasonality",
            csv_table(
                "name,month,percent\n"
                + "\n".join(f"Audited,{m},{8 if m <= 10 else 10}" for m in range(1, 13))
            ),
        ),
        {"seasonality_profile"},
        True,
    ),
]


def _submit(session, world: World) -> None:
    submit_plan(session, load_actor(session, world.director.id), world.draft_plan_id)


def _approve(session, world: World) -> None:
    """The world already holds a newer draft: approve it so the next version starts from it."""
    approve_plan(session, load_actor(session, world.director.id), world.draft_plan_id)


NEXT_YEAR = date(TODAY.year + 1, TODAY.month, 1)


def _schedule_move(session, world) -> None:
    director = load_actor(session, world.director.id)
    org.move_person(session, director, world.owner.id, world.away_region_id, NEXT_YEAR)


def _waiting_move(session, world) -> int:
    return session.scalar(
        select(ScheduledOrgChange.id).where(ScheduledOrgChange.person_id == world.owner.id)
    )


PREPARE = {
    "org.cancel_scheduled_move": _schedule_move,
    "deals.record_cash_step": _win,
    "deals.reopen_lost_deal": _lose,
    "plans.return_to_draft": _submit,
    "plans.new_version": _approve,
}
"""Steps before the change under test (their own audit entries are not counted)."""


@pytest.mark.parametrize("name,who,call,entities,values", CHANGES, ids=[c[0] for c in CHANGES])
def test_every_change_through_a_service_is_in_the_audit_log(
    session, name, who, call, entities, values
):
    world = build_world(session)
    person = world.owner if who == "owner" else world.director
    actor = load_actor(session, person.id)
    if name in PREPARE:
        PREPARE[name](session, world)
    session.flush()
    last = session.scalar(select(func.max(AuditLog.id))) or 0
    started = datetime.now() - timedelta(seconds=1)
    call(session, actor, world)
    session.flush()
    entries = session.scalars(select(AuditLog).where(AuditLog.id > last)).all()
    mine = [e for e in entries if e.entity in entities]
    assert mine, (
        f"{name} wrote no audit entry about {entities} (found {[e.entity for e in entries]})"
    )
    for entry in mine:
        assert entry.actor_id == actor.id and actor.name in entry.actor_label  # who
        assert entry.action  # what
        assert started <= entry.at <= datetime.now() + timedelta(seconds=1)  # when
        if values:
            assert entry.before is not None or entry.after is not None  # before/after
