"""Keeping each deal's company amount and credit shares current (core.currency's rules).

Figures sum stored values, so their cost grows with the deals read, not with conversions:
- every ORM write of a deal (create, edit, move, close, reopen) recomputes its company amount
  and its shares in the same flush (a listener on every session);
- bulk writes (imports, the demo seed) and rate changes call `reprice`, one set of reads and
  one batch of updates, in the caller's transaction.
A rate takes effect from its date and cannot be dated in the future, so "the rate in effect
today" for an open deal is its currency's latest rate, and it changes only when rates do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, case, event, func, select, update
from sqlalchemy.orm import Session, attributes

from core import clock, currency
from db.schema import DEFAULT_CURRENCY, AppSetting, CreditSplit, Deal, ExchangeRate

Rates = dict[str, list[tuple[date, Decimal]]]
WATCHED = ("amount", "currency", "status", "closed_on")
BATCH = 5_000


def company_currency(session: Session) -> str:
    """The currency every figure is in (setting "company_currency", USD by default)."""
    value = session.scalar(select(AppSetting.value).where(AppSetting.key == "company_currency"))
    return str(value or DEFAULT_CURRENCY)


def load_rates(session: Session, currencies: Iterable[str] | None = None) -> Rates:
    """Every rate by currency, oldest first (a few thousand rows at most)."""
    query = select(ExchangeRate.currency, ExchangeRate.valid_from, ExchangeRate.rate).order_by(
        ExchangeRate.currency, ExchangeRate.valid_from
    )
    if currencies is not None:
        query = query.where(ExchangeRate.currency.in_(set(currencies)))
    out: Rates = {}
    for code, valid_from, rate in session.execute(query):
        out.setdefault(code, []).append((valid_from, Decimal(rate)))
    return out


def price(
    amount: Decimal,
    code: str,
    status: str,
    closed_on: date | None,
    *,
    company: str,
    rates: Mapping[str, Sequence[tuple[date, Decimal]]],
    today: date | None = None,
) -> Decimal | None:
    """A deal's company amount by the rule of core.currency (None: not priced)."""
    on = currency.pricing_date(status, closed_on, today or clock.today())
    return currency.company_amount(amount, code, on, company=company, rates=rates)


def share_amounts(
    session: Session, deal_ids: Iterable[int], amounts: Mapping[int, Decimal | None] | None = None
) -> int:
    """Recompute the credit shares of split deals from their company amounts; returns the
    number of rows written."""
    ids = sorted(set(deal_ids))
    if not ids:
        return 0
    rows: dict[int, list[tuple[int, Decimal]]] = {}
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        for split_id, deal_id, percent in session.execute(
            select(CreditSplit.id, CreditSplit.deal_id, CreditSplit.percent)
            .where(CreditSplit.deal_id.in_(chunk))
            .order_by(CreditSplit.deal_id, CreditSplit.id)
        ):
            rows.setdefault(deal_id, []).append((split_id, Decimal(percent)))
    if not rows:
        return 0
    if amounts is None or any(d not in amounts for d in rows):
        known = dict(amounts or {})
        missing = [d for d in rows if d not in known]
        for start in range(0, len(missing), BATCH):
            chunk = missing[start : start + BATCH]
            known.update(
                session.execute(
                    select(Deal.id, Deal.company_amount).where(Deal.id.in_(chunk))
                ).all()
            )
        amounts = known
    values: list[dict[str, Any]] = []
    for deal_id, lines in rows.items():
        total = amounts.get(deal_id)
        parts = (
            currency.shares(total, dict(lines))
            if total is not None
            else dict.fromkeys([split_id for split_id, _ in lines])
        )
        values.extend({"split_id": k, "share": v} for k, v in parts.items())
    statement = (
        update(CreditSplit)
        .where(CreditSplit.id == bindparam("split_id"))
        .values(amount=bindparam("share"))
    )
    session.connection().execute(statement, values)
    return len(values)


