"""The New deal form under AppTest: a rep creates a deal for an existing and a new customer, bad
input changes nothing, a second open deal asks first, a manager picks a rep of her area; the
administrator keeps the lost reasons on Pipeline stages."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from core.org.access import load_actor
from db.engine import make_engine, session_factory
from db.schema import Customer, Deal, LostReason, Person
from tests.app.conftest import signed_in


def _db(url):
    return session_factory(make_engine(url))()


def _person(session, username):
    return session.scalar(select(Person).where(Person.username == username))


def _deals(url) -> int:
    with _db(url) as session:
        return session.scalar(select(func.count()).select_from(Deal))


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _my_deals(username="rep"):
    return signed_in(username).switch_page("pages/my_deals.py").run()


def _a_customer_of(url, username, index) -> str:
    """One of the person's customers (each test its own, so their deals do not meet)."""
    with _db(url) as session:
        person = _person(session, username)
        return session.scalars(
            select(Customer.name).where(Customer.owner_id == person.id).order_by(Customer.name)
        ).all()[index]


def _fill(at, key, name, amount, *, search=None):
    if search is not None:
        at.text_input(key=f"{key}_search").input(search).run()
    at.text_input(key=f"{key}_name").input(name)
    at.number_input(key=f"{key}_amount").set_value(amount)


def test_a_rep_creates_a_deal_for_one_of_her_customers(app_database):
    customer = _a_customer_of(app_database, "rep", 0)
    at = _my_deals()
    _fill(at, "my_new", "Renewal 2027", 7300.0, search=customer)
    at.number_input(key="my_new_quantity").set_value(3)
    _button(at, "Create deal").click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == ["The deal Renewal 2027 is created."]
    with _db(app_database) as session:
        deal = session.scalar(select(Deal).where(Deal.name == "Renewal 2027"))
        rep = _person(session, "rep")
        assert (deal.owner_id, deal.amount, deal.quantity) == (rep.id, Decimal("7300.00"), 3)
        assert session.get(Customer, deal.customer_id).name == customer
    assert at.session_state["my_deals_open"] == deal.id  # the new deal is opened
    assert at.subheader[0].value == "Renewal 2027"


def test_bad_input_shows_what_is_wrong_and_saves_nothing(app_database):
    before = _deals(app_database)
    at = _my_deals()
    _fill(at, "my_new", "", 100.0, search=_a_customer_of(app_database, "rep", 0))
    _button(at, "Create deal").click().run()
    assert not at.exception
    assert "Deal name" in at.error[0].value
    at.radio(key="my_new_mode").set_value("New customer").run()
    at.text_input(key="my_new_name").input("A deal without a customer")
    _button(at, "Create deal").click().run()
    assert "Pick the customer" in at.error[0].value
    assert _deals(app_database) == before


def test_a_deal_for_a_new_customer_creates_both(app_database):
    at = _my_deals()
    at.radio(key="my_new_mode").set_value("New customer").run()
    at.text_input(key="my_new_new_customer").input("Quillonex Vantage").run()
    _fill(at, "my_new", "Quillonex first order", 2500.0)
    _button(at, "Create deal").click().run()
    assert not at.exception and not at.error
    with _db(app_database) as session:
        deal = session.scalar(select(Deal).where(Deal.name == "Quillonex first order"))
        customer = session.get(Customer, deal.customer_id)
        rep = _person(session, "rep")
        assert (customer.name, customer.owner_id, deal.owner_id) == (
            "Quillonex Vantage",
            rep.id,
            rep.id,
        )


def test_a_second_open_deal_for_the_customer_asks_before_it_is_created(app_database):
    customer = _a_customer_of(app_database, "rep", 1)
    at = _my_deals()
    _fill(at, "my_new", "Spare parts", 900.0, search=customer)
    _button(at, "Create deal").click().run()
    assert at.success  # the first deal without a product
    at = _my_deals()
    _fill(at, "my_new", "Spare parts again", 900.0, search=customer)
    before = _deals(app_database)
    _button(at, "Create deal").click().run()
    assert not at.exception
    assert f"{customer} already has an open deal without a product" in at.warning[0].value
    assert _deals(app_database) == before
    _button(at, "Create another one").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["The deal Spare parts again is created."]
    assert _deals(app_database) == before + 1


def test_a_manager_creates_a_deal_for_a_rep_of_her_area_from_the_pipeline(app_database):
    at = signed_in("manager").switch_page("pages/pipeline.py").run()
    with _db(app_database) as session:
        rep = _person(session, "rep")
        manager = _person(session, "manager")
    owners = at.selectbox(key="pipe_new_owner").options
    assert rep.name in owners and manager.name in owners
    with _db(app_database) as session:
        area = load_actor(session, manager.id).scope_region_ids
        outside = session.scalars(
            select(Person.name).where(Person.role == "rep", Person.region_id.not_in(area))
        ).all()
    assert outside and not set(outside) & set(owners)
    at.selectbox(key="pipe_new_owner").set_value(rep.id).run()
    customer = _a_customer_of(app_database, "rep", 2)
    _fill(at, "pipe_new", "Manager's deal for the rep", 4100.0, search=customer)
    _button(at, "Create deal").click().run()
    assert not at.exception and not at.error, at.error
    with _db(app_database) as session:
        deal = session.scalar(select(Deal).where(Deal.name == "Manager's deal for the rep"))
        assert deal.owner_id == rep.id and deal.region_id == rep.region_id


def test_the_administrator_keeps_the_lost_reasons_on_the_stages_page(app_database):
    at = signed_in("admin").switch_page("pages/stages.py").run()
    assert not at.exception
    markdown = " ".join(m.value for m in at.markdown)
    assert "**Price**" in markdown and "**Budget cut**" in markdown
    at.text_input(key="reason_new_name").input("Went in-house")
    _button(at, "Add the reason").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Went in-house is added to the lost reasons."]
    with _db(app_database) as session:
        added = session.scalar(select(LostReason).where(LostReason.name == "Went in-house"))
        assert added is not None and added.active
    at.button(key=f"reason_retire_{added.id}").click().run()
    with _db(app_database) as session:
        assert session.get(LostReason, added.id).active is False
    at.text_input(key="reason_new_name").input("price")
    _button(at, "Add the reason").click().run()
    assert "already on the list" in at.error[0].value
