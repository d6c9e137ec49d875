"""The permission rules on plain Actor objects: each grant and each refusal."""

import pytest

from core.errors import PermissionDenied
from core.models import Actor, Role
from core.org.access import (
    ensure_can_edit_record,
    ensure_can_view_person,
    ensure_role,
    in_scope,
)

DIRECTOR = Actor(id=1, name="Dana", username="director", role=Role.DIRECTOR)
ADMIN = Actor(id=2, name="Alex", username="admin", role=Role.ADMIN)
MANAGER = Actor(
    id=3,
    name="Mia",
    username="manager",
    role=Role.MANAGER,
    region_id=10,
    scope_region_ids=frozenset({10, 11, 12}),
)
REP = Actor(
    id=4, name="Ron", username="rep", role=Role.REP, region_id=11, scope_region_ids=frozenset({11})
)
GONE = Actor(id=5, name="Gus", username="gone", role=Role.DIRECTOR, active=False)


def test_directors_and_admins_edit_any_record():
    for actor in (DIRECTOR, ADMIN):
        ensure_can_edit_record(actor, owner_id=99, region_id=77, what="deal")


def test_a_rep_edits_own_records():
    ensure_can_edit_record(REP, owner_id=REP.id, region_id=11, what="deal")


def test_a_rep_cannot_edit_another_reps_record_even_in_the_same_region():
    with pytest.raises(PermissionDenied, match="your own deal"):
        ensure_can_edit_record(REP, owner_id=98, region_id=11, what="deal")


def test_a_manager_edits_records_in_the_managed_subtree():
    ensure_can_edit_record(MANAGER, owner_id=98, region_id=12, what="customer")


def test_a_manager_cannot_edit_outside_the_managed_subtree():
    with pytest.raises(PermissionDenied, match="outside the regions you manage"):
        ensure_can_edit_record(MANAGER, owner_id=98, region_id=20, what="customer")


def test_a_deactivated_person_can_change_nothing():
    with pytest.raises(PermissionDenied, match="deactivated"):
        ensure_can_edit_record(GONE, owner_id=1, region_id=1, what="deal")
    with pytest.raises(PermissionDenied, match="deactivated"):
        ensure_role(GONE, action="approve plans")


def test_role_checks_let_directors_through_and_name_who_may_act():
    ensure_role(DIRECTOR, Role.MANAGER, action="reassign customers")
    ensure_role(MANAGER, Role.MANAGER, action="reassign customers")
    with pytest.raises(PermissionDenied, match="admin, director, manager may reassign"):
        ensure_role(REP, Role.MANAGER, action="reassign customers")


def test_scope_of_each_role():
    assert in_scope(DIRECTOR, 999)
    assert in_scope(MANAGER, 11) and not in_scope(MANAGER, 20)
    assert not in_scope(MANAGER, None)


def test_who_may_see_a_persons_figures():
    ensure_can_view_person(REP, person_id=REP.id, region_id=11)
    ensure_can_view_person(MANAGER, person_id=98, region_id=12)
    ensure_can_view_person(DIRECTOR, person_id=98, region_id=50)
    with pytest.raises(PermissionDenied):
        ensure_can_view_person(REP, person_id=98, region_id=11)
    with pytest.raises(PermissionDenied):
        ensure_can_view_person(MANAGER, person_id=98, region_id=20)
