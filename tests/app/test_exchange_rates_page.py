"""The Exchange rates page under AppTest, for an administrator: what it shows equals an
independent count from the database; adding, refusing and deleting a rate go through the rate
service; managers and reps cannot open it.

The page works on a copy of the shared demo database with a few deals in CHF and NOK and some
rates added, so other tests keep their data."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
import streamlit as st
from sqlalchemy import case, delete, func, select, update

from core.demo.org import DEMO_PASSWORD
from db.config import get_settings
from db.engine import make_engine, session_factory
from db.schema import Customer, Deal, ExchangeRate, Person
from tests import factories as f
from tests.app.conftest import signed_in
from tests.support import sqlite_copy

PAGE = "pages/exchange_rates.py"
TODAY = date.today()


def _db(url):
    return session_factory(make_engine(url))()


@pytest.fixture
def rates_database(app_database, tmp_path, monkeypatch) -> str:
    """A copy of the demo database with deals in two currencies the demo data does not use:
    CHF deals before and after the first CHF rate, and NOK deals with no NOK rate at all (and
    one SEK rate to delete)."""
    path = tmp_path / "rates.db"
    sqlite_copy(app_database, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()
    with _db(url) as session:
        rep = session.scalar(select(Person).where(Person.username == "rep"))
        shop = session.scalar(select(Customer).where(Customer.owner_id == rep.id).limit(1))
        session.add_all(
            [
                ExchangeRate(currency="CHF", valid_from=TODAY - timedelta(days=60), rate="1.10"),
                ExchangeRate(currency="CHF", valid_from=TODAY - timedelta(days=30), rate="1.20"),
                ExchangeRate(currency="SEK", valid_from=TODAY - timedelta(days=30), rate="0.095"),
            ]
        )
        session.flush()
        for amount, closed in (("1000.00", 90), ("2500.00", 80), ("4000.00", 10)):
            f.deal(
                session,
                rep,
                shop,
                amount=Decimal(amount),
                status="won",
                closed_on=TODAY - timedelta(days=closed),
                currency="CHF",
            )
        for amount in ("700.00", "300.00"):
            f.deal(session, rep, shop, amount=Decimal(amount), currency="NOK")
        session.commit()
    return url


def _admin_page():
    at = signed_in("admin").switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def _button(at, label):
    return next(b for b in at.button if b.label == label)


FRAMES = {"rates_in_use": 0, "rates_table": 1}
"""The page's tables in the order it shows them."""


def _frame(at, key):
    return at.dataframe[FRAMES[key]].value


def test_the_page_shows_what_the_database_holds(rates_database):
    at = _admin_page()
    with _db(rates_database) as session:
        deals = session.scalar(select(func.count()).select_from(Deal))
        not_priced = session.scalar(
            select(func.count()).where(Deal.company_amount.is_(None)).select_from(Deal)
        )
        by_currency = {
            code: (int(n), int(missing))
            for code, n, missing in session.execute(
                select(
                    Deal.currency,
                    func.count(),
                    func.sum(case((Deal.company_amount.is_(None), 1), else_=0)),
                ).group_by(Deal.currency)
            )
        }
        rate_count = session.scalar(select(func.count()).select_from(ExchangeRate))
    # the two CHF deals closed before the first CHF rate and the two NOK deals (no rate)
    assert by_currency["CHF"] == (3, 2) and by_currency["NOK"] == (2, 2)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Deals"] == f"{deals:,}"
    assert metrics["Deals not priced"] == f"{not_priced:,}"
    in_use = _frame(at, "rates_in_use")
    shown = {
        code: (n, missing)
        for code, n, missing in zip(
            in_use["Currency"], in_use["Deals"], in_use["Not priced"], strict=True
        )
    }
    assert shown == by_currency
    first_chf = (TODAY - timedelta(days=60)).isoformat()
    warning = " ".join(w.value for w in at.warning)
    assert f"2 deals, 3,500 CHF, not priced: no CHF rate before {first_chf}." in warning
    assert "2 deals, 1,000 NOK, not priced: no NOK rate." in warning
    table = _frame(at, "rates_table")
    assert len(table) == rate_count
    assert list(table["Valid from"]) == sorted(table["Valid from"], reverse=True)
    (chart,) = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    assert spec["encoding"]["y"]["title"].startswith("USD for one unit")
    assert spec["encoding"]["color"]["field"] == "currency"
    assert any("How deals are converted" in e.label for e in at.expander)


