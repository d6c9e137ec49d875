"""Who may do what. Every service asks here with the acting user; the UI only mirrors it.

- Directors and admins act everywhere.
- A manager acts within the subtree of the regions they manage (their own region if none).
- A rep acts on their own customers and deals only.
- A deactivated person acts on nothing.
- Reading: every customer is visible to everyone, but the amounts and notes of a deal or an
  activity only to those whose scope covers it (`deals_in_view`, `activities_in_view`): the
  owner, the deal's team, managers of its region, directors and admins. Others see that it
  exists (owner, stage, expected close), so two reps do not pursue the same opportunity.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from core.errors import NotFound, PermissionDenied
from core.i18n import N_, _
from core.models import Actor, Role
from core.org.regions import load_region_tree, managed_region_ids
from db.schema import Activity, Deal, DealTeamMember, Person

SYSTEM_ACTOR = Actor(id=None, name="manage.py", username="administrator", role=Role.ADMIN)
"""The command line acts as an administrator and is recorded as such in the audit log."""

ROLE_NAMES: dict[str, str] = {
    Role.ADMIN: N_("admin"),
    Role.DIRECTOR: N_("director"),
    Role.MANAGER: N_("manager"),
    Role.REP: N_("rep"),
}
"""How a role reads inside a sentence (English: its code)."""


def load_actor(session: Session, person_id: int) -> Actor:
    """The acting user with the set of regions they may act in."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(_("No person with id {person_id}.").format(person_id=person_id))
    role = Role(person.role)
    scope: frozenset[int] | None = None
    if role == Role.MANAGER:
        tree = load_region_tree(session)
        roots = managed_region_ids(session, person.id) or (
            [person.region_id] if person.region_id else []
        )
        scope = frozenset().union(*(tree.subtree(r) for r in roots)) if roots else frozenset()
    elif role == Role.REP:
        scope = frozenset([person.region_id]) if person.region_id else frozenset()
    return Actor(
        id=person.id,
        name=person.name,
        username=person.username,
        role=role,
        region_id=person.region_id,
        scope_region_ids=scope,
        active=person.active,
        language=person.language,
    )


def ensure_active(actor: Actor) -> None:
    if not actor.active:
        raise PermissionDenied(
            _("{name} is deactivated and cannot make changes.").format(name=actor.name)
        )


def ensure_role(actor: Actor, *roles: Role, action: str) -> None:
    """Refuse unless the actor has one of `roles` (directors and admins always pass)."""
    ensure_active(actor)
    if actor.sees_everything or actor.role in roles:
        return
    names = [_(ROLE_NAMES[r]) for r in sorted(r.value for r in {*roles, Role.DIRECTOR, Role.ADMIN})]
    raise PermissionDenied(
        _("Only {allowed} may {action}; you are signed in as {role}.").format(
            allowed=_(", ").join(names), action=action, role=_(ROLE_NAMES[actor.role])
        )
    )


def in_scope(actor: Actor, region_id: int | None) -> bool:
    """Whether a region lies in the actor's area (everyone's area for directors and admins)."""
    if actor.sees_everything:
        return True
    return (
        region_id is not None
        and actor.scope_region_ids is not None
        and (region_id in actor.scope_region_ids)
    )


def ensure_can_edit_record(
    actor: Actor, *, owner_id: int | None, region_id: int | None, what: str
) -> None:
    """A rep edits own records, a manager records in own subtree, directors/admins all."""
    ensure_active(actor)
    if actor.sees_everything:
        return
    if actor.role == Role.REP:
        if owner_id != actor.id:
            raise PermissionDenied(
                _("You can only change your own {what}; this one is not yours.").format(what=what)
            )
        return
    if not in_scope(actor, region_id):
        raise PermissionDenied(
            _("This {what} is outside the regions you manage.").format(what=what)
        )


def ensure_can_view_person(actor: Actor, *, person_id: int, region_id: int | None) -> None:
    """Figures of a person: reps see their own, managers their subtree, directors everyone."""
    if actor.sees_everything or person_id == actor.id:
        return
    if actor.role == Role.MANAGER and in_scope(actor, region_id):
        return
    raise PermissionDenied(_("You can only see figures of people in your own area."))


def scope_filter(actor: Actor, *, owner, region) -> list:
    """SQL conditions for the records in the actor's area, given a record's owner and region
    columns: a rep's own, a manager's subtree, everything for directors and admins."""
    if actor.sees_everything:
        return []
    if actor.role == Role.REP:
        return [owner == actor.id]
    return [region.in_(actor.scope_region_ids or frozenset())]


def deals_in_view(actor: Actor) -> ColumnElement[bool]:
    """SQL condition on `Deal`: the deals whose amounts and details the actor may read: own
    deals and deals whose team they are on, a manager's subtree, everything for directors and
    admins."""
    if actor.sees_everything:
        return true()
    conditions: list[ColumnElement[bool]] = [
        Deal.owner_id == actor.id,
        Deal.id.in_(select(DealTeamMember.deal_id).where(DealTeamMember.person_id == actor.id)),
    ]
    if actor.role == Role.MANAGER:
        conditions.append(Deal.region_id.in_(sorted(actor.scope_region_ids or ())))
    return or_(*conditions)


def activities_in_view(actor: Actor) -> ColumnElement[bool]:
    """SQL condition on `Activity`: the activities whose outcome and notes the actor may read:
    own activities, activities about a deal in view, activities by people of a manager's
    subtree, everything for directors and admins."""
    if actor.sees_everything:
        return true()
    conditions: list[ColumnElement[bool]] = [
        Activity.person_id == actor.id,
        Activity.deal_id.in_(select(Deal.id).where(deals_in_view(actor))),
    ]
    if actor.role == Role.MANAGER:
        in_area = Person.region_id.in_(sorted(actor.scope_region_ids or ()))
        conditions.append(Activity.person_id.in_(select(Person.id).where(in_area)))
    return or_(*conditions)
