"""Tables for the Organisation page: regions, people and the moves still to come."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from core.i18n import _
from core.models import Actor, Role
from core.org.access import ensure_role
from core.org.changes import SCHEDULED
from core.org.regions import load_region_tree
from db.schema import Person, Region, RegionManager, ScheduledOrgChange


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


def scheduled_moves_table(session: Session, actor: Actor) -> pd.DataFrame:
    """Moves that wait for their month (directors and administrators): who moves from which
    region to which, from when, and who scheduled it; the soonest first."""
    ensure_role(actor, Role.DIRECTOR, action=_("see scheduled moves"))
    current, destination = aliased(Region), aliased(Region)
    scheduled_by = aliased(Person)
    rows = session.execute(
        select(
            ScheduledOrgChange.id,
            Person.name,
            current.name,
            destination.name,
            ScheduledOrgChange.effective_on,
            scheduled_by.name,
            ScheduledOrgChange.created_at,
        )
        .join(Person, Person.id == ScheduledOrgChange.person_id)
        .outerjoin(current, current.id == Person.region_id)
        .join(destination, destination.id == ScheduledOrgChange.region_id)
        .outerjoin(scheduled_by, scheduled_by.id == ScheduledOrgChange.created_by_id)
        .where(ScheduledOrgChange.status == SCHEDULED)
        .order_by(ScheduledOrgChange.effective_on, Person.name, ScheduledOrgChange.id)
    ).all()
    return pd.DataFrame(
        rows,
        columns=["id", "person", "from_region", "to_region", "from_month", "scheduled_by",
                 "scheduled_at"],
    )  # fmt: skip
