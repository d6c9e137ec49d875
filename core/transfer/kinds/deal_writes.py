"""Writing imported deals: new deals in bulk with their stage history, changed deals in
batches guarded by their version; the company amount of every deal written is kept by
core.pipeline.pricing (priced at insert, re-priced after updates).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, select

from core.i18n import _
from core.models import DealStatus, ForecastCategory
from core.pipeline import pricing, stage_stays
from core.transfer.formats import DealRow
from core.transfer.import_context import (
    BATCH,
    ConcurrentChange,
    ImportContext,
    batches,
    iso_date,
    money_text,
)
from db.base import table_of
from db.bulk import bulk_insert
from db.schema import Deal, DealStageHistory


@dataclass
class StageInfo:
    name: str
    position: int
    probability: Decimal
    is_won: bool
    is_lost: bool
    id: int | None = None


def deal_status(stage: StageInfo) -> str:
    if stage.is_won:
        return DealStatus.WON.value
    if stage.is_lost:
        return DealStatus.LOST.value
    return DealStatus.OPEN.value


def forecast_category(stage: StageInfo) -> str:
    if stage.is_won:
        return ForecastCategory.COMMIT.value
    if stage.is_lost:
        return ForecastCategory.OMITTED.value
    return ForecastCategory.PIPELINE.value


def write_new_deals(ctx: ImportContext, creates: list[dict], stages: list[StageInfo]) -> None:
    """Deals in bulk, then their stage history: entering the first stage on created_on and,
    for closed deals, the close on closed_on."""
    if not creates:
        return
    first_stage = min((s for s in stages if not (s.is_won or s.is_lost)), key=lambda s: s.position)
    session = ctx.session
    conn = session.connection()
    total = len(creates)
    now = datetime.now().replace(microsecond=0)
    company = pricing.company_currency(session)
    rates = pricing.load_rates(session)
    for start in range(0, total, BATCH * 4):
        chunk = creates[start : start + BATCH * 4]
        cols: dict[str, list] = defaultdict(list)
        for plan in chunk:
            row: DealRow = plan["row"]
            stage: StageInfo = plan["stage"]
            closed = row.closed_on
            product = row.product or ""
            cols["external_id"].append(row.external_id)
            cols["name"].append(row.name or f"{row.customer} – {product or row.external_id}")
            cols["customer_id"].append(plan["customer"][0])
            cols["owner_id"].append(plan["owner"].id)
            cols["region_id"].append(plan["region_id"])
            cols["product_id"].append(plan["product_id"])
            given = row.amount if row.amount is not None else Decimal(0)
            cols["amount"].append(money_text(given))
            code = row.currency or company
            cols["currency"].append(code)
            value = pricing.price(
                given, code, deal_status(stage), closed, company=company, rates=rates
            )
            cols["company_amount"].append(None if value is None else money_text(value))
            cols["quantity"].append(row.quantity or 1)
            cols["stage_id"].append(stage.id)
            cols["status"].append(deal_status(stage))
            cols["forecast_category"].append(forecast_category(stage))
            cols["created_on"].append(plan["created_on"].isoformat())
            cols["expected_close"].append(plan["expected_close"].isoformat())
            cols["closed_on"].append(iso_date(closed))
            listed = plan["lost_reason"]
            cols["lost_reason"].append(listed[1] if listed else None)
            cols["lost_reason_id"].append(listed[0] if listed else None)
            cols["stage_entered_on"].append((closed or plan["created_on"]).isoformat())
            cols["close_date_changes"].append(0)
            cols["checklist_done"].append("[]")
            cols["updated_at"].append(now.isoformat(sep=" "))
            cols["updated_by_id"].append(ctx.actor.id)
            cols["version"].append(1)
        bulk_insert(conn, table_of(Deal), cols)
        ids: dict[str, int] = {}
        for ext_chunk in batches(cols["external_id"]):
            ids.update(
                {
                    e: i
                    for i, e in session.execute(
                        select(Deal.id, Deal.external_id).where(Deal.external_id.in_(ext_chunk))
                    )
                    if e is not None  # always: the IN list matched it
                }
            )
        history: dict[str, list] = defaultdict(list)
        for plan in chunk:
            row, stage = plan["row"], plan["stage"]
            deal_id = ids[row.external_id]
            amount = money_text(row.amount if row.amount is not None else Decimal(0))
            entered = first_stage if stage.is_won or stage.is_lost else stage
            history["deal_id"].append(deal_id)
            history["from_stage_id"].append(None)
            history["to_stage_id"].append(entered.id)
            history["changed_by_id"].append(plan["owner"].id)
            history["changed_at"].append(f"{plan['created_on'].isoformat()} 09:00:00")
            history["amount"].append(amount)
            history["reason"].append("imported")
            # a close date exactly when the deal is won or lost (checked when planning)
            if row.closed_on is not None:
                history["deal_id"].append(deal_id)
                history["from_stage_id"].append(first_stage.id)
                history["to_stage_id"].append(stage.id)
                history["changed_by_id"].append(plan["owner"].id)
                history["changed_at"].append(f"{row.closed_on.isoformat()} 17:00:00")
                history["amount"].append(amount)
                history["reason"].append("imported")
        bulk_insert(conn, table_of(DealStageHistory), history)
        stage_stays.refresh_stays(conn, ids.values())
        ctx.progress(_("writing deals"), 0.6 + 0.3 * min(1.0, (start + len(chunk)) / total))


def write_deal_updates(ctx: ImportContext, updates: list[dict]) -> None:
    """Changed deals in batches of like updates, each guarded by the version read earlier so a
    deal changed meanwhile by someone else is reported, not overwritten; a stage change is
    recorded in the stage history."""
    session = ctx.session
    now = datetime.now().replace(microsecond=0)
    history: dict[str, list] = defaultdict(list)
    groups: dict[tuple[str, ...], list[dict]] = defaultdict(list)
    for item in updates:
        current, changed, plan = item["current"], dict(item["changed"]), item["plan"]
        if "stage_id" in changed:
            stage: StageInfo = plan["stage"]
            when = plan["row"].closed_on or ctx.today
            changed["stage_entered_on"] = when
            changed["forecast_category"] = forecast_category(stage)
            history["deal_id"].append(current.id)
            history["from_stage_id"].append(current.stage_id)
            history["to_stage_id"].append(stage.id)
            history["changed_by_id"].append(ctx.actor.id)
            history["changed_at"].append(f"{when.isoformat()} 12:00:00")
            amount = changed.get("amount", current.amount)
            history["amount"].append(money_text(amount))
            history["reason"].append("imported")
        changed.update(updated_at=now, updated_by_id=ctx.actor.id, version=current.version + 1)
        params = {f"v_{k}": v for k, v in changed.items()}
        params.update(_id=current.id, _version=current.version)
        groups[tuple(sorted(changed))].append(params)
    table = table_of(Deal)
    conn = session.connection()
    for columns, grouped in groups.items():
        statement = (
            table.update()
            .where(table.c.id == bindparam("_id"), table.c.version == bindparam("_version"))
            .values({c: bindparam(f"v_{c}") for c in columns})
        )
        for chunk in batches(grouped):
            done = conn.execute(statement, chunk).rowcount
            if done is not None and 0 <= done < len(chunk):
                raise ConcurrentChange(
                    _(
                        "Someone changed some of these deals while the file was being imported; "
                        "nothing was imported. Import the file again."
                    )
                )
    if history:
        bulk_insert(conn, table_of(DealStageHistory), history)
    # a new stage or a new created_on: the stays carry both
    stage_stays.refresh_stays(conn, [item["current"].id for item in updates])
    pricing.reprice(session, deal_ids=[item["current"].id for item in updates])
