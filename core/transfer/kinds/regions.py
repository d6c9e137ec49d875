"""Importing regions: matched by name, placed under their parent (the company when empty).

Parents are created before their children; a file whose regions form a loop is refused.
"""

from __future__ import annotations

from core.i18n import _
from core.org import audit
from core.org.company import get_setting
from core.transfer.formats import Kind, RegionRow
from core.transfer.import_context import ImportContext, ImportResult, repeated_in_file
from core.transfer.reading import ImportFailed, Problem
from db.schema import Region


def ensure_root(ctx: ImportContext, dry_run: bool) -> int | None:
    """The company node every region hangs under; created on the first import if missing."""
    if ctx.root_id is not None or dry_run:
        return ctx.root_id
    root = Region(name=str(get_setting(ctx.session, "company_name")), parent_id=None)
    ctx.session.add(root)
    ctx.session.flush()
    ctx.reload_tree()
    return root.id


def import_regions(ctx: ImportContext, dry_run: bool) -> ImportResult:
    rows: dict[str, tuple[int, RegionRow]] = {}
    seen: dict = {}
    for number, row, __ in ctx.rows.of(RegionRow):
        key = row.name.lower()
        if not repeated_in_file(ctx, number, "name", row.name, key, seen):
            rows[key] = (number, row)
    existing = ctx.region_ids()
    root_name = ctx.tree.names.get(ctx.root_id, "").lower() if ctx.root_id else ""
    for key, (number, row) in rows.items():
        if row.parent and row.parent.lower() not in existing and row.parent.lower() not in rows:
            ctx.problem(number, "parent", row.parent, _("unknown region"))
        if key == root_name and row.parent:
            ctx.problem(number, "name", row.name, _("is the company itself; it has no parent"))
    # cycles within the file: follow parents until a known region or the root
    for key, (number, row) in rows.items():
        path, node = {key}, row.parent.lower() if row.parent else None
        while node in rows:
            if node in path:
                ctx.problem(number, "parent", row.parent, _("the regions form a loop"))
                break
            path.add(node)
            parent = rows[node][1].parent
            node = parent.lower() if parent else None
    ctx.fail_if_problems()
    result = ImportResult(kind=Kind.REGIONS, dry_run=dry_run)
    root_id = ensure_root(ctx, dry_run)
    ids = dict(existing)
    # create parents before children
    order: list[str] = []
    placed: set[str] = set()

    def place(key: str) -> None:
        if key in placed:
            return
        parent = rows[key][1].parent
        if parent and parent.lower() in rows:
            place(parent.lower())
        placed.add(key)
        order.append(key)

    for key in rows:
        place(key)
    for key in order:
        number, row = rows[key]
        if key == root_name:
            result.unchanged += 1
            continue
        parent_key = row.parent.lower() if row.parent else None
        if key in existing:
            region = ctx.session.get_one(Region, existing[key])
            parent_id = ids.get(parent_key) if parent_key else root_id
            if dry_run and parent_key and parent_key not in ids:
                parent_id = -1  # a region created by this file: certainly a change
            if region.parent_id == parent_id:
                result.unchanged += 1
                continue
            if parent_id is not None and parent_id in ctx.tree.subtree(region.id):
                raise ImportFailed(
                    [Problem(row=number, column="parent", value=row.parent or "", reason="loop")]
                )
            result.updated += 1
            if not dry_run:
                before = {"parent_id": region.parent_id}
                region.parent_id = parent_id
                audit.record(
                    ctx.session,
                    ctx.actor,
                    "import",
                    "region",
                    region.id,
                    before=before,
                    after={"parent_id": parent_id},
                )
            continue
        result.created += 1
        if dry_run:
            ids[key] = -1
            continue
        region = Region(name=row.name, parent_id=ids[parent_key] if parent_key else root_id)
        ctx.session.add(region)
        ctx.session.flush()
        ids[key] = region.id
        audit.record(
            ctx.session,
            ctx.actor,
            "import",
            "region",
            region.id,
            after={"name": row.name, "parent": row.parent},
        )
    return result
