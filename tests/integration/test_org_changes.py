"""Organisation changes: regions, managers, hire dates and moving people between regions, at
once or scheduled for a later month."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.errors import PermissionDenied, ValidationFailed
from core.org import changes as org
from core.org import views
from core.org.access import load_actor
from core.org.regions import load_region_tree
from core.plans.allocation import create_plan
from db.schema import (
    AuditLog,
    Deal,
    Person,
    Region,
    RegionManager,
    ScheduledOrgChange,
    TargetPlan,
)
from tests.plan_factories import actor_named, sum_problems, target_rows

YEAR = 2030


@pytest.fixture
def director(session):
    return actor_named(session, "director")


def test_a_director_adds_renames_moves_and_retires_a_region(session, director):
    tree = load_region_tree(session)
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
        select(AuditLog.action)
        .where(AuditLog.entity == "region", AuditLog.entity_id == new)
        .order_by(AuditLog.id)
    ).all()
    assert actions == ["add", "rename", "move", "retire"]


def test_only_directors_and_admins_change_the_organisation(session):
    for username in ("manager", "rep"):
        who = actor_named(session, username)
        with pytest.raises(PermissionDenied):
            org.add_region(session, who, "Nowhere", load_region_tree(session).root_id)
        with pytest.raises(PermissionDenied):
            org.set_hire_date(session, who, who.id, date(2020, 1, 1))
    admin = actor_named(session, "admin")
    org.add_region(session, admin, "Admin-made", load_region_tree(session).root_id)


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
    info = create_plan(
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
    moved = org.move_person(
        session, director, rep.id, new_region, date(YEAR, 7, 15), today=date(YEAR, 7, 15)
    )
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
    info = create_plan(
        session, director, fiscal_year=YEAR, company_target=Decimal(1_200_000), method="equal"
    )
    session.get(TargetPlan, info.id).status = "locked"
    session.flush()
    before = target_rows(session, info.id)
    org.move_person(
        session, director, rep.id, new_region, date(YEAR, 7, 15), today=date(YEAR, 7, 15)
    )
    after = target_rows(session, info.id)
    assert (
        after.sort_values(["region_id", "person_id", "month"])
        .reset_index(drop=True)
        .equals(before.sort_values(["region_id", "person_id", "month"]).reset_index(drop=True))
    )
    assert session.get(Person, rep.id).region_id == new_region


# --- moves dated in a later month -----------------------------------------------------------


def _deal_regions(session, owner_id: int) -> dict[int, int]:
    rows = session.execute(select(Deal.id, Deal.region_id).where(Deal.owner_id == owner_id))
    return {deal_id: region_id for deal_id, region_id in rows}


def _won(session, rep: Person, region_id: int, closed_on: date, name: str) -> Deal:
    customer_id = session.scalar(select(Deal.customer_id).where(Deal.owner_id == rep.id))
    deal = Deal(
        name=name, customer_id=customer_id, owner_id=rep.id, region_id=region_id,
        amount=Decimal(700), stage_id=1, status="won", created_on=date(YEAR, 1, 2),
        expected_close=closed_on, closed_on=closed_on, stage_entered_on=closed_on,
        forecast_category="commit",
    )  # fmt: skip
    session.add(deal)
    session.flush()
    return deal


def _sorted(frame):
    return frame.sort_values(["region_id", "person_id", "month"]).reset_index(drop=True)


def test_a_rep_moved_from_march_keeps_region_deals_and_targets_until_march(session, director):
    rep = session.scalar(select(Person).where(Person.username == "rep"))
    old_region = rep.region_id
    new_region = session.scalar(select(Region.id).where(Region.name == "Nordics"))
    info = create_plan(
        session, director, fiscal_year=YEAR, company_target=Decimal(1_200_000), method="equal"
    )
    won_in_february = _won(session, rep, old_region, date(YEAR, 2, 20), "February win")
    targets_before = target_rows(session, info.id)
    deals_before = _deal_regions(session, rep.id)
    open_deals = set(
        session.scalars(select(Deal.id).where(Deal.owner_id == rep.id, Deal.status == "open"))
    )
    assert open_deals and set(targets_before[targets_before.person_id == rep.id].region_id) == {
        old_region
    }

    result = org.move_person(
        session, director, rep.id, new_region, date(YEAR, 3, 15), today=date(YEAR, 1, 10)
    )
    assert result["target_rows"] == 0 and result["deals"] == 0
    change = session.get(ScheduledOrgChange, result["scheduled_change"])
    assert (change.status, change.effective_on, change.region_id) == (
        "scheduled",
        date(YEAR, 3, 1),
        new_region,
    )
    for last_day_before in (date(YEAR, 1, 10), date(YEAR, 2, 28)):
        assert org.apply_due_changes(session, last_day_before) == 0
        assert session.get(Person, rep.id).region_id == old_region
        assert _deal_regions(session, rep.id) == deals_before
        assert _sorted(target_rows(session, info.id)).equals(_sorted(targets_before))
        assert load_actor(session, rep.id).scope_region_ids == frozenset([old_region])

    won_in_march = _won(session, rep, old_region, date(YEAR, 3, 2), "March win")
    assert org.apply_due_changes(session, date(YEAR, 3, 4)) == 1  # first run on or after 1 March

    assert session.get(Person, rep.id).region_id == new_region
    assert load_actor(session, rep.id).scope_region_ids == frozenset([new_region])
    deals_after = _deal_regions(session, rep.id)
    assert {deals_after[d] for d in open_deals} == {new_region}
    assert deals_after[won_in_february.id] == old_region
    assert deals_after[won_in_march.id] == new_region
    after = target_rows(session, info.id)
    mine, mine_before = (
        frame[frame.person_id == rep.id].sort_values("month") for frame in (after, targets_before)
    )
    assert set(mine[mine.month < date(YEAR, 3, 1)].region_id) == {old_region}
    assert set(mine[mine.month >= date(YEAR, 3, 1)].region_id) == {new_region}
    assert mine.amount.tolist() == mine_before.amount.tolist()
    assert sum_problems(session, info.id) == []
    assert session.get(ScheduledOrgChange, change.id).status == "applied"

    assert org.apply_due_changes(session, date(YEAR, 4, 1)) == 0  # applied once only
    assert _sorted(target_rows(session, info.id)).equals(_sorted(after))
    assert _deal_regions(session, rep.id) == deals_after
    entries = session.execute(
        select(AuditLog.action, AuditLog.actor_label, AuditLog.after)
        .where(AuditLog.entity == "person", AuditLog.entity_id == rep.id)
        .order_by(AuditLog.id)
    ).all()
    assert [(action, who) for action, who, _ in entries] == [
        ("schedule_move", director.label),
        ("move", "Scheduled change (scheduler)"),
    ]
    assert entries[0].after["from_month"] == f"{YEAR}-03-01"
    assert entries[1].after["scheduled_change"] == change.id
    assert entries[1].after["scheduled_by"] == director.name


def test_cancelling_a_scheduled_move_leaves_everything_as_it_was(session, director):
    rep = session.scalar(select(Person).where(Person.username == "rep"))
    old_region = rep.region_id
    new_region = session.scalar(select(Region.id).where(Region.name == "Nordics"))
    info = create_plan(
        session, director, fiscal_year=YEAR, company_target=Decimal(1_200_000), method="equal"
    )
    targets_before = target_rows(session, info.id)
    deals_before = _deal_regions(session, rep.id)
    change_id = org.move_person(
        session, director, rep.id, new_region, date(YEAR, 3, 1), today=date(YEAR, 1, 10)
    )["scheduled_change"]
    assert views.scheduled_moves_table(session, director).id.tolist() == [change_id]

    org.cancel_scheduled_move(session, director, change_id)

    assert views.scheduled_moves_table(session, director).empty
    assert org.apply_due_changes(session, date(YEAR, 6, 1)) == 0
    assert session.get(Person, rep.id).region_id == old_region
    assert _deal_regions(session, rep.id) == deals_before
    assert _sorted(target_rows(session, info.id)).equals(_sorted(targets_before))
    assert session.get(ScheduledOrgChange, change_id).status == "cancelled"
    with pytest.raises(ValidationFailed, match="no longer waiting"):
        org.cancel_scheduled_move(session, director, change_id)
    actions = session.scalars(
        select(AuditLog.action)
        .where(AuditLog.entity == "person", AuditLog.entity_id == rep.id)
        .order_by(AuditLog.id)
    ).all()
    assert actions == ["schedule_move", "cancel_move"]


def test_reps_and_managers_cannot_schedule_or_cancel_moves(session, director):
    rep_row = session.scalar(select(Person).where(Person.username == "rep"))
    nordics = session.scalar(select(Region.id).where(Region.name == "Nordics"))
    change_id = org.move_person(
        session, director, rep_row.id, nordics, date(YEAR, 5, 1), today=date(YEAR, 1, 1)
    )["scheduled_change"]
    count = select(func.count()).select_from(ScheduledOrgChange)
    waiting = session.scalar(count)
    for username in ("rep", "manager"):
        who = actor_named(session, username)
        with pytest.raises(PermissionDenied):
            org.move_person(
                session, who, who.id, nordics, date(YEAR, 9, 1), today=date(YEAR, 1, 1)
            )
        with pytest.raises(PermissionDenied):
            org.cancel_scheduled_move(session, who, change_id)
        with pytest.raises(PermissionDenied):
            views.scheduled_moves_table(session, who)
    assert session.scalar(count) == waiting
    assert session.get(ScheduledOrgChange, change_id).status == "scheduled"
    assert session.get(Person, rep_row.id).region_id != nordics


def test_a_move_from_this_month_or_earlier_happens_at_once(session, director):
    rep = session.scalar(select(Person).where(Person.username == "rep"))
    old_region = rep.region_id
    nordics = session.scalar(select(Region.id).where(Region.name == "Nordics"))
    moved = org.move_person(
        session, director, rep.id, nordics, date(YEAR, 3, 1), today=date(YEAR, 3, 31)
    )
    assert moved["scheduled_change"] is None
    assert session.get(Person, rep.id).region_id == nordics
    back = org.move_person(
        session, director, rep.id, old_region, date(YEAR, 1, 1), today=date(YEAR, 3, 31)
    )
    assert back["scheduled_change"] is None
    assert session.get(Person, rep.id).region_id == old_region
    assert session.scalar(select(func.count()).select_from(ScheduledOrgChange)) == 0


def test_one_move_waits_per_person_and_its_destination_cannot_be_retired(session, director):
    rep = session.scalar(select(Person).where(Person.username == "rep"))
    europe = session.scalar(select(Region.id).where(Region.name == "Europe"))
    new_team = org.add_region(session, director, "Scheduled team", europe)
    org.move_person(session, director, rep.id, new_team, date(YEAR, 6, 1), today=date(YEAR, 1, 1))
    with pytest.raises(ValidationFailed, match="already has a move scheduled from June"):
        org.move_person(
            session, director, rep.id, europe, date(YEAR, 2, 1), today=date(YEAR, 1, 1)
        )
    with pytest.raises(ValidationFailed, match="scheduled move"):
        org.retire_region(session, director, new_team)
    table = views.scheduled_moves_table(session, director)
    assert table[["person", "to_region", "from_month", "scheduled_by"]].values.tolist() == [
        [rep.name, "Scheduled team", date(YEAR, 6, 1), director.name]
    ]
    assert table.from_region.tolist() == [session.get(Region, rep.region_id).name]
