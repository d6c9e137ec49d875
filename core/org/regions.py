"""The sales organisation as read: the region tree and who manages what.

The changes to it live in core.org.changes, the tables for the Organisation page in
core.org.views. This module imports nothing else from core.org.

The tree is small (tens of nodes even in large companies), so it is read whole and walked in
Python; the big tables (deals, customers) are filtered with the resulting id sets in SQL.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.schema import Region, RegionManager


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
