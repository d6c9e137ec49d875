"""Importing deals: matched on external_id and credited to the owner's region.

Every imported deal gets stage history: entering its first stage on created_on and, for closed
deals, the close on closed_on. An empty database gets the standard stages on its first deal
import; customers not found are created when the mapping asks for it. A lost reason must be
on the administrator's list (compared ignoring case and spaces; another system's wording is
mapped onto it with a value map); a reason not on the list refuses the row, naming the list.
A deal's amount is in its `currency` (empty: the company currency); its company amount is
worked out on import by core.pipeline.pricing (the export's company_amount is ignored).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.customers.duplicates import near_names
from core.customers.names import name_problem, normalize_name
from core.i18n import _
from core.models import CustomerStatus
from core.org import audit
from core.org.access import in_scope
from core.pipeline import pricing
from core.pipeline.lost_reasons import (
    active_reasons_by_key,
    list_is_empty,
    offered_list_text,
    reason_key,
)
from core.pipeline.standard_stages import STANDARD_STAGES
from core.transfer.formats import DealRow, Kind
from core.transfer.import_context import (
    ImportContext,
    ImportResult,
    PersonRef,
    batches,
    customer_refs,
    repeated_in_file,
    same_value,
)
from core.transfer.kinds.deal_close import apply_close_date, stage_of_status
from core.transfer.kinds.deal_writes import (
    StageInfo,
    deal_status,
    write_deal_updates,
    write_new_deals,
)
from db.base import table_of
from db.bulk import bulk_insert
from db.schema import Customer, Deal, LostReason, Product, Stage


def _stages(session: Session) -> dict[str, StageInfo]:
    """Configured stages by lower-case name; the standard stages when none are configured."""
    rows = session.execute(
        select(
            Stage.id, Stage.name, Stage.position, Stage.probability, Stage.is_won, Stage.is_lost
        ).order_by(Stage.position)
    ).all()
    if rows:
        return {
            r.name.lower(): StageInfo(r.name, r.position, r.probability, r.is_won, r.is_lost, r.id)
            for r in rows
        }
    return {
        name.lower(): StageInfo(name, i + 1, Decimal(prob), name == "Won", name == "Lost")
        for i, (name, prob, *_rest) in enumerate(STANDARD_STAGES)
    }


def stage_names(session: Session) -> list[str]:
    """The stages a deal file may name (the standard ones in an empty database)."""
    return [stage.name for stage in _stages(session).values()]


def stage_table(session: Session) -> list[tuple[str, Decimal, bool, bool]]:
    """Every stage a deal file may name: (name, probability 0..1, is won, is lost)."""
    return [(s.name, s.probability, s.is_won, s.is_lost) for s in _stages(session).values()]


def _install_stages(session: Session, stages: dict[str, StageInfo]) -> None:
    """An empty database gets the standard stages on its first deal import."""
    for name, prob, max_days, checklist, roles in STANDARD_STAGES:
        stage = Stage(
            name=name,
            position=stages[name.lower()].position,
            probability=Decimal(prob),
            is_won=name == "Won",
            is_lost=name == "Lost",
            exit_checklist=checklist,
            required_roles=roles,
            max_days=max_days,
        )
        session.add(stage)
        session.flush()
        stages[name.lower()].id = stage.id


DEAL_FIELDS = (
    "name",
    "customer_id",
    "owner_id",
    "region_id",
    "product_id",
    "amount",
    "currency",
    "quantity",
    "stage_id",
    "status",
    "created_on",
    "expected_close",
    "closed_on",
    "lost_reason",
    "lost_reason_id",
)


def _refuse_similar_names(ctx: ImportContext, new_customers: dict) -> None:
    """A customer to be created whose name looks like an existing one's is a decision for the
    user, never a guess: the row is refused, naming both."""
    if ctx.mapping.similar_names_are_new or not new_customers:
        return
    near = near_names(ctx.session, sorted({key for key, __ in new_customers}))
    for (key, __), new in new_customers.items():
        if like := [n for n in near.get(key, []) if ctx.existed_before(n.id)]:
            ctx.problem(
                new["number"],
                "customer",
                new["name"],
                _(
                    "not found, and looks like the existing customer '{name}' ({region}): "
                    "give that customer's external_id or exact name, or confirm that "
                    "similar names are new customers"
                ).format(name=like[0].name, region=like[0].region),
            )


def import_deals(ctx: ImportContext, dry_run: bool) -> ImportResult:
    session, present = ctx.session, ctx.rows.present
    if "close_date" in present:  # one close date fills closed_on or expected_close
        present = present | {"closed_on", "expected_close"}
    stages = _stages(session)
    products = {
        name.lower(): pid for pid, name in session.execute(select(Product.id, Product.name))
    }
    stage_names = ", ".join(s.name for s in stages.values())
    reasons = active_reasons_by_key(session)
    if ctx.lost_reasons_were_empty is None:  # decided before the first chunk writes any
        ctx.lost_reasons_were_empty = list_is_empty(session)
    start_reasons = ctx.lost_reasons_were_empty  # the first import starts the list (id 0: to add)
    ctx.progress(_("reading deals"), 0.05)
    raw = list(ctx.rows.of(DealRow))
    ctx.progress(_("checking customers and owners"), 0.2)
    by_ext, by_name = customer_refs(session, {row.customer for _number, row, _record in raw})
    new_customers: dict[tuple[str, int | None], dict] = {}
    seen: dict = {}
    planned: list[dict] = []
    people = ctx.people()
    by_person_name: dict[str, list[PersonRef]] = defaultdict(list)
    for ref in people.values():
        by_person_name[ref.name.lower()].append(ref)
    root = ctx.root_id
    for number, row, __ in raw:
        if repeated_in_file(ctx, number, "external_id", row.external_id, row.external_id, seen):
            continue
        owner = (
            people.get(row.owner.lower())
            if "@" in row.owner
            else (lambda m: m[0] if len(m) == 1 else None)(
                by_person_name.get(row.owner.lower(), [])
            )
        )
        if owner is None:
            owner = ctx.person(number, "owner", row.owner)  # records the precise problem
            continue
        region_id = owner.region_id or root
        if not ctx.in_area(number, "owner", row.owner, region_id):
            continue
        stage = stages.get(row.stage.lower())
        if stage is None:
            ctx.problem(
                number,
                "stage",
                row.stage,
                _("unknown stage; map it to one of: {stage_names}").format(stage_names=stage_names),
            )
            continue
        by_status = stage_of_status(row, stage, list(stages.values()))
        if isinstance(by_status, str):
            ctx.problem(number, "status", row.status, by_status)
            continue
        stage = by_status
        if conflict := apply_close_date(row, stage):
            ctx.problem(number, conflict[0], row.close_date, conflict[1])
            continue
        lost_reason: tuple[int, str] | None = None
        if row.lost_reason:
            lost_reason = reasons.get(reason_key(row.lost_reason))
            if lost_reason is None and start_reasons:
                wording = " ".join(row.lost_reason.split())
                lost_reason = reasons.setdefault(reason_key(wording), (0, wording))
            if lost_reason is None:
                ctx.problem(
                    number,
                    "lost_reason",
                    row.lost_reason,
                    _(
                        "not on the list of lost reasons; map it onto one with a value map. "
                        "{offered}"
                    ).format(offered=offered_list_text(session)),
                )
                continue
        product_id = None
        if row.product:
            product_id = products.get(row.product.lower())
            if product_id is None:
                ctx.problem(number, "product", row.product, _("unknown product"))
                continue
        customer = by_ext.get(row.customer)
        if customer is None:
            matches = by_name.get(normalize_name(row.customer), [])
            if len(matches) == 1:
                customer = matches[0]
            elif len(matches) > 1:
                own = [m for m in matches if m[1] == region_id]
                if len(own) == 1:
                    customer = own[0]
                else:
                    ctx.problem(
                        number,
                        "customer",
                        row.customer,
                        _("several customers have this name; give the external_id"),
                    )
                    continue
            elif ctx.mapping.create_missing_customers:
                if problem := name_problem(row.customer):
                    ctx.problem(number, "customer", row.customer, problem)
                    continue
                key = (normalize_name(row.customer), region_id)
                new_customers.setdefault(
                    key,
                    {
                        "name": row.customer,
                        "region_id": region_id,
                        "owner_id": owner.id,
                        "number": number,
                    },
                )
                customer = ("new", key)
            else:
                ctx.problem(
                    number,
                    "customer",
                    row.customer,
                    _("unknown customer (give its external_id or exact name)"),
                )
                continue
        closed = stage.is_won or stage.is_lost
        if stage.is_won and row.closed_on is None:
            ctx.problem(number, "closed_on", "", _("a won deal needs closed_on"))
            continue
        if stage.is_won and row.amount is None:
            ctx.problem(number, "amount", "", _("a won deal needs an amount"))
            continue
        if stage.is_lost and row.closed_on is None:
            ctx.problem(number, "closed_on", "", _("a lost deal needs closed_on"))
            continue
        if not closed and row.closed_on is not None:
            ctx.problem(
                number,
                "closed_on",
                row.closed_on,
                _("an open deal (stage {name}) has no close date yet").format(name=stage.name),
            )
            continue
        created_on = row.created_on or row.closed_on or ctx.today
        if row.closed_on and row.closed_on < created_on:
            ctx.problem(number, "closed_on", row.closed_on, _("before created_on"))
            continue
        expected = row.expected_close or row.closed_on or (created_on + timedelta(days=90))
        planned.append(
            {
                "number": number,
                "row": row,
                "owner": owner,
                "region_id": region_id,
                "stage": stage,
                "product_id": product_id,
                "lost_reason": lost_reason,
                "customer": customer,
                "created_on": created_on,
                "expected_close": expected,
            }
        )
        if len(planned) % 20_000 == 0:
            ctx.progress(_("checking deals"), 0.2 + 0.3 * len(planned) / max(len(raw), 1))
    ctx.fail_if_problems()
    ctx.progress(_("comparing with the database"), 0.5)
    existing: dict[str, Any] = {}
    for chunk in batches([p["row"].external_id for p in planned]):
        for r in session.execute(
            select(
                Deal.id, Deal.external_id, Deal.version, *(getattr(Deal, f) for f in DEAL_FIELDS)
            ).where(Deal.external_id.in_(chunk))
        ):
            existing[r.external_id] = r
    result = ImportResult(kind=Kind.DEALS, dry_run=dry_run)
    company = pricing.company_currency(session)
    creates: list[dict] = []
    updates: list[dict] = []
    optional = {
        "product": "product_id",
        "name": "name",
        "amount": "amount",
        "currency": "currency",
        "quantity": "quantity",
        "created_on": "created_on",
        "expected_close": "expected_close",
        "closed_on": "closed_on",
        "lost_reason": "lost_reason",
    }
    for plan in planned:
        row = plan["row"]
        current = existing.get(row.external_id)
        if current is not None and not (
            ctx.actor.sees_everything or in_scope(ctx.actor, current.region_id)
        ):
            ctx.problem(
                plan["number"],
                "external_id",
                row.external_id,
                _("this deal is outside the regions you manage"),
            )
            continue
        if current is None:
            result.created += 1
            creates.append(plan)
            continue
        stage = plan["stage"]
        wanted = {
            "owner_id": plan["owner"].id,
            "region_id": plan["region_id"],
            "stage_id": stage.id,
            "status": deal_status(stage),
            "customer_id": plan["customer"][0] if plan["customer"][0] != "new" else None,
        }
        for column, attr in optional.items():
            if column in present:
                wanted[attr] = {
                    "product_id": plan["product_id"],
                    "name": row.name or current.name,
                    "amount": row.amount if row.amount is not None else Decimal(0),
                    "currency": row.currency or company,
                    "quantity": row.quantity or 1,
                    # an empty date keeps the stored one (its default is the import day)
                    "created_on": row.created_on or current.created_on,
                    "expected_close": row.expected_close or row.closed_on or current.expected_close,
                    "closed_on": row.closed_on,
                    "lost_reason": plan["lost_reason"][1] if plan["lost_reason"] else None,
                }[attr]
        if "lost_reason" in present:
            wanted["lost_reason_id"] = plan["lost_reason"][0] if plan["lost_reason"] else None
        changed = {k: v for k, v in wanted.items() if not same_value(getattr(current, k), v)}
        if changed:
            result.updated += 1
            updates.append({"current": current, "changed": changed, "plan": plan})
        else:
            result.unchanged += 1
    _refuse_similar_names(ctx, new_customers)
    ctx.fail_if_problems()
    if new_customers:
        count = ctx.customers_to_create({k: v["number"] for k, v in new_customers.items()})
        if dry_run:
            note = _("Customers not found, to be created: {count}.")
        else:
            note = _("Customers not found, created: {count}.")
        result.note = note.format(count=f"{count:,}")
    if dry_run:
        return result
    if not any(s.id for s in stages.values()):
        _install_stages(session, stages)
    conn = session.connection()
    ctx.progress(_("writing customers"), 0.55)
    if new_customers:
        keys = list(new_customers)
        bulk_insert(
            conn,
            table_of(Customer),
            {
                "name": [new_customers[k]["name"] for k in keys],
                "normalized_name": [k[0] for k in keys],
                "region_id": [k[1] for k in keys],
                "owner_id": [new_customers[k]["owner_id"] for k in keys],
                "status": [CustomerStatus.ACTIVE.value] * len(keys),
                "annual_potential": ["0"] * len(keys),
                "created_on": [ctx.today.isoformat()] * len(keys),
            },
        )
        created_ids: dict[tuple[str, int], int] = {}
        for chunk in batches(sorted({k[0] for k in keys})):
            for cid, name_key, region in session.execute(
                select(Customer.id, Customer.normalized_name, Customer.region_id).where(
                    Customer.normalized_name.in_(chunk)
                )
            ):
                created_ids[(name_key, region)] = cid
        for plan in planned:
            if plan["customer"][0] == "new":
                plan["customer"] = (created_ids[plan["customer"][1]], None)
        for item in updates:
            if item["changed"].get("customer_id", 0) is None:
                item["changed"]["customer_id"] = item["plan"]["customer"][0]
    _add_new_reasons(ctx, [name for rid, name in reasons.values() if rid == 0], planned, updates)
    write_new_deals(ctx, creates, list(stages.values()))
    ctx.progress(_("writing updates"), 0.9)
    write_deal_updates(ctx, updates)
    audit.record(
        session,
        ctx.actor,
        "import",
        "deal",
        None,
        after={
            "created": result.created,
            "updated": result.updated,
            "updated_ids": [u["current"].id for u in updates][:1000],
        },
    )
    return result


def _add_new_reasons(
    ctx: ImportContext, names: list[str], planned: list[dict], updates: list[dict]
) -> None:
    """The first import into an empty list of lost reasons starts it with the file's reasons."""
    if not names:
        return
    ids: dict[str, int] = {}
    after = ctx.session.scalar(select(func.max(LostReason.position))) or 0  # an earlier chunk's
    for position, name in enumerate(names, start=after + 1):
        reason = LostReason(name=name, active=True, position=position)
        ctx.session.add(reason)
        ctx.session.flush()
        ids[name] = reason.id
    audit.record(
        ctx.session, ctx.actor, "lost_reason.import", "lost_reason", after={"names": names}
    )
    for plan in planned:
        if plan["lost_reason"] and plan["lost_reason"][0] == 0:
            plan["lost_reason"] = (ids[plan["lost_reason"][1]], plan["lost_reason"][1])
    for item in updates:
        if item["changed"].get("lost_reason_id") == 0:
            item["changed"]["lost_reason_id"] = item["plan"]["lost_reason"][0]
