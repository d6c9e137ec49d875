"""The permission flags of a plan's read models say exactly what the write services allow.

For every role (director, the manager of the region, a manager of another region, a rep of the
region, an administrator) and every plan status (draft, submitted, approved, locked, and an
approved version that is no longer the newest), each flag is compared with the outcome of
calling its service on a real database: the call succeeds exactly when the flag is true.
Every call runs in a savepoint that is rolled back, so each one sees the same plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from core.errors import DomainError, PermissionDenied
from core.models import Actor
from core.plans import bottom_up
from core.plans.allocation import create_plan, resplit_region
from core.plans.files import upload_plan
from core.plans.grid import TargetEdits, part_key, region_grid, save_edits
from core.plans.rules import PlanState, plan_permissions
from core.plans.views import compare_versions, get_plan, plan_table
from core.plans.workflow import (
    approve_plan,
    lock_plan,
    new_version,
    return_to_draft,
    submit_plan,
)
from db.schema import PlanStatus, Region
from tests.plan_factories import actor_named

YEAR = 2031
REGION = "North America"  # managed by `manager`; `rep` works in its subtree
OTHER_REGION = "Europe"  # managed by `manager.2`

ROLES = {
    "director": "director",
    "manager of the region": "manager",
    "manager of another region": "manager.2",
    "rep": "rep",
    "admin": "admin",
}
STATES = ["draft", "submitted", "approved", "locked", "approved, older version"]


@dataclass
class Plan:
    """The plan version under test and what the calls need."""

    id: int
    version: int
    lock_version: int
    region_id: int
    other_region_id: int
    upload: object


def _region_id(session, name: str) -> int:
    return session.scalar(select(Region.id).where(Region.name == name))


def _first_sub_region(session, region_id: int) -> int:
    return session.scalar(
        select(Region.id).where(Region.parent_id == region_id).order_by(Region.id).limit(1)
    )


def _plan_in_state(session, state: str) -> Plan:
    """v1 approved and v2 copied from it as a draft; v2 then moved to `state` (or v1 is the
    version under test for the older approved version)."""
    director = actor_named(session, "director")
    first = create_plan(
        session, director, fiscal_year=YEAR, company_target=Decimal(9_000_000), method="equal"
    )
    approve_plan(session, director, first.id)
    info = new_version(session, director, first.id)
    if state in ("submitted",):
        info = submit_plan(session, director, info.id)
    if state in ("approved", "locked"):
        info = approve_plan(session, director, info.id)
    if state == "locked":
        info = lock_plan(session, director, info.id)
    if state == "approved, older version":
        info = get_plan(session, director, YEAR, first.version)
    session.flush()
    return Plan(
        id=info.id,
        version=info.version,
        lock_version=info.lock_version,
        region_id=_region_id(session, REGION),
        other_region_id=_region_id(session, OTHER_REGION),
        upload=plan_table(session, director, info.id),
    )


def _own_region(actor: Actor, plan: Plan) -> int:
    """Where the actor would change targets: the region they manage (the region for others)."""
    if actor.username == "manager.2":
        return plan.other_region_id
    return plan.region_id


def _lock_a_row(session, actor: Actor, plan: Plan, region_id: int):
    row = part_key("region", _first_sub_region(session, region_id))
    return save_edits(
        session,
        actor,
        plan.id,
        region_id,
        TargetEdits(locks={row: True}),
        expected_lock_version=plan.lock_version,
    )


Call = Callable[[object, Actor, Plan], object]

PLAN_FLAGS: dict[str, Call] = {
    "can_allocate": lambda s, a, p: create_plan(
        s, a, fiscal_year=YEAR, company_target=Decimal(8_000_000), method="equal",
        expected_lock_version=get_plan(s, a, YEAR).lock_version,
    ),  # fmt: skip
    "can_submit": lambda s, a, p: submit_plan(s, a, p.id, expected_lock_version=p.lock_version),
    "can_approve": lambda s, a, p: approve_plan(s, a, p.id, expected_lock_version=p.lock_version),
    "can_return_to_draft": lambda s, a, p: return_to_draft(
        s, a, p.id, expected_lock_version=p.lock_version
    ),
    "can_lock": lambda s, a, p: lock_plan(s, a, p.id, expected_lock_version=p.lock_version),
    "can_new_version": lambda s, a, p: new_version(s, a, p.id),
    "can_upload": lambda s, a, p: upload_plan(
        s, a, p.id, p.upload, expected_lock_version=p.lock_version
    ),
    "can_compare": lambda s, a, p: compare_versions(s, a, YEAR, 1, 2),
    "can_edit": lambda s, a, p: _lock_a_row(s, a, p, _own_region(a, p)),
}
"""Flags on the plan header (PlanInfo.permissions) and the service each one stands for."""

GRID_FLAGS: dict[str, Call] = {
    "can_edit": lambda s, a, p: _lock_a_row(s, a, p, p.region_id),
    "can_resplit": lambda s, a, p: resplit_region(
        s, a, p.id, p.region_id, "equal", expected_lock_version=p.lock_version
    ),
    "can_commit": lambda s, a, p: bottom_up.set_commitments(
        s, a, YEAR, {0: Decimal(1000)}, region_id=p.region_id
    ),
}
"""Flags on the region's grid (RegionGrid) for the region, and their services."""


