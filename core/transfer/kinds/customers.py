"""Importing customers: matched on external_id, else by the same normalised name in their
region; never by a name that is only similar.

A row whose name looks like an existing customer's without being the same (北京华为技术 and
北京华为) is refused, naming both, so the user decides: give the existing customer's external_id,
or confirm that similar names are new customers. Nothing is merged or renamed on a guess.
A customer without a region is placed in its owner's region when the mapping says so, else at
the company level. Managers import customers of their own area only.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, TypeAlias

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from core.customers.duplicates import near_names
from core.customers.names import name_problem, normalize_name
from core.i18n import _
from core.org import audit
from core.org.access import in_scope
from core.transfer.formats import CustomerRow, Kind
from core.transfer.import_context import (
    ImportContext,
    ImportResult,
    batches,
    money_text,
    repeated_in_file,
    same_value,
    update_by_id,
)
from db.base import table_of
from db.bulk import bulk_insert
from db.schema import Customer

CUSTOMER_FIELDS = (
    "name",
    "region_id",
    "owner_id",
    "industry",
    "segment",
    "status",
    "annual_potential",
    "external_id",
)

Stored: TypeAlias = Row[*tuple[Any, ...]]
"""A customer as stored: its id, the fields above and its normalised name, by column name."""


def _customer_index(
    session: Session, external_ids: list[str], names: list[str]
) -> tuple[dict[str, Stored], dict[str, list[Stored]]]:
    """Existing customers by external_id and by (normalised name, region)."""
    cols = [Customer.id, *(getattr(Customer, f) for f in CUSTOMER_FIELDS), Customer.normalized_name]
    by_external: dict[str, Stored] = {}
    by_name: dict[str, list[Stored]] = {}
    for chunk in batches(sorted(set(external_ids))):
        for r in session.execute(select(*cols).where(Customer.external_id.in_(chunk))):
            by_external[r.external_id] = r
    for chunk in batches(sorted(set(names))):
        for r in session.execute(select(*cols).where(Customer.normalized_name.in_(chunk))):
            by_name.setdefault(r.normalized_name, []).append(r)
    return by_external, by_name


def _match(
    plan: dict, by_external: dict[str, Stored], by_name: dict[str, list[Stored]]
) -> Stored | None:
    """The existing customer a row updates: by external_id, else the same key in its region
    (when neither side has an external_id that tells them apart)."""
    row = plan["row"]
    current = by_external.get(row.external_id) if row.external_id else None
    if current is None:
        same_name = [c for c in by_name.get(plan["key"], []) if c.region_id == plan["region_id"]]
        if same_name and (not row.external_id or same_name[0].external_id is None):
            current = same_name[0]
    return current


def _new(plan: dict, by_external: dict[str, Stored], by_name: dict[str, list[Stored]]) -> bool:
    return _match(plan, by_external, by_name) is None


def import_customers(ctx: ImportContext, dry_run: bool) -> ImportResult:
    present = ctx.rows.present
    session = ctx.session
    planned: list[dict] = []
    seen_ext: dict = {}
    seen_name: dict = {}
    raw = list(ctx.rows.of(CustomerRow))
    ctx.progress(_("checking customers"), 0.2)
    for number, row, __ in raw:
        owner = ctx.person(number, "owner", row.owner)
        if row.region:
            region_id = ctx.region(number, "region", row.region)
        elif ctx.mapping.region_from_owner and owner is not None:
            region_id = owner.region_id or ctx.root_id
        else:
            region_id = ctx.root_id
        if region_id is None and not row.region:
            ctx.problem(number, "region", "", _("no regions exist yet: import regions first"))
            continue
        ctx.in_area(number, "region", row.region or "", region_id)
        if problem := name_problem(row.name):
            ctx.problem(number, "name", row.name, problem)
            continue
        key = normalize_name(row.name)
        if row.external_id and repeated_in_file(
            ctx, number, "external_id", row.external_id, row.external_id, seen_ext
        ):
            continue
        if repeated_in_file(ctx, number, "name", row.name, (key, region_id), seen_name):
            continue
        planned.append(
            {
                "number": number,
                "row": row,
                "region_id": region_id,
                "owner_id": owner.id if owner else None,
                "key": key,
            }
        )
    ctx.fail_if_problems()
    by_external, by_name = _customer_index(
        session,
        [p["row"].external_id for p in planned if p["row"].external_id],
        [p["key"] for p in planned],
    )
    result = ImportResult(kind=Kind.CUSTOMERS, dry_run=dry_run)
    creates: dict[str, list] = defaultdict(list)
    updates: list[dict] = []
    new_keys = [p["key"] for p in planned if _new(p, by_external, by_name)]
    near = {} if ctx.mapping.similar_names_are_new else near_names(session, new_keys)
    for plan in planned:
        row = plan["row"]
        current = _match(plan, by_external, by_name)
        values = {
            "name": row.name,
            "region_id": plan["region_id"],
            "owner_id": plan["owner_id"],
            "industry": row.industry,
            "segment": row.segment,
            "status": row.status.value,
            "annual_potential": row.annual_potential,
            "external_id": row.external_id,
        }
        if current is None and (like := near.get(plan["key"])):
            ctx.problem(
                plan["number"],
                "name",
                row.name,
                _(
                    "looks like the existing customer '{name}' ({region}) but is not the "
                    "same name: give that customer's external_id to update it, or confirm "
                    "that similar names are new customers"
                ).format(name=like[0].name, region=like[0].region),
            )
            continue
        if current is None:
            result.created += 1
            for k, v in values.items():
                creates[k].append(money_text(v) if k == "annual_potential" else v)
            creates["normalized_name"].append(plan["key"])
            continue
        wanted = {
            k: v
            for k, v in values.items()
            if k in present
            or k == "name"
            or (k == "region_id" and "region" in present)
            or (k == "owner_id" and "owner" in present)
        }
        if not (ctx.actor.sees_everything or in_scope(ctx.actor, current.region_id)):
            ctx.problem(plan["number"], "name", row.name, _("outside the regions you manage"))
            continue
        changed = {k: v for k, v in wanted.items() if not same_value(getattr(current, k), v)}
        if changed:
            result.updated += 1
            changed["normalized_name"] = normalize_name(changed.get("name", current.name))
            updates.append({"_id": current.id, **changed})
        else:
            result.unchanged += 1
    ctx.fail_if_problems()
    if dry_run:
        return result
    if creates:
        bulk_insert(session.connection(), table_of(Customer), creates)
    updated_ids = [u["_id"] for u in updates]
    update_by_id(session, table_of(Customer), updates)
    audit.record(
        session,
        ctx.actor,
        "import",
        "customer",
        None,
        after={
            "created": result.created,
            "updated": result.updated,
            "updated_ids": updated_ids[:1000],
        },
    )
    return result
