"""Whose figures: the scopes a person may look at and the entities a report has rows for.

- A rep sees their own figures; a manager the regions they manage (each with its subtree);
  directors and admins the company and every region.
- An entity is the company, a region with its subtree, or a rep. Region-level figures are
  keyed by the region credited on the deal and rolled up over the subtree; a rep's by owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.i18n import _
from core.models import Actor, Period, Role
from core.org.access import ensure_can_view_person, in_scope
from core.org.regions import RegionTree, load_region_tree
from core.progress import figures
from db.schema import Deal, Person


@dataclass(frozen=True)
class Scope:
    """Whose figures: a set of regions (None = the whole company) or one rep."""

    label: str
    region_ids: frozenset[int] | None = None
    top_region_ids: tuple[int, ...] = ()
    person_id: int | None = None


def default_scope(session: Session, actor: Actor) -> Scope:
    """Rep: self; manager: the regions they manage; director and admin: the company."""
    tree = load_region_tree(session)
    if actor.role == Role.REP:
        return Scope(label=actor.name, person_id=actor.id)
    if actor.role == Role.MANAGER:
        ids = actor.scope_region_ids or frozenset()
        tops = tuple(r for r in ids if tree.parents.get(r) not in ids)
        label = ", ".join(sorted(tree.names[r] for r in tops)) or _("No region")
        return Scope(label=label, region_ids=ids, top_region_ids=tops)
    root = tree.root_id
    if root is None:
        return Scope(label="Company")
    return Scope(label=tree.names.get(root, "Company"), top_region_ids=(root,))


def region_scope(session: Session, actor: Actor, region_id: int) -> Scope:
    """A region with its subtree, if the actor may see it."""
    if not in_scope(actor, region_id) or actor.role == Role.REP:
        raise PermissionDenied(_("You can only see figures of regions you manage."))
    tree = load_region_tree(session)
    return Scope(
        label=tree.names[region_id],
        region_ids=frozenset(tree.subtree(region_id)),
        top_region_ids=(region_id,),
    )


def rep_scope(session: Session, actor: Actor, person_id: int) -> Scope:
    person = session.get(Person, person_id)
    if person is None:
        raise PermissionDenied(_("No such person."))
    ensure_can_view_person(actor, person_id=person_id, region_id=person.region_id)
    return Scope(label=person.name, person_id=person_id)


def scope_choices(session: Session, actor: Actor) -> list[tuple[str, str]]:
    """(key, label) of the scopes the actor may pick: the company (directors, admins), the
    regions in their area indented by depth, or just themselves (reps)."""
    if actor.role == Role.REP:
        return [(f"rep:{actor.id}", actor.name)]
    tree = load_region_tree(session)
    out: list[tuple[str, str]] = []
    if actor.sees_everything:
        root = tree.root_id
        name = tree.names.get(root, _("Company")) if root is not None else _("Company")
        says_company = "company" in name.lower() or _("Company") in name
        out.append(("company", name if says_company else _("{name} (company)").format(name=name)))
        tops = tree.children.get(root, []) if root is not None else []
    else:
        scope = actor.scope_region_ids or frozenset()
        tops = sorted(
            (r for r in scope if tree.parents.get(r) not in scope), key=lambda r: tree.names[r]
        )
        if len(tops) > 1:
            out.append(("default", _("All my regions")))
    for top in tops:
        top_depth = len(tree.path(top))
        for region_id in depth_first(tree, top):
            indent = "\u2003" * (len(tree.path(region_id)) - top_depth)
            out.append((f"region:{region_id}", f"{indent}{tree.names[region_id]}"))
    return out


def scope_for(session: Session, actor: Actor, key: str) -> Scope:
    """The Scope behind a key from scope_choices ("default" = the role's default scope)."""
    if key == "default":
        return default_scope(session, actor)
    if key == "company":
        if not actor.sees_everything:
            raise PermissionDenied(_("Only directors and admins see the company's figures."))
        return default_scope(session, actor)
    kind, __, value = key.partition(":")
    if kind == "region" and value.isdigit():
        return region_scope(session, actor, int(value))
    if kind == "rep" and value.isdigit():
        return rep_scope(session, actor, int(value))
    raise ValidationFailed(_("Unknown scope '{key}'.").format(key=key))


def scope_where(scope: Scope) -> list:
    """The deal conditions of a scope's figures: a rep's deals (and shares of split deals), a
    set of regions' credited deals, or nothing for the company."""
    if scope.person_id is not None:
        return [Deal.owner_id == scope.person_id]
    if scope.region_ids is not None:
        return [Deal.region_id.in_(scope.region_ids)]
    return []


# --- entities: who the rows of a report are about -------------------------------------------


@dataclass(frozen=True)
class Entity:
    """One row of a report: its figures are those of `base_keys` (region ids for the company
    and regions, {person id} for a rep; None = everything); its target is the own rows of
    `target_regions`, or the rep's rows."""

    level: str
    key: str
    entity: str
    label: str
    base_keys: frozenset[int] | None
    target_regions: tuple[int, ...] = ()
    person_id: int | None = None
    parent_key: str | None = None


def company_entity(tree: RegionTree) -> Entity:
    root = tree.root_id
    return Entity(
        level="company",
        key="company",
        entity="company",
        label=tree.names.get(root, "Company") if root else "Company",
        base_keys=None,
        target_regions=(root,) if root else (),
    )


def region_entity(tree: RegionTree, region_id: int) -> Entity:
    parent = tree.parents.get(region_id)
    return Entity(
        level="region",
        key=f"region:{region_id}",
        entity=tree.names[region_id],
        label=tree.names[region_id],
        base_keys=frozenset(tree.subtree(region_id)),
        target_regions=(region_id,),
        parent_key=f"region:{parent}" if parent is not None else None,
    )


def rep_entity(person: Person, *, key: str | None = None, label: str | None = None) -> Entity:
    return Entity(
        level="rep",
        key=key or f"rep:{person.id}",
        entity=person.email,
        label=label or person.name,
        base_keys=frozenset([person.id]),
        person_id=person.id,
        parent_key=f"region:{person.region_id}" if person.region_id is not None else None,
    )


def scope_entity(scope: Scope) -> Entity:
    """The scope itself as one entity (key "scope")."""
    if scope.person_id is not None:
        return Entity(
            level="rep",
            key="scope",
            entity=scope.label,
            label=scope.label,
            base_keys=frozenset([scope.person_id]),
            person_id=scope.person_id,
        )
    return Entity(
        level="region",
        key="scope",
        entity=scope.label,
        label=scope.label,
        base_keys=scope.region_ids,
        target_regions=scope.top_region_ids,
    )


def depth_first(tree: RegionTree, region_id: int) -> list[int]:
    out = [region_id]
    for child in tree.children.get(region_id, []):
        out.extend(depth_first(tree, child))
    return out


def region_named(tree: RegionTree, name: str) -> int:
    for region_id, region_name in tree.names.items():
        if region_name.casefold() == name.strip().casefold():
            return region_id
    raise NotFound(_("No region named '{name}'.").format(name=name))


def rep_entities(
    session: Session, period: Period, region_ids: frozenset[int] | None, today: date
) -> list[Entity]:
    """Reps with a target, a win or open pipeline in the period (within the regions)."""
    where = [Deal.region_id.in_(region_ids)] if region_ids is not None else []
    ids = set(figures.rep_targets_by_month(session, period, None, within_regions=region_ids))
    ids |= set(figures.won(session, period, by="owner", where=where))
    ids |= set(figures.open_pipeline(session, period, today, by="owner", where=where))
    if not ids:
        return []
    people = session.scalars(select(Person).where(Person.id.in_(ids)).order_by(Person.name))
    return [rep_entity(person) for person in people]