def reprice(
    session: Session,
    *,
    currencies: Iterable[str] | None = None,
    deal_ids: Iterable[int] | None = None,
    today: date | None = None,
) -> int:
    """Recompute the company amount (and shares) of the deals in `currencies`, or of
    `deal_ids`, or of every deal; returns how many changed. One read, batched updates."""
    company = company_currency(session)
    query = select(
        Deal.id,
        Deal.amount,
        Deal.currency,
        Deal.status,
        Deal.closed_on,
        Deal.company_amount,
        Deal.credit_shared,
    ).order_by(Deal.id)
    codes = None if currencies is None else set(currencies)
    if codes is not None:
        query = query.where(Deal.currency.in_(codes))
    id_list = None if deal_ids is None else sorted(set(deal_ids))
    rates = load_rates(session, codes)
    changed: list[dict[str, Any]] = []
    shared: dict[int, Decimal | None] = {}
    chunks = (
        [None]
        if id_list is None
        else [id_list[i : i + BATCH] for i in range(0, len(id_list), BATCH)]
    )
    for chunk in chunks:
        rows = session.execute(query if chunk is None else query.where(Deal.id.in_(chunk)))
        for deal_id, amount, code, status, closed_on, stored, split in rows:
            new = price(amount, code, status, closed_on, company=company, rates=rates, today=today)
            if new != (None if stored is None else Decimal(stored)):
                changed.append({"deal_id": deal_id, "value": new})
                if split:
                    shared[deal_id] = new
    statement = (
        update(Deal)
        .where(Deal.id == bindparam("deal_id"))
        .values(company_amount=bindparam("value"))
        .execution_options(synchronize_session=False)
    )
    connection = session.connection()
    for start in range(0, len(changed), BATCH):
        connection.execute(statement, changed[start : start + BATCH])
    share_amounts(session, shared, shared)
    for deal in [obj for obj in session.identity_map.values() if isinstance(obj, Deal)]:
        session.expire(deal, ["company_amount"])
    return len(changed)


def in_company_currency(recorded: Any) -> Any:
    """An amount recorded on the deal's history (in the deal's currency) at the deal's own
    conversion, to the cent: what the deal's figures read, scaled to the amount recorded
    then. NULL while the deal is not priced."""
    return case(
        (Deal.amount == 0, case((Deal.company_amount.is_not(None), recorded))),
        else_=func.round(recorded * Deal.company_amount / Deal.amount, 2),
    )


# --- the listener ----------------------------------------------------------------------------


def _needs_price(deal: Deal, new: bool) -> bool:
    state = attributes.instance_state(deal)
    if new:
        return True
    return any(state.attrs[name].history.has_changes() for name in WATCHED)


@event.listens_for(Session, "before_flush")
def _price_written_deals(session: Session, _context: Any, _instances: Any) -> None:
    """Every deal the ORM is about to write gets its company amount in the same flush."""
    pending = [(d, True) for d in session.new if isinstance(d, Deal)]
    pending += [(d, False) for d in session.dirty if isinstance(d, Deal)]
    todo = [deal for deal, new in pending if _needs_price(deal, new)]
    if not todo:
        return
    with session.no_autoflush:
        company = company_currency(session)
        for deal in todo:
            if not deal.currency:
                deal.currency = company
        foreign = {d.currency for d in todo if d.currency != company}
        rates = load_rates(session, foreign) if foreign else {}
        for deal in todo:
            deal.company_amount = price(
                deal.amount,
                deal.currency,
                deal.status or "open",
                deal.closed_on,
                company=company,
                rates=rates,
            )
        split = [d for d in todo if d.credit_shared and d.id is not None]
        for deal in split:
            lines = list(session.scalars(select(CreditSplit).where(CreditSplit.deal_id == deal.id)))
            total = deal.company_amount
            parts = (
                currency.shares(total, {line.id: Decimal(line.percent) for line in lines})
                if total is not None and lines
                else {}
            )
            for line in lines:
                line.amount = parts.get(line.id)