def _succeeds(session, call: Call, actor: Actor, plan: Plan) -> tuple[bool, object]:
    savepoint = session.begin_nested()
    try:
        return True, call(session, actor, plan)
    except DomainError as exc:
        return False, exc
    finally:
        savepoint.rollback()


def _outcomes(session, state: str) -> dict[tuple[str, str, str], bool]:
    """Every (role, where, flag) of one state, checked against its service."""
    results: dict[tuple[str, str, str], bool] = {}
    outer = session.begin_nested()
    try:
        plan = _plan_in_state(session, state)
        for role, username in ROLES.items():
            actor = actor_named(session, username)
            info = get_plan(session, actor, YEAR, plan.version)
            flags = info.permissions.model_dump()
            for flag, call in PLAN_FLAGS.items():
                ok, outcome = _succeeds(session, call, actor, plan)
                assert ok == flags[flag], f"{state}, {role}: {flag}={flags[flag]} but {outcome!r}"
                results[(role, "plan", flag)] = ok
            ok, edited = _succeeds(session, PLAN_FLAGS["can_edit"], actor, plan)
            if ok:
                new = edited.version != plan.version
                assert new == flags["edit_starts_new_version"], f"{state}, {role}"
            viewable, grid = _succeeds(
                session, lambda s, a, p: region_grid(s, a, p.id, p.region_id), actor, plan
            )
            for flag, call in GRID_FLAGS.items():
                ok, outcome = _succeeds(session, call, actor, plan)
                if viewable:
                    shown = getattr(grid, flag)
                    assert ok == shown, f"{state}, {role}: grid {flag}={shown} but {outcome!r}"
                    if flag == "can_edit":
                        assert (grid.edit_refusal is None) == ok
                else:
                    assert isinstance(grid, PermissionDenied)
                    assert not ok, f"{state}, {role}: {flag} allowed on a region they cannot see"
                results[(role, "grid", flag)] = ok
    finally:
        outer.rollback()
    return results


def test_every_flag_equals_what_its_service_allows_for_every_role_and_status(session):
    table = {state: _outcomes(session, state) for state in STATES}
    # the table is not vacuous: each flag is granted somewhere and refused somewhere
    for _, where, flag in table["draft"]:
        seen = {table[state][(role, where, flag)] for state in STATES for role in ROLES}
        assert seen == {True, False}, (where, flag)
    # and a few rules stated outright, independently of the flags
    draft, submitted, locked = table["draft"], table["submitted"], table["locked"]
    older = table["approved, older version"]
    assert draft[("manager of the region", "grid", "can_edit")]
    assert not submitted[("manager of the region", "grid", "can_edit")]
    assert submitted[("director", "grid", "can_edit")]
    assert not draft[("manager of another region", "plan", "can_approve")]
    assert draft[("manager of another region", "plan", "can_submit")]
    assert not draft[("rep", "plan", "can_submit")]
    assert locked[("admin", "plan", "can_new_version")]
    assert not older[("director", "plan", "can_new_version")]
    assert not older[("director", "plan", "can_edit")]
    assert draft[("rep", "grid", "can_commit")] is False
    assert draft[("manager of the region", "grid", "can_commit")]


def test_a_deactivated_director_may_do_nothing_and_has_no_flag(session):
    outer = session.begin_nested()
    try:
        plan = _plan_in_state(session, "draft")
        director = actor_named(session, "director").model_copy(update={"active": False})
        for flag, call in PLAN_FLAGS.items():
            ok, outcome = _succeeds(session, call, director, plan)
            assert not ok and isinstance(outcome, PermissionDenied), flag
        state = PlanState(YEAR, plan.version, PlanStatus.DRAFT, plan.version)
        flags = plan_permissions(director, state).model_dump()
        assert not any(flags.values()), flags
    finally:
        outer.rollback()