def test_filtering_one_currency_shows_its_rates_only(rates_database):
    at = _admin_page()
    at.selectbox(key="rates_filter").set_value("CHF").run()
    table = _frame(at, "rates_table")
    assert list(table["Currency"]) == ["CHF", "CHF"]
    assert list(table["Rate"]) == ["1.2", "1.1"]


def test_adding_an_earlier_rate_prices_the_deals_before_it(rates_database):
    at = _admin_page()
    day = TODAY - timedelta(days=100)
    at.selectbox(key="rate_code").set_value("CHF")
    at.date_input(key="rate_day").set_value(day)
    at.text_input(key="rate_value").input("1.05")
    _button(at, "Save the rate").click().run()
    assert not at.error, [e.value for e in at.error]
    assert [s.value for s in at.success] == [
        f"The CHF rate from {day} is saved; 2 deals were converted again."
    ]
    with _db(rates_database) as session:
        assert session.scalar(
            select(ExchangeRate.rate).where(
                ExchangeRate.currency == "CHF", ExchangeRate.valid_from == day
            )
        ) == Decimal("1.05")
        amounts = session.scalars(
            select(Deal.company_amount)
            .where(Deal.currency == "CHF", Deal.closed_on < TODAY - timedelta(days=60))
            .order_by(Deal.amount)
        ).all()
        not_priced = session.scalar(
            select(func.count()).where(Deal.company_amount.is_(None)).select_from(Deal)
        )
    assert amounts == [Decimal("1050.00"), Decimal("2625.00")]
    assert {m.label: m.value for m in at.metric}["Deals not priced"] == f"{not_priced:,}"
    assert not any("CHF, not priced" in w.value for w in at.warning)


def test_a_bad_rate_is_refused_with_the_reason_and_saves_nothing(rates_database):
    at = _admin_page()
    at.selectbox(key="rate_code").set_value("NOK")
    at.text_input(key="rate_value").input("a lot")
    _button(at, "Save the rate").click().run()
    assert not at.exception
    assert ["'a lot' is not a number" in e.value for e in at.error] == [True]
    with _db(rates_database) as session:
        assert not session.scalar(
            select(func.count()).where(ExchangeRate.currency == "NOK").select_from(ExchangeRate)
        )


def test_the_company_currency_cannot_change_once_deals_are_recorded(rates_database):
    at = _admin_page()
    at.selectbox(key="company_currency_code").set_value("EUR")
    _button(at, "Set the company currency").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The company currency stays USD: deals or rates are already recorded against it. Set "
        "the company currency before recording deals."
    ]


def test_deleting_a_rate_needs_the_confirmation(rates_database):
    at = _admin_page()
    at.selectbox(key="rates_filter").set_value("SEK").run()
    assert _button(at, "Delete the rate").disabled
    at.checkbox(key="delete_rate_sure").check().run()
    _button(at, "Delete the rate").click().run()
    assert not at.error, [e.value for e in at.error]
    assert len(at.success) == 1 and "is deleted" in at.success[0].value
    with _db(rates_database) as session:
        assert not session.scalar(
            select(func.count()).where(ExchangeRate.currency == "SEK").select_from(ExchangeRate)
        )


def test_a_director_opens_the_page_and_a_manager_and_a_rep_cannot():
    at = signed_in("director").switch_page(PAGE).run()
    assert not at.exception and not at.error
    assert at.title[0].value.endswith("Exchange rates")
    for username in ("manager", "rep"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            signed_in(username, DEMO_PASSWORD).switch_page(PAGE)


def test_without_a_foreign_currency_the_page_says_no_rate_is_needed_yet(
    app_database, tmp_path, monkeypatch
):
    path = tmp_path / "usd-only.db"
    sqlite_copy(app_database, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()
    with _db(url) as session:
        session.execute(update(Deal).values(currency="USD", company_amount=Deal.amount))
        session.execute(delete(ExchangeRate))
        session.commit()
    at = _admin_page()
    assert any(
        i.value.startswith("Every deal is in USD, the company currency, so no rate is needed yet.")
        for i in at.info
    )
    assert any(i.value.startswith("There is no rate yet.") for i in at.info)
    assert {m.label: m.value for m in at.metric}["Deals not priced"] == "0"
    assert not at.warning
