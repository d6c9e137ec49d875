"""Importing activities: a visit, call or meeting is matched on its type, day, person, customer
and deal; the same key twice in a file is two activities. New ones move their customers' and
deals' last activity day forward (core.pipeline.last_activity)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select

from core.customers.names import normalize_name
from core.i18n import _
from core.org import audit
from core.pipeline import last_activity
from core.transfer.formats import ActivityRow, Kind
from core.transfer.import_context import (
    ImportContext,
    ImportResult,
    batches,
    customer_refs,
    update_by_id,
)
from db.base import table_of
from db.bulk import bulk_insert
from db.schema import Activity, Deal


def import_activities(ctx: ImportContext, dry_run: bool) -> ImportResult:
    session, present = ctx.session, ctx.rows.present
    raw = list(ctx.rows.of(ActivityRow))
    by_ext, by_name = customer_refs(session, {row.customer for _number, row, _record in raw})
    deal_refs: dict[str, tuple[int, int]] = {}
    for chunk in batches(sorted({row.deal for _number, row, _record in raw if row.deal})):
        for did, ext, cid in session.execute(
            select(Deal.id, Deal.external_id, Deal.customer_id).where(Deal.external_id.in_(chunk))
        ):
            if ext is not None:  # always: the IN list matched it
                deal_refs[ext] = (did, cid)
    planned: list[tuple[tuple[str, date, int, int, int | None], ActivityRow]] = []
    for number, row, __ in raw:
        user = ctx.person(number, "user", row.user)
        if user is None:
            continue
        if not ctx.in_area(number, "user", row.user, user.region_id):
            continue
        customer = by_ext.get(row.customer)
        if customer is None:
            matches = by_name.get(normalize_name(row.customer), [])
            if len(matches) != 1:
                reason = (
                    _("unknown customer")
                    if not matches
                    else _("several customers have this name; give the external_id")
                )
                ctx.problem(number, "customer", row.customer, reason)
                continue
            customer = matches[0]
        deal_id = None
        if row.deal:
            found = deal_refs.get(row.deal)
            if found is None:
                ctx.problem(number, "deal", row.deal, _("unknown deal external_id"))
                continue
            if found[1] != customer[0]:
                ctx.problem(number, "deal", row.deal, _("this deal belongs to another customer"))
                continue
            deal_id = found[0]
        key = (row.type.value, row.date, user.id, customer[0], deal_id)
        planned.append((key, row))
    ctx.fail_if_problems()
    # The same activity key twice (two calls on one day) is two activities: the n-th row with a
    # key matches the n-th existing activity with it, so a second import still changes nothing.
    existing: dict[tuple, list[tuple[int, str | None, str | None]]] = defaultdict(list)
    for chunk in batches(sorted({k[3] for k, __ in planned})):
        for r in session.execute(
            select(
                Activity.id,
                Activity.type,
                Activity.occurred_on,
                Activity.person_id,
                Activity.customer_id,
                Activity.deal_id,
                Activity.outcome,
                Activity.notes,
            )
            .where(Activity.customer_id.in_(chunk))
            .order_by(Activity.id)
        ):
            existing[(r.type, r.occurred_on, r.person_id, r.customer_id, r.deal_id)].append(
                (
                    r.id,
                    r.outcome,
                    r.notes,
                )
            )
    result = ImportResult(kind=Kind.ACTIVITIES, dry_run=dry_run)
    creates: dict[str, list] = defaultdict(list)
    updates: list[dict[str, Any]] = []
    for key, row in planned:
        current = existing[key].pop(0) if existing.get(key) else None
        if current is None:
            result.created += 1
            for column, value in zip(
                ("type", "occurred_on", "person_id", "customer_id", "deal_id"), key
            ):
                creates[column].append(value.isoformat() if isinstance(value, date) else value)
            creates["outcome"].append(row.outcome)
            creates["notes"].append(row.notes)
            continue
        changed: dict[str, Any] = {
            k: getattr(row, k)
            for k in ("outcome", "notes")
            if k in present and getattr(row, k) != current[1 if k == "outcome" else 2]
        }
        if changed:
            result.updated += 1
            updates.append({"_id": current[0], **changed})
        else:
            result.unchanged += 1
    if dry_run:
        return result
    if creates:
        bulk_insert(session.connection(), table_of(Activity), creates)
        last_activity.refresh(session, creates["customer_id"], creates["deal_id"])
    update_by_id(session, table_of(Activity), updates)
    audit.record(
        session,
        ctx.actor,
        "import",
        "activity",
        None,
        after={"created": result.created, "updated": result.updated},
    )
    return result
