"""The sales organisation: the region tree and who manages what.

The tree is small (tens of nodes even in large companies), so it is read whole and walked in
Python; the big tables (deals, customers) are filtered with the resulting id sets in SQL.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pandas as pd
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from core.errors import NotFound, ValidationFailed
from core.models import Actor, Role
from core.org import audit
from db.schema import (
    Deal,
    DealStatus,
    Person,
    PlanStatus,
    Region,
    RegionManager,
    Target,
    TargetPlan,
)


@dataclass(frozen=True)
class RegionTree:
    names: dict[int, str]
    parents: dict[int, int | None]
    children: dict[int | None, list[int]] = field(default_factory=dict)

    @property
    def root_id(self) -> int | None:
        roots = self.children.get(None, [])
        return roots[0] if roots else None

    def subtree(self, region_id: int) -> set[int]:
        """The region and every region below it."""
        out, stack = set(), [region_id]
        while stack:
            node = stack.pop()
            if node not in out:
                out.add(node)
                stack.extend(self.children.get(node, []))
        return out

    def path(self, region_id: int) -> list[int]:
        """From the root down to the region."""
        out: list[int] = []
        node: int | None = region_id
        while node is not None:
            out.append(node)
            node = self.parents.get(node)
        return out[::-1]


def load_region_tree(session: Session) -> RegionTree:
    rows = session.execute(select(Region.id, Region.name, Region.parent_id).order_by(Region.name))
    names, parents, children = {}, {}, defaultdict(list)
    for region_id, name, parent_id in rows:
        names[region_id] = name
        parents[region_id] = parent_id
        children[parent_id].append(region_id)
    return RegionTree(names=names, parents=parents, children=dict(children))


def managed_region_ids(session: Session, person_id: int) -> list[int]:
    return list(
        session.scalars(select(RegionManager.region_id).where(RegionManager.person_id == person_id))
    )


# --------------------------------------------------------------------------- changes
# Write services for the Organisation page (directors and administrators). Every change is
# audited in the same transaction.


def _ensure_org_admin(actor: Actor, action: str) -> None:
    from core.org.access import ensure_role  # permissions reads the tree from this module

    ensure_role(actor, Role.DIRECTOR, action=action)


def _region(session: Session, region_id: int) -> Region:
    region = session.get(Region, region_id)
    if region is None:
        raise NotFound(f"No region with id {region_id}.")
    return region


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed("A region needs a name.")
    if len(name) > 120:
        raise ValidationFailed("A region name has at most 120 characters.")
    return name


def _ensure_unique_name(session: Session, name: str, except_id: int | None = None) -> None:
    clash = session.scalar(select(Region.id).where(func.lower(Region.name) == name.lower()))
    if clash is not None and clash != except_id:
        raise ValidationFailed(f"There is already a region called '{name}'.")


def add_region(session: Session, actor: Actor, name: str, parent_id: int) -> int:
    """A new region (or team) under an active parent."""
    _ensure_org_admin(actor, "add regions")
    name = _clean_name(name)
    parent = _region(session, parent_id)
    if not parent.active:
        raise ValidationFailed(f"{parent.name} is retired; choose an active parent region.")
    _ensure_unique_name(session, name)
    region = Region(name=name, parent_id=parent.id, active=True)
    session.add(region)
    session.flush()
    audit.record(
        session, actor, "add", "region", region.id, after={"name": name, "parent": parent.name}
    )
    return region.id


def rename_region(session: Session, actor: Actor, region_id: int, name: str) -> None:
    _ensure_org_admin(actor, "rename regions")
    region = _region(session, region_id)
    name = _clean_name(name)
    _ensure_unique_name(session, name, except_id=region.id)
    audit.record(
        session,
        actor,
        "rename",
        "region",
        region.id,
        before={"name": region.name},
        after={"name": name},
    )
    region.name = name
    session.flush()


def move_region(session: Session, actor: Actor, region_id: int, new_parent_id: int) -> None:
    """Hang a region (with its subtree) under another parent; never under itself."""
    _ensure_org_admin(actor, "move regions")
    region = _region(session, region_id)
    parent = _region(session, new_parent_id)
    if region.parent_id is None:
        raise ValidationFailed("The company (the top of the tree) cannot be moved.")
    if parent.id in load_region_tree(session).subtree(region.id):
        raise ValidationFailed(
            f"{region.name} cannot move under {parent.name}: that region is part of its own "
            "subtree."
        )
    if not parent.active:
        raise ValidationFailed(f"{parent.name} is retired; choose an active parent region.")
    before = _region(session, region.parent_id).name
    region.parent_id = parent.id
    audit.record(
        session,
        actor,
        "move",
        "region",
        region.id,
        before={"parent": before},
        after={"parent": parent.name},
    )
    session.flush()


def retire_region(session: Session, actor: Actor, region_id: int) -> None:
    """Retire an empty region: no active sub-regions and no active people in it. Its history
    (targets, deals, customers) stays; new plans leave it out."""
    _ensure_org_admin(actor, "retire regions")
    region = _region(session, region_id)
    if region.parent_id is None:
        raise ValidationFailed("The company (the top of the tree) cannot be retired.")
    active_children = session.scalar(
        select(func.count()).where(Region.parent_id == region.id, Region.active.is_(True))
    )
    if active_children:
        raise ValidationFailed(
            f"{region.name} still has {active_children} active sub-region(s); retire or move them "
            "first."
        )
    people = session.scalar(
        select(func.count()).where(Person.region_id == region.id, Person.active.is_(True))
    )
    if people:
        raise ValidationFailed(
            f"{region.name} still has {people} active people; move them to another region first."
        )
    region.active = False
    audit.record(
        session,
        actor,
        "retire",
        "region",
        region.id,
        before={"active": True},
        after={"active": False},
    )
    session.flush()


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    return person


def assign_manager(session: Session, actor: Actor, region_id: int, person_id: int) -> None:
    """Make an active manager (or director) responsible for a region and its subtree."""
    _ensure_org_admin(actor, "assign managers")
    region = _region(session, region_id)
    person = _person(session, person_id)
    if not person.active or person.role not in (Role.MANAGER, Role.DIRECTOR):
        raise ValidationFailed(
            f"{person.name} is not an active manager; only managers and directors manage regions."
        )
    exists = session.get(RegionManager, (region.id, person.id))
    if exists is not None:
        raise ValidationFailed(f"{person.name} already manages {region.name}.")
    session.add(RegionManager(region_id=region.id, person_id=person.id))
    audit.record(
        session, actor, "assign_manager", "region", region.id, after={"manager": person.name}
    )
    session.flush()


def remove_manager(session: Session, actor: Actor, region_id: int, person_id: int) -> None:
    _ensure_org_admin(actor, "remove managers")
    link = session.get(RegionManager, (region_id, person_id))
    if link is None:
        raise NotFound("That person does not manage that region.")
    name = _person(session, person_id).name
    session.delete(link)
    audit.record(session, actor, "remove_manager", "region", region_id, before={"manager": name})
    session.flush()


def set_hire_date(session: Session, actor: Actor, person_id: int, hire_date: date | None) -> None:
    """The hire date drives the new-hire ramp of the next plans."""
    _ensure_org_admin(actor, "set hire dates")
    person = _person(session, person_id)
    audit.record(
        session,
        actor,
        "set_hire_date",
        "person",
        person.id,
        before={"hire_date": person.hire_date},
        after={"hire_date": hire_date},
    )
    person.hire_date = hire_date
    session.flush()


def _ancestors(tree: RegionTree, region_id: int) -> list[int]:
    return tree.path(region_id)


def move_person(
    session: Session, actor: Actor, person_id: int, region_id: int, from_month: date
) -> dict[str, int]:
    """Move a person to another region from a given month on.

    - Monthly target rows before that month keep the old region; rows from that month on
      carry the new one, and the region rows of both paths change by the same amounts, so every
      level still adds up (the rep takes their target with them). Locked plans are history
      and stay as they were.
    - Open deals follow the person, and so do deals won from that month on; deals won before
      stay credited to the old region.
    Returns how many target rows and deals moved.
    """
    _ensure_org_admin(actor, "move people between regions")
    person = _person(session, person_id)
    target = _region(session, region_id)
    if not target.active:
        raise ValidationFailed(f"{target.name} is retired; choose an active region.")
    if person.region_id == target.id:
        raise ValidationFailed(f"{person.name} is already in {target.name}.")
    start = date(from_month.year, from_month.month, 1)
    tree = load_region_tree(session)
    moved_rows = 0
    open_plans = select(TargetPlan.id).where(TargetPlan.status != PlanStatus.LOCKED)
    rows = session.execute(
        select(Target.id, Target.plan_id, Target.region_id, Target.month, Target.amount).where(
            Target.person_id == person.id,
            Target.month >= start,
            Target.region_id != target.id,
            Target.plan_id.in_(open_plans),
        )
    ).all()
    new_path = set(_ancestors(tree, target.id))
    for row_id, plan_id, old_region, month, amount in rows:
        old_path = set(_ancestors(tree, old_region))
        for region, sign in [(r, -1) for r in old_path - new_path] + [
            (r, 1) for r in new_path - old_path
        ]:
            region_row = session.scalar(
                select(Target).where(
                    Target.plan_id == plan_id,
                    Target.region_id == region,
                    Target.person_id.is_(None),
                    Target.month == month,
                )
            )
            if region_row is None:
                region_row = Target(
                    plan_id=plan_id,
                    region_id=region,
                    person_id=None,
                    month=month,
                    amount=Decimal(0),
                    locked=False,
                )
                session.add(region_row)
            region_row.amount = Decimal(region_row.amount) + sign * Decimal(amount)
        session.execute(update(Target).where(Target.id == row_id).values(region_id=target.id))
        moved_rows += 1
    deals = session.execute(
        update(Deal)
        .where(
            Deal.owner_id == person.id,
            Deal.region_id != target.id,
            or_(
                Deal.status == DealStatus.OPEN,
                and_(Deal.status == DealStatus.WON, Deal.closed_on >= start),
            ),
        )
        .values(region_id=target.id)
    ).rowcount
    before = _region(session, person.region_id).name if person.region_id else None
    person.region_id = target.id
    audit.record(
        session,
        actor,
        "move",
        "person",
        person.id,
        before={"region": before},
        after={
            "region": target.name,
            "from_month": start,
            "target_rows": moved_rows,
            "deals": deals,
        },
    )
    session.flush()
    return {"target_rows": moved_rows, "deals": deals}


def regions_table(session: Session) -> pd.DataFrame:
    """Every region with its path, status, managers and number of active people."""
    tree = load_region_tree(session)
    active = dict(session.execute(select(Region.id, Region.active)).all())
    managers: dict[int, list[str]] = defaultdict(list)
    for region_id, name in session.execute(
        select(RegionManager.region_id, Person.name)
        .join(Person, Person.id == RegionManager.person_id)
        .order_by(Person.name)
    ):
        managers[region_id].append(name)
    people = dict(
        session.execute(
            select(Person.region_id, func.count())
            .where(Person.active.is_(True))
            .group_by(Person.region_id)
        ).all()
    )
    rows = []
    for region_id in sorted(tree.names, key=lambda r: [tree.names[p] for p in tree.path(r)]):
        depth = len(tree.path(region_id)) - 1
        parent = tree.parents.get(region_id)
        rows.append(
            {
                "id": region_id,
                "region": "\u2003" * depth + tree.names[region_id],
                "parent": tree.names.get(parent, "") if parent else "",
                "active": bool(active.get(region_id, True)),
                "managers": ", ".join(managers.get(region_id, [])),
                "people": int(people.get(region_id, 0)),
            }
        )
    return pd.DataFrame(rows, columns=["id", "region", "parent", "active", "managers", "people"])


def people_table(session: Session) -> pd.DataFrame:
    """Everyone with role, region, hire date and whether they are active."""
    rows = session.execute(
        select(
            Person.id,
            Person.name,
            Person.username,
            Person.role,
            Region.name,
            Person.hire_date,
            Person.active,
        )
        .outerjoin(Region, Region.id == Person.region_id)
        .order_by(Person.active.desc(), Person.name)
    ).all()
    return pd.DataFrame(
        rows, columns=["id", "name", "username", "role", "region", "hire_date", "active"]
    )
