"""Importing credit splits: the rows of one deal replace that deal's split.

Rules (core.pipeline.credit holds them; core.currency the arithmetic):
- A deal is named by its external_id (`deal-<id>` for a deal without one, as the export
  writes it); a person by email, or by a full name only one person has.
- The percentages of one deal have at most two decimals and add up to exactly 100. One row of
  100 % to the owner ends the deal's split; a deal without rows keeps its split.
- The importer must be allowed to split every deal of the file: the owner's manager (deal in
  their area), directors and administrators. One refused row or deal changes nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import currency
from core.errors import ValidationFailed
from core.i18n import _
from core.pipeline import credit
from core.transfer.formats import CreditSplitRow, Kind
from core.transfer.import_context import ImportContext, ImportResult, batches, repeated_in_file
from db.schema import CreditSplit, Deal

EXPORTED_ID = re.compile(r"^deal-(\d+)$")


def _deals(session: Session, refs: set[str]) -> dict[str, tuple[int, int, bool]]:
    """Deal reference -> (id, owner id, split?), by external_id, else by `deal-<id>`."""
    found: dict[str, tuple[int, int, bool]] = {}
    columns = (Deal.id, Deal.external_id, Deal.owner_id, Deal.credit_shared)
    for chunk in batches(sorted(refs)):
        for deal_id, ext, owner, shared in session.execute(
            select(*columns).where(Deal.external_id.in_(chunk))
        ):
            found[str(ext)] = (deal_id, owner, bool(shared))
    by_id = {int(m[1]): ref for ref in refs - set(found) if (m := EXPORTED_ID.match(ref))}
    for chunk in batches(sorted(by_id)):
        for deal_id, _ext, owner, shared in session.execute(
            select(*columns).where(Deal.id.in_(chunk), Deal.external_id.is_(None))
        ):
            found[by_id[deal_id]] = (deal_id, owner, bool(shared))
    return found


def _current(session: Session, deals: dict[int, tuple[int, bool]]) -> dict[int, dict[int, Decimal]]:
    """Each deal's credit today: its split rows, or 100 % to the owner."""
    out = {d: {owner: Decimal(100)} for d, (owner, shared) in deals.items() if not shared}
    split = sorted(d for d, (_owner, shared) in deals.items() if shared)
    for chunk in batches(split):
        for deal_id, person_id, percent in session.execute(
            select(CreditSplit.deal_id, CreditSplit.person_id, CreditSplit.percent).where(
                CreditSplit.deal_id.in_(chunk)
            )
        ):
            out.setdefault(deal_id, {})[person_id] = Decimal(percent)
    return out


def import_credit_splits(ctx: ImportContext, dry_run: bool) -> ImportResult:
    session = ctx.session
    raw = list(ctx.rows.of(CreditSplitRow))
    deals = _deals(session, {row.deal for _number, row, _record in raw})
    percents: dict[int, dict[int, Decimal]] = defaultdict(dict)
    numbers: dict[int, list[int]] = defaultdict(list)
    refused: set[int] = set()
    refs: dict[int, str] = {}
    seen: dict = {}
    for number, row, __ in raw:
        deal = deals.get(row.deal)
        if deal is None:
            ctx.problem(number, "deal", row.deal, _("no deal with this external_id"))
            continue
        deal_id = deal[0]
        refs[deal_id] = row.deal
        numbers[deal_id].append(number)
        person = ctx.person(number, "person", row.person)
        if person is None or repeated_in_file(
            ctx, number, "person", row.person, (deal_id, person.id), seen
        ):
            refused.add(deal_id)
            continue
        percents[deal_id][person.id] = row.percent
    wanted: dict[int, dict[int, Decimal]] = {}
    for deal_id, shares in percents.items():
        if deal_id in refused:
            continue  # its rows already name the problem
        try:
            wanted[deal_id] = currency.split_percents(shares)
        except ValidationFailed as exc:
            ctx.problem(numbers[deal_id][0], "deal", refs[deal_id], str(exc))
    ctx.fail_if_problems()
    owners = {d: (owner, shared) for d, owner, shared in deals.values() if d in wanted}
    credit.replace_splits(session, ctx.actor, wanted, check_only=True)
    before = _current(session, owners)
    result = ImportResult(kind=Kind.CREDIT_SPLITS, dry_run=dry_run)
    changed: dict[int, dict[int, Decimal]] = {}
    for deal_id, shares in wanted.items():
        rows = len(numbers[deal_id])
        if before.get(deal_id) == shares:
            result.unchanged += rows
            continue
        if owners[deal_id][1]:
            result.updated += rows
        else:
            result.created += rows
        changed[deal_id] = shares
    if changed and not dry_run:
        credit.replace_splits(session, ctx.actor, changed)
    return result
