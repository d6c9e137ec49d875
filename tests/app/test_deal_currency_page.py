"""Deals in a currency under AppTest: the New deal form takes a currency (the company currency by
default, the currencies with rates next), the deal page and My deals show the amount in its
currency beside the amount in the company currency or why it is not priced, the deal edit
changes the currency, and a copy of a deal still asks before it makes a second open deal.

Expected amounts are worked out by hand from the rates the tests save (CHF and SEK are not used
by the demo data)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.org.access import load_actor
from core.pipeline import exchange_rates
from db.engine import make_engine, session_factory
from db.schema import Customer, Deal, Person
from tests.app.conftest import signed_in
from tests.support import sqlite_copy

TODAY = date.today()


def _db(url):
    return session_factory(make_engine(url))()


def _button(at, label):
    return next(b for b in at.button if b.label == label)


@pytest.fixture
def app_database(app_database, tmp_path) -> str:
    """A copy of the demo database for each test: the rates and deals these tests save must
    not reach the other pages' tests, which share the demo database."""
    path = tmp_path / "currency.db"
    sqlite_copy(app_database, path)
    return f"sqlite:///{path}"


@pytest.fixture
def chf_rate(app_database):
    """CHF at 1.25 from ten days ago (the rate in effect today for an open deal)."""
    with _db(app_database) as session:
        admin = session.scalar(select(Person.id).where(Person.username == "admin"))
        exchange_rates.save_rates(
            session, load_actor(session, admin), [("CHF", TODAY - timedelta(days=10), "1.25")]
        )
        session.commit()


def _rep_customer(url, index: int) -> str:
    with _db(url) as session:
        rep = session.scalar(select(Person.id).where(Person.username == "rep"))
        return session.scalars(
            select(Customer.name).where(Customer.owner_id == rep).order_by(Customer.name.desc())
        ).all()[index]


def _texts(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def test_a_rep_creates_a_deal_in_chf_and_sees_both_amounts(app_database, chf_rate):
    customer = _rep_customer(app_database, 0)
    at = signed_in("rep").switch_page("pages/my_deals.py").run()
    currency = at.selectbox(key="my_new_currency")
    assert currency.value == "USD"  # the company currency by default
    assert currency.options[0] == "USD – US Dollar (the company currency)"
    assert "CHF – Swiss Franc" in currency.options[1:20]  # with a rate: near the top
    assert "SEK – Swedish Krona (no exchange rate yet)" in currency.options
    at.text_input(key="my_new_search").input(customer).run()
    at.text_input(key="my_new_name").input("Zurich roll-out")
    at.number_input(key="my_new_amount").set_value(41000.0)
    at.selectbox(key="my_new_currency").set_value("CHF")
    _button(at, "Create deal").click().run()
    assert not at.exception and not at.error, at.error
    with _db(app_database) as session:
        deal = session.scalar(select(Deal).where(Deal.name == "Zurich roll-out"))
        assert (deal.amount, deal.currency) == (Decimal("41000.00"), "CHF")
        assert deal.company_amount == Decimal("51250.00")  # 41,000 x 1.25
        deal_id = deal.id
    assert at.subheader[0].value == "Zurich roll-out"
    shown = _texts(at)
    assert "41,000.00 CHF (51,250.00 USD)" in shown
    assert "The amount in USD is converted at the CHF rate in effect today." in shown

    # the deal edit offers the currency; SEK has no rate, so the deal is not priced
    edit = at.selectbox(key=f"my_edit_currency_{deal_id}")
    assert edit.value == "CHF"
    edit.set_value("SEK")
    _button(at, "Save").click().run()
    assert [s.value for s in at.success] == ["Saved."]
    with _db(app_database) as session:
        deal = session.get(Deal, deal_id)
        assert (deal.currency, deal.company_amount) == ("SEK", None)
    shown = _texts(at)
    assert "41,000.00 SEK (not priced: no SEK rate)" in shown
    assert "There is no SEK rate yet" in shown

    # My deals lists it with the reason, and says the total leaves it out
    at = signed_in("rep").switch_page("pages/my_deals.py").run()
    cards = [m.value for m in at.markdown if "Zurich roll-out" in m.value]
    assert len(cards) == 1 and "41,000.00 SEK (not priced: no SEK rate)" in cards[0]
    with _db(app_database) as session:  # the demo's own unpriced deals of the rep count too
        rep = session.scalar(select(Person.id).where(Person.username == "rep"))
        unpriced = session.scalar(
            select(func.count())
            .select_from(Deal)
            .where(Deal.owner_id == rep, Deal.status == "open", Deal.company_amount.is_(None))
        )
    left_out = "1 deal" if unpriced == 1 else f"{unpriced} deals"
    assert any(
        f"leaves out {left_out} in a currency without an exchange rate" in c.value
        for c in at.caption
    )
    with _db(app_database) as session:
        rep = session.scalar(select(Person.id).where(Person.username == "rep"))
        total = session.scalar(
            select(func.sum(Deal.company_amount)).where(Deal.owner_id == rep, Deal.status == "open")
        )
    assert at.caption[0].value.split(" · ")[1] == f"{total:,.0f} USD"


def test_a_deal_in_the_company_currency_shows_one_amount(app_database):
    at = signed_in("rep").switch_page("pages/my_deals.py").run()
    with _db(app_database) as session:
        rep = session.scalar(select(Person.id).where(Person.username == "rep"))
        deal = session.scalars(
            select(Deal)
            .where(Deal.owner_id == rep, Deal.status == "open", Deal.currency == "USD")
            .order_by(Deal.expected_close, Deal.id)
        ).first()
        amount = deal.amount
    card = next(m.value for m in at.markdown if m.value.startswith(f"**{deal.name}**"))
    assert f"💰 {amount:,.2f} USD · 📅" in card  # no second "USD" amount
    _button_key = f"my_open_{deal.id}"
    next(b for b in at.button if b.key == _button_key).click().run()
    header = next(m.value for m in at.markdown if "💰" in m.value)
    assert f"💰 **{amount:,.2f} USD**" in header and header.count("USD") == 1
    assert not any("is converted at" in c.value for c in at.caption)


def test_copying_a_deal_asks_first_then_opens_the_copy(app_database):
    with _db(app_database) as session:
        rep = session.scalar(select(Person.id).where(Person.username == "rep"))
        source = session.scalars(
            select(Deal).where(Deal.owner_id == rep, Deal.status == "open").order_by(Deal.id)
        ).first()
        source_id, name = source.id, source.name
        before = session.scalar(select(func.count()).select_from(Deal))
    at = signed_in("rep").switch_page("pages/my_deals.py").run()
    next(b for b in at.button if b.key == f"my_open_{source_id}").click().run()
    _button(at, "Copy the deal").click().run()
    assert not at.exception
    assert any("already has an open deal" in w.value for w in at.warning)
    with _db(app_database) as session:
        assert session.scalar(select(func.count()).select_from(Deal)) == before
    _button(at, "Copy it anyway").click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == [f"A copy of {name} is created."]
    with _db(app_database) as session:
        assert session.scalar(select(func.count()).select_from(Deal)) == before + 1
        copy_id = session.scalar(select(func.max(Deal.id)))
    assert at.session_state["my_deals_open"] == copy_id  # the copy is opened
