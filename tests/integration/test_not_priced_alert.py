"""The 'Deals not priced' alert, on SQLite and PostgreSQL: one alert per currency for
administrators and directors, never for managers or reps; and the rate service's refusals.

Expected counts and amounts are the deals this test adds plus what an independent SQL count
finds already there (the demo data may hold not-priced deals of its own)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.errors import PermissionDenied
from core.performance import alerts
from core.pipeline import exchange_rates
from db.schema import Deal, ExchangeRate
from tests import factories as f

LONG_AGO = date(2001, 3, 1)
"""Before any rate the demo data may hold: deals closed then have no EUR rate in effect."""


@pytest.fixture
def team(session):
    north = f.region(session, "Pricing North")
    manager = f.person(session, "manager", north, manages=[north])
    rep = f.person(session, "rep", north)
    return {
        "north": north,
        "rep_person": rep,
        "rep": f.actor(session, rep),
        "manager": f.actor(session, manager),
        "admin": f.actor(session, f.person(session, "admin")),
        "director": f.actor(session, f.person(session, "director")),
        "shop": f.customer(session, rep, north),
    }


def _old_eur_deal(session, team, amount: str) -> Deal:
    deal = f.deal(
        session,
        team["rep_person"],
        team["shop"],
        amount=Decimal(amount),
        status="won",
        closed_on=LONG_AGO,
        currency="EUR",
    )
    deal.created_on = date(2001, 1, 2)
    session.flush()
    return deal


def _eur_not_priced(session) -> tuple[int, Decimal]:
    count, total = session.execute(
        select(func.count(), func.coalesce(func.sum(Deal.amount), 0)).where(
            Deal.currency == "EUR", Deal.company_amount.is_(None)
        )
    ).one()
    return int(count), Decimal(total).quantize(Decimal("0.01"))


def _not_priced(session, actor) -> list[alerts.Alert]:
    return [a for a in alerts.current_alerts(session, actor) if a.rule == "not_priced"]


def test_two_eur_deals_without_a_rate_give_the_admin_one_alert_and_the_rep_none(session, team):
    had_eur_alert = any(a.subject == "EUR" for a in _not_priced(session, team["admin"]))
    badge_before = alerts.open_alert_count(session, team["admin"])
    before_count, before_amount = _eur_not_priced(session)
    first = _old_eur_deal(session, team, "30000.00")
    second = _old_eur_deal(session, team, "11000.50")
    assert first.company_amount is None and second.company_amount is None

    for who in ("admin", "director"):
        (eur,) = [a for a in _not_priced(session, team[who]) if a.subject == "EUR"]
        assert eur.figures["deals"] == before_count + 2
        assert Decimal(eur.figures["amount"]) == before_amount + Decimal("41000.50")
        assert eur.severity == "high" and eur.subject_type == "currency"
        first_rate = session.scalar(
            select(func.min(ExchangeRate.valid_from)).where(ExchangeRate.currency == "EUR")
        )
        amount = f"{before_amount + Decimal('41000.50'):,.0f}"
        missing = "no EUR rate" if first_rate is None else f"no EUR rate before {first_rate}"
        assert eur.message.startswith(
            f"{before_count + 2:,} deals, {amount} EUR, not priced: {missing}."
        )
        assert "Exchange rates page" in eur.message
    # the navigation badge counts through the same list
    assert alerts.open_alert_count(session, team["admin"]) == badge_before + (
        0 if had_eur_alert else 1
    )
    assert _not_priced(session, team["rep"]) == []
    assert _not_priced(session, team["manager"]) == []

    # a rate dated before the deals prices them, and the alert is gone
    exchange_rates.save_rates(session, team["admin"], [("EUR", date(2001, 1, 1), "1.10")])
    session.refresh(first)
    assert first.company_amount == Decimal("33000.00")
    assert _eur_not_priced(session) == (0, Decimal("0.00"))
    assert not any(a.subject == "EUR" for a in _not_priced(session, team["admin"]))


def test_an_acknowledged_not_priced_alert_comes_back_when_another_deal_is_not_priced(session, team):
    _old_eur_deal(session, team, "500.00")
    (eur,) = [a for a in _not_priced(session, team["admin"]) if a.subject == "EUR"]
    alerts.acknowledge(session, team["admin"], [eur.key])
    assert not any(a.subject == "EUR" for a in _not_priced(session, team["admin"]))
    _old_eur_deal(session, team, "700.00")
    (again,) = [a for a in _not_priced(session, team["admin"]) if a.subject == "EUR"]
    assert again.key != eur.key
    assert again.figures["deals"] == eur.figures["deals"] + 1


@pytest.mark.parametrize("who", ["manager", "rep"])
def test_a_manager_and_a_rep_may_not_change_exchange_rates(session, team, who):
    rates_before = session.scalar(select(func.count()).select_from(ExchangeRate))
    with pytest.raises(PermissionDenied, match="change exchange rates"):
        exchange_rates.save_rates(session, team[who], [("EUR", date(2026, 1, 5), "1.08")])
    with pytest.raises(PermissionDenied, match="set the company currency"):
        exchange_rates.set_company_currency(session, team[who], "EUR")
    exchange_rates.save_rates(session, team["admin"], [("CHF", date(2026, 1, 5), "1.12")])
    rate_id = session.scalar(select(ExchangeRate.id).where(ExchangeRate.currency == "CHF"))
    with pytest.raises(PermissionDenied, match="change exchange rates"):
        exchange_rates.delete_rate(session, team[who], rate_id)
    assert session.scalar(select(func.count()).select_from(ExchangeRate)) == rates_before + 1
