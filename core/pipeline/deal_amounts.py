"""A deal's money as the deal lists and the deal page show it: the amount in the deal's own
currency beside its amount in the company currency, and why a deal is not priced.

A deal is not priced when its currency had no rate in effect on its pricing day (the rule is in
`core.currency`: the close date of a won or lost deal, today for an open one). Because a rate
cannot be dated after today, an open deal is not priced only while its currency has no rate at
all, and a closed one when it closed before the currency's first rate. So the lists carry that
first rate for every not-priced row, in the same query, and the page says "no EUR rate before
2026-01-04" (or "no EUR rate").

The deal form offers every ISO 4217 currency: the company currency first, then the currencies
that have rates, then the others (a deal in one of those is not priced until a rate is added).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from core.currency import CURRENCIES
from core.pipeline.pricing import company_currency
from db.schema import Deal, ExchangeRate


def _first_rate_of_deal_currency() -> ColumnElement:
    """The first rate date of the deal row's currency (a correlated subquery, read through the
    unique (currency, valid_from) index for the rows returned only)."""
    return (
        select(func.min(ExchangeRate.valid_from))
        .where(ExchangeRate.currency == Deal.currency)
        .scalar_subquery()
    )


def amount_columns() -> list:
    """Columns for a deal list, beside `Deal.amount`: `currency`, `company_amount` (None: not
    priced) and `first_rate` (only on a not-priced row: its currency's first rate, None when the
    currency has no rate at all)."""
    return [
        Deal.currency,
        Deal.company_amount,
        case((Deal.company_amount.is_(None), _first_rate_of_deal_currency()), else_=None).label(
            "first_rate"
        ),
    ]


def first_rate(session: Session, code: str) -> date | None:
    """A currency's first rate date (None: it has no rate)."""
    return session.scalar(
        select(func.min(ExchangeRate.valid_from)).where(ExchangeRate.currency == code)
    )


@dataclass(frozen=True)
class CurrencyChoices:
    """The currencies the deal form offers, in the order it offers them."""

    company: str
    with_rates: tuple[str, ...]
    """Currencies with at least one exchange rate, alphabetical (not the company currency)."""
    without_rates: tuple[str, ...]
    """Every other ISO 4217 code, alphabetical: a deal in one is not priced until it has a rate."""

    @property
    def codes(self) -> list[str]:
        return [self.company, *self.with_rates, *self.without_rates]


def currency_choices(session: Session) -> CurrencyChoices:
    """The company currency, then the currencies with rates, then the other ISO codes."""
    company = company_currency(session)
    rated = set(session.scalars(select(ExchangeRate.currency).distinct())) - {company}
    others = CURRENCIES - rated - {company}
    return CurrencyChoices(company, tuple(sorted(rated)), tuple(sorted(others)))


__all__ = ["CurrencyChoices", "amount_columns", "currency_choices", "first_rate"]
