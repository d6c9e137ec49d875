"""Importing exchange rates: matched on currency and date, written by the admin page's service.

The rules are those of core.pipeline.exchange_rates: a real ISO 4217 code other than the company
currency, a date no later than today (a rate takes effect on its date), a positive rate. Every
row is checked first; one bad row changes nothing. New and changed rates re-price the deals of
their currencies in the same transaction.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from core import currency
from core.errors import ValidationFailed
from core.i18n import _
from core.pipeline import exchange_rates, pricing
from core.transfer.formats import ExchangeRateRow, Kind
from core.transfer.import_context import ImportContext, ImportResult, repeated_in_file


def import_exchange_rates(ctx: ImportContext, dry_run: bool) -> ImportResult:
    session = ctx.session
    company = pricing.company_currency(session)
    seen: dict = {}
    rows: list[tuple[str, date, Decimal]] = []
    for number, row, _record in ctx.rows.of(ExchangeRateRow):
        key = (row.currency, row.date)
        if repeated_in_file(ctx, number, "date", row.date.isoformat(), key, seen):
            continue
        try:
            rate = currency.rate_value(row.rate)
        except ValidationFailed as exc:
            ctx.problem(number, "rate", row.rate, str(exc))
            continue
        if row.currency == company or row.date > ctx.today:
            # the service words the refusal (asked only for a row it refuses)
            try:
                exchange_rates.checked_rate(session, row.currency, row.date, rate, ctx.today)
            except ValidationFailed as exc:
                column, value = (
                    ("currency", row.currency) if row.currency == company else ("date", row.date)
                )
                ctx.problem(number, column, value, str(exc))
                continue
        rows.append((row.currency, row.date, rate))
    ctx.fail_if_problems()
    stored = pricing.load_rates(session, {code for code, _day, _rate in rows})
    known = {(code, day): rate for code, dated in stored.items() for day, rate in dated}
    result = ImportResult(kind=Kind.EXCHANGE_RATES, dry_run=dry_run)
    changed = []
    for code, day, rate in rows:
        before = known.get((code, day))
        if before is None:
            result.created += 1
        elif before != rate:
            result.updated += 1
        else:
            result.unchanged += 1
            continue
        changed.append((code, day, rate))
    if changed and not dry_run:
        saved = exchange_rates.save_rates(session, ctx.actor, changed, today=ctx.today)
        result.note = _("Deals re-priced: {count}.").format(count=f"{saved['repriced']:,}")
    return result
