"""Organisation changes: regions, managers, hire dates and moving people between regions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.errors import PermissionDenied, ValidationFailed
from core.org import regions as org
from core.org.access import load_actor
from core.plans import workflow as plans
from db.schema import AuditLog, Deal, Person, Region, RegionManager, TargetPlan
from tests.plan_factories import actor_named, sum_problems, target_rows

YEAR = 2030


@pytest.fixture
def director(session):
    return actor_named(session, "director")


def test_a_director_adds_renames_moves_and_retires_a_region(session, director):
    tree = org.load_region_tree(session)
    europe = session.scalar(select(Region.id).where(Region.name == "Europe"))
    america = session.scalar(select(Region.id).where(Region.name == "North America"))
    new = org.add_region(session, director, "  Benelux ", europe)
    assert session.get(Region, new).name == "Benelux"
    with pytest.raises(ValidationFailed, match="already a region"):
        org.add_region(session, director, "benelux", europe)
    org.rename_region(session, director, new, "Low Countries")
    org.move_region(session, director, new, america)
    assert session.get(Region, new).parent_id == america
    with pytest.raises(ValidationFailed, match="its own subtree"):
        org.move_region(session, director, america, new)
    with pytest.raises(ValidationFailed, match="cannot be moved"):
        org.move_region(session, director, tree.root_id, new)
    org.retire_region(session, director, new)
    assert session.get(Region, new).active is False
    with pytest.raises(ValidationFailed, match="active people"):
        org.retire_region(session, director, actor_named(session, "rep").region_id)
    actions = session.scalars(
        select(AuditLog.action).where(AuditLog.entity == "region", AuditLog.entity_id == new)
    ).all()
    assert actions == ["add", "rename", "move", "retire"]


def test_only_directors_and_admins_change_the_organisation(session):
    for username in ("manager", "rep"):
        who = actor_named(session, username)
        with pytest.raises(PermissionDenied):
            org.add_region(session, who, "Nowhere", org.load_region_tree(session).root_id)
        with pytest.raises(PermissionDenied):
            org.set_hire_date(session, who, who.id, date(2020, 1, 1))
    admin = actor_named(session, "admin")
    org.add_region(session, admin, "Admin-made", org.load_region_tree(session).root_id)


def test_an_assigned_manager_acts_on_the_new_region(session, director):
    europe = session.scalar(select(Region.id).where(Region.name == "Europe"))
    manager = actor_named(session, "manager")
    assert europe not in manager.scope_region_ids
    org.assign_manager(session, director, europe, manager.id)
    assert europe in load_actor(session, manager.id).scope_region_ids
    with pytest.raises(ValidationFailed, match="already manages"):
        org.assign_manager(session, director, europe, manager.id)
    rep = actor_named(session, "rep")
    with pytest.raises(ValidationFailed, match="not an active manager"):
        org.assign_manager(session, director, europe, rep.id)
    org.remove_manager(session, director, europe, manager.id)
    assert session.get(RegionManager, (europe, manager.id)) is None


def test_moving_a_rep_keeps_past_months_with_the_old_region_and_later_ones_with_the_new(
    session, director
):
    rep = session.scalar(select(Person).where(Person.username == "rep"))
    old_region = rep.region_id
    new_region = session.scalar(select(Region.id).where(Region.name == "Nordics"))
    info = plans.create_plan(
        session, director, fiscal_year=YEAR, company_target=Decimal(1_200_000), method="equal"
    )
    before = target_rows(session, info.id)
    customer_id = session.scalar(select(Deal.customer_id).where(Deal.owner_id == rep.id))
    won_early = Deal(
        name="Early win", customer_id=customer_id, owner_id=rep.id, region_id=old_region,
        amount=Decimal(500), stage_id=1, status="won", created_on=date(YEAR, 1, 1),
        expected_close=date(YEAR, 2, 1), closed_on=date(YEAR, 2, 1),
        stage_entered_on=date(YEAR, 2, 1), forecast_category="commit",
    )  # fmt: skip
    session.add(won_early)
    session.flush()
    moved = org.move_person(session, director, rep.id, new_region, date(YEAR, 7, 15))
    after = target_rows(session, info.id)
    mine = after[after.person_id == rep.id].sort_values("month")
    assert set(mine[mine.month < date(YEAR, 7, 1)].region_id) == {old_region}
    assert set(mine[mine.month >= date(YEAR, 7, 1)].region_id) == {new_region}
    assert (
        mine.amount.tolist()
        == before[before.person_id == rep.id].sort_values("month").amount.tolist()
    )
    assert sum_problems(session, info.id) == []
    assert moved["target_rows"] >= 6
    open_regions = set(
        session.scalars(
            select(Deal.region_id).where(Deal.owner_id == rep.id, Deal.status == "open")
        )
    )
    assert open_regions <= {new_region}
    assert session.get(Deal, won_early.id).region_id == old_region
    assert session.get(Person, rep.id).region_id == new_region


def test_setting_a_hire_date_is_audited(session, director):
    rep = actor_named(session, "rep")
    org.set_hire_date(session, director, rep.id, date(YEAR, 3, 1))
    assert session.get(Person, rep.id).hire_date == date(YEAR, 3, 1)
    entry = session.scalar(select(AuditLog).where(AuditLog.action == "set_hire_date"))
    assert entry.after == {"hire_date": f"{YEAR}-03-01"}


def test_moving_a_rep_leaves_locked_plans_as_they_were(session, director):
    rep = session.scalar(select(Person).where(Person.username == "rep"))
    new_region = session.scalar(select(Region.id).where(Region.name == "Nordics"))
    info = plans.create_plan(
        session, director, fiscal_year=YEAR, company_target=Decimal(1_200_000), method="equal"
    )
    session.get(TargetPlan, info.id).status = "locked"
    session.flush()
    before = target_rows(session, info.id)
    org.move_person(session, director, rep.id, new_region, date(YEAR, 7, 15))
    after = target_rows(session, info.id)
    assert (
        after.sort_values(["region_id", "person_id", "month"])
        .reset_index(drop=True)
        .equals(before.sort_values(["region_id", "person_id", "month"]).reset_index(drop=True))
    )
    assert session.get(Person, rep.id).region_id == new_region
