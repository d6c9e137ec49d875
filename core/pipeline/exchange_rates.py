"""The company currency and the exchange-rate table (administrators and directors).

A rate is the number of company-currency units for one unit of a currency, in effect from its
date until the currency's next rate (core.currency states the conversion rule). A rate takes
effect on its date, so it cannot be dated after today. Every change re-prices the deals of the
currency in the same transaction (core.pipeline.pricing).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core import clock, currency
from core.errors import NotFound, ValidationFailed
from core.i18n import _
from core.models import Actor, Role
from core.org import audit
from core.org.access import ensure_active, ensure_role
from core.org.company import set_setting
from core.pipeline import pricing
from db.schema import Deal, ExchangeRate

company_currency = pricing.company_currency


@dataclass(frozen=True)
class RateRow:
    """One rate as the admin page and the export show it."""

    id: int
    currency: str
    valid_from: date
    rate: Decimal


@dataclass(frozen=True)
class CurrencyUse:
    """A currency the deals use: how many deals, and how many of them are not priced."""

    currency: str
    deals: int
    not_priced: int
    first_rate: date | None
    latest_rate: Decimal | None


def set_company_currency(session: Session, actor: Actor, code: str) -> None:
    """The currency of every figure and target. It can change only while no deal and no rate
    is recorded: every amount already stated against the old one would change meaning."""
    ensure_role(actor, Role.ADMIN, action=_("set the company currency"))
    new = currency.currency_code(code)
    before = company_currency(session)
    if new == before:
        return
    if session.scalar(select(func.count()).select_from(Deal)) or session.scalar(
        select(func.count()).select_from(ExchangeRate)
    ):
        raise ValidationFailed(
            _(
                "The company currency stays {before}: deals or rates are already "
                "recorded against it. Set the company currency before recording deals."
            ).format(before=before)
        )
    set_setting(session, "company_currency", new)
    audit.record(
        session,
        actor,
        "set",
        "app_setting",
        None,
        before={"company_currency": before},
        after={"company_currency": new},
    )
    session.flush()


def rate_rows(session: Session, actor: Actor, code: str | None = None) -> list[RateRow]:
    """Every rate (or one currency's), newest first: company reference data, for anyone
    signed in and active."""
    ensure_active(actor)
    query = select(ExchangeRate).order_by(ExchangeRate.currency, ExchangeRate.valid_from.desc())
    if code:
        query = query.where(ExchangeRate.currency == currency.currency_code(code))
    return [
        RateRow(r.id, r.currency, r.valid_from, Decimal(r.rate)) for r in session.scalars(query)
    ]


def checked_rate(session: Session, code: object, valid_from: object, rate: object, today: date):
    """(currency, valid_from, rate) checked: a real code other than the company currency, a
    date no later than today, a positive rate."""
    checked = currency.currency_code(code)
    if checked == company_currency(session):
        raise ValidationFailed(
            _(
                "{checked} is the company currency: its deals need no rate (1 "
                "{checked} is always 1 {checked})."
            ).format(checked=checked)
        )
    if not isinstance(valid_from, date):
        raise ValidationFailed(_("A rate needs the date it takes effect from."))
    if valid_from > today:
        raise ValidationFailed(
            _(
                "A rate takes effect on its date: {isoformat} is after today "
                "({isoformat_2}); enter it on that day."
            ).format(isoformat=valid_from.isoformat(), isoformat_2=today.isoformat())
        )
    return checked, valid_from, currency.rate_value(rate)


def save_rates(
    session: Session,
    actor: Actor,
    rows: Iterable[tuple[object, object, object]],
    *,
    today: date | None = None,
) -> dict[str, int]:
    """Add or replace rates (same currency and date: the new rate wins), then re-price the
    deals of those currencies. All rows are checked first; one bad row changes nothing."""
    ensure_role(actor, Role.ADMIN, action=_("change exchange rates"))
    today = today or clock.today()
    checked = [checked_rate(session, *row, today) for row in rows]
    if not checked:
        raise ValidationFailed(_("There is no rate to save."))
    keys = [(code, day) for code, day, __ in checked]
    if len(set(keys)) != len(keys):
        twice = next(k for k in keys if keys.count(k) > 1)
        raise ValidationFailed(
            _("{twice} has two rates for {isoformat}; keep one of them.").format(
                twice=twice[0], isoformat=twice[1].isoformat()
            )
        )
    existing = {
        (r.currency, r.valid_from): r
        for r in session.scalars(
            select(ExchangeRate).where(ExchangeRate.currency.in_({c for c, __, __ in checked}))
        )
    }
    added = replaced = 0
    for code, day, rate in checked:
        row = existing.get((code, day))
        if row is None:
            session.add(ExchangeRate(currency=code, valid_from=day, rate=rate))
            added += 1
        elif Decimal(row.rate) != rate:
            row.rate = rate
            replaced += 1
    session.flush()
    codes = sorted({c for c, __, __ in checked})
    repriced = pricing.reprice(session, currencies=codes)
    audit.record(
        session,
        actor,
        "exchange_rate.save",
        "exchange_rate",
        None,
        after={"currencies": codes, "added": added, "replaced": replaced, "repriced": repriced},
    )
    session.flush()
    return {"added": added, "replaced": replaced, "repriced": repriced}


def delete_rate(session: Session, actor: Actor, rate_id: int) -> int:
    """Remove one rate and re-price its currency's deals; returns how many changed."""
    ensure_role(actor, Role.ADMIN, action=_("change exchange rates"))
    row = session.get(ExchangeRate, rate_id)
    if row is None:
        raise NotFound(_("No exchange rate with id {rate_id}.").format(rate_id=rate_id))
    before = {"currency": row.currency, "valid_from": row.valid_from, "rate": row.rate}
    code = row.currency
    session.execute(delete(ExchangeRate).where(ExchangeRate.id == rate_id))
    repriced = pricing.reprice(session, currencies=[code])
    audit.record(session, actor, "exchange_rate.delete", "exchange_rate", rate_id, before=before)
    session.flush()
    return repriced


def currencies_used(session: Session, actor: Actor) -> list[str]:
    """The currencies the deals use, alphabetically: one index seek per currency (a skip scan
    of ix_deal_currency_priced), not a read of every deal. For administrators and directors."""
    ensure_role(actor, Role.ADMIN, action=_("see the currencies the deals use"))
    used = select(func.min(Deal.currency).label("code")).cte("used", recursive=True)
    following = select(func.min(Deal.currency)).where(Deal.currency > used.c.code)
    used = used.union_all(select(following.scalar_subquery()).where(used.c.code.is_not(None)))
    return list(session.scalars(select(used.c.code).where(used.c.code.is_not(None))))


def latest_rates(session: Session, actor: Actor) -> dict[str, Decimal]:
    """The latest dated rate of each foreign currency the deals use (those with a rate)."""
    company = company_currency(session)
    rates = pricing.load_rates(session)
    return {
        code: rates[code][-1][1]
        for code in currencies_used(session, actor)
        if code != company and rates.get(code)
    }


def currencies_in_use(session: Session, actor: Actor) -> list[CurrencyUse]:
    """Each currency the deals use with its deal count, its not-priced count and its rates
    (one grouped query read from ix_deal_currency_priced alone, plus one over the small rate
    table). Company-wide counts: for administrators and directors."""
    ensure_role(actor, Role.ADMIN, action=_("see the currencies the deals use"))
    uses = session.execute(
        select(
            Deal.currency,
            func.count(),
            func.count() - func.count(Deal.company_amount),
        ).group_by(Deal.currency)
    ).all()
    rates = pricing.load_rates(session)
    return [
        CurrencyUse(
            code,
            int(n),
            int(missing),
            rates[code][0][0] if rates.get(code) else None,
            rates[code][-1][1] if rates.get(code) else None,
        )
        for code, n, missing in sorted(uses)
    ]
