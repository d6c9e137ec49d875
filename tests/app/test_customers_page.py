"""The customers page under AppTest as a rep and as a manager, checked against the database."""

from __future__ import annotations

from sqlalchemy import func, select

from db.engine import make_engine, session_factory
from db.schema import AuditLog, Contact, Customer, Deal, DealTeamMember, Person
from tests.app.conftest import signed_in


def _db(url):
    return session_factory(make_engine(url))()


def _person_id(url, username) -> int:
    with _db(url) as session:
        return session.scalar(select(Person.id).where(Person.username == username))


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _customers_page(username):
    at = signed_in(username)
    at.switch_page("pages/customers.py").run()
    assert not at.exception, at.exception
    return at


def _open(at, name):
    at.text_input(key="cust_search").input(name).run()
    at.button(key="cust_open").click().run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == name


def test_a_rep_sees_the_whole_archive_and_can_search_it(app_database):
    with _db(app_database) as session:
        total = session.scalar(select(func.count()).select_from(Customer))
        name = session.scalar(select(Customer.name).order_by(Customer.id.desc()).limit(1))
        same_key = session.scalar(
            select(func.count()).where(
                Customer.normalized_name.contains(
                    session.scalar(select(Customer.normalized_name).where(Customer.name == name))
                )
            )
        )
    at = _customers_page("rep")
    assert at.title[0].value == "Customers"
    assert at.metric[0].value == f"{total:,}"
    at.text_input(key="cust_search").input(name.upper()).run()
    assert at.metric[0].value == f"{same_key:,}"
    assert name in list(at.dataframe[0].value["name"])
    labels = [e.label for e in at.expander]
    assert not any("Hand over" in label for label in labels), labels


def test_a_rep_opens_someone_elses_customer_read_only(app_database):
    rep_id = _person_id(app_database, "rep")
    with _db(app_database) as session:
        name = session.scalar(
            select(Customer.name).where(Customer.owner_id != rep_id).order_by(Customer.id).limit(1)
        )
    at = _customers_page("rep")
    _open(at, name)
    assert [m.label for m in at.metric] == [
        "Won to date",
        "Open pipeline",
        "Last contact",
        "Win rate",
        "Annual potential",
    ]
    assert [t.label for t in at.tabs] == ["Timeline", "Contacts", "Profile"]
    assert any("can see this customer but not change it" in i.value for i in at.info)
    assert not [b for b in at.button if b.label == "Add contact"]


def test_a_rep_adds_a_contact_to_an_own_customer_and_a_bad_email_is_refused(app_database):
    rep_id = _person_id(app_database, "rep")
    with _db(app_database) as session:
        customer_id, name = session.execute(
            select(Customer.id, Customer.name)
            .where(Customer.owner_id == rep_id)
            .order_by(Customer.id)
            .limit(1)
        ).one()
        contacts_before = session.scalar(
            select(func.count()).where(Contact.customer_id == customer_id)
        )
    at = _customers_page("rep")
    _open(at, name)
    at.text_input(key="add_contact_name").input("Erika Musterfrau")
    at.text_input(key="add_contact_email").input("erika(at)example")
    _button(at, "Add contact").click().run()
    assert not at.exception
    assert "Email" in at.error[0].value and "nothing was saved" in at.error[0].value
    with _db(app_database) as session:
        count = session.scalar(select(func.count()).where(Contact.customer_id == customer_id))
        assert count == contacts_before

    at.text_input(key="add_contact_name").input("Erika Musterfrau")
    at.text_input(key="add_contact_email").input("erika@example.com")
    at.text_input(key="add_contact_phone").input("+49 89 1234567")
    _button(at, "Add contact").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "Contact Erika Musterfrau added."
    with _db(app_database) as session:
        saved = session.scalar(
            select(Contact).where(
                Contact.customer_id == customer_id, Contact.name == "Erika Musterfrau"
            )
        )
        assert saved.email == "erika@example.com"
    timeline = at.dataframe[0].value
    assert timeline.iloc[0]["what"] == "Contact added: Erika Musterfrau"


def test_creating_a_customer_that_already_exists_needs_a_decision(app_database):
    rep_id = _person_id(app_database, "rep")
    with _db(app_database) as session:
        name = session.scalar(
            select(Customer.name).where(Customer.owner_id == rep_id).order_by(Customer.id).limit(1)
        )
        before = session.scalar(select(func.count()).select_from(Customer))
    at = _customers_page("rep")
    at.text_input(key="new_name").input(name.lower())
    _button(at, "Create customer").click().run()
    assert not at.exception, at.exception
    assert "looks like a customer we already have" in at.warning[0].value
    assert not [b for b in at.button if b.label == "It is a different customer: create it"]
    with _db(app_database) as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == before

    at.text_input(key="new_name").input("")
    _button(at, "Create customer").click().run()
    assert "Name" in at.error[0].value


def test_a_manager_hands_customers_over_from_the_list(app_database):
    with _db(app_database) as session:
        rep = session.scalar(select(Person).where(Person.username == "rep"))
        heir = session.scalar(
            select(Person)
            .where(Person.role == "rep", Person.region_id == rep.region_id, Person.id != rep.id)
            .order_by(Person.id)
            .limit(1)
        )
        heir_id, heir_name, rep_id = heir.id, heir.name, rep.id
        book = set(session.scalars(select(Customer.id).where(Customer.owner_id == rep_id)))
    assert book
    at = _customers_page("manager")
    at.selectbox(key="ho_from").select(rep_id)
    at.selectbox(key="ho_to").select(heir_id)
    at.text_input(key="ho_reason").input("territory change")
    _button(at, "Hand over").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.success[0].value.startswith(f"{len(book)} customers and ")
    assert heir_name in at.success[0].value
    with _db(app_database) as session:
        owners = set(session.scalars(select(Customer.owner_id).where(Customer.id.in_(book))))
        assert owners == {heir_id}
        entries = session.scalars(
            select(AuditLog).where(
                AuditLog.action == "reassign",
                AuditLog.entity == "customer",
                AuditLog.entity_id.in_(book),
            )
        ).all()
        assert len(entries) == len(book)
        assert {e.after["reason"] for e in entries} == {"territory change"}
        # give the book back so other tests still find the rep's own customers
        from core.customers.ownership import reassign_customers
        from core.org.access import SYSTEM_ACTOR

        reassign_customers(session, SYSTEM_ACTOR, sorted(book), rep_id, with_open_deals=True)
        session.commit()


def test_a_manager_merges_a_duplicate_from_the_customer_view(app_database):
    from core.org.access import load_actor

    with _db(app_database) as session:
        manager = load_actor(session, _person_id(app_database, "manager"))
        rep_id = _person_id(app_database, "rep")
        survivor, duplicate = session.execute(
            select(Customer.id, Customer.name)
            .where(
                Customer.region_id.in_(sorted(manager.scope_region_ids)),
                Customer.owner_id != rep_id,
            )
            .order_by(Customer.id.desc())
            .limit(2)
        ).all()
        deals_before = session.scalar(
            select(func.count()).where(Deal.customer_id.in_([survivor.id, duplicate.id]))
        )
    at = _customers_page("manager")
    _open(at, survivor.name)
    assert [t.label for t in at.tabs][-1] == "Owner and duplicates"
    at.text_input(key="merge_search").input(duplicate.name).run()
    at.selectbox(key="merge_pick").select(duplicate.id).run()
    assert at.button(key="merge_go").disabled
    at.checkbox(key="merge_sure").check().run()
    at.button(key="merge_go").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.success[0].value.startswith("Merged: ")
    with _db(app_database) as session:
        assert session.get(Customer, duplicate.id) is None
        assert (
            session.scalar(select(func.count()).where(Deal.customer_id == survivor.id))
            == deals_before
        )
        entry = session.scalar(
            select(AuditLog).where(AuditLog.action == "merge", AuditLog.entity_id == survivor.id)
        )
        assert entry.before["name"] == duplicate.name


def test_a_director_opens_the_page_with_every_tool(app_database):
    at = _customers_page("director")
    labels = [e.label for e in at.expander]
    assert "🔁 Hand over customers (managers and directors)" in labels
    at.button(key="cust_open").click().run()
    assert not at.exception, at.exception
    assert [t.label for t in at.tabs] == ["Timeline", "Contacts", "Profile", "Owner and duplicates"]


def test_a_manager_hands_one_customer_over_from_its_page_and_empty_choices_are_refused(
    app_database,
):
    from core.org.access import load_actor

    with _db(app_database) as session:
        manager = load_actor(session, _person_id(app_database, "manager"))
        scope = sorted(manager.scope_region_ids)
        customer_id, name, owner_id = session.execute(
            select(Customer.id, Customer.name, Customer.owner_id)
            .where(Customer.region_id.in_(scope))
            .order_by(Customer.id.desc())
            .limit(1)
        ).one()
        heir_id = session.scalar(
            select(Person.id)
            .where(Person.role == "rep", Person.region_id.in_(scope), Person.id != owner_id)
            .order_by(Person.id)
            .limit(1)
        )
        audit_before = session.scalar(select(func.count()).select_from(AuditLog))
    at = _customers_page("manager")
    _button(at, "Hand over").click().run()
    assert "Choose who hands over and who takes over" in at.error[0].value
    _open(at, name)
    _button(at, "Hand over").click().run()
    assert "Choose the new owner" in at.error[0].value
    with _db(app_database) as session:
        assert session.scalar(select(func.count()).select_from(AuditLog)) == audit_before

    at.selectbox(key="one_to").select(heir_id)
    _button(at, "Hand over").click().run()
    assert not at.exception, at.exception
    assert "handed to" in at.success[0].value
    with _db(app_database) as session:
        assert session.get(Customer, customer_id).owner_id == heir_id
        entry = session.scalar(
            select(AuditLog)
            .where(
                AuditLog.action == "reassign",
                AuditLog.entity == "customer",
                AuditLog.entity_id == customer_id,
            )
            .order_by(AuditLog.id.desc())
            .limit(1)
        )
        assert (entry.before["owner_id"], entry.after["owner_id"]) == (owner_id, heir_id)


def test_a_rep_logs_a_visit_from_the_customer_page_and_it_is_stored(app_database):
    from db.schema import Activity

    rep_id = _person_id(app_database, "rep")
    with _db(app_database) as session:
        customer_id, name = session.execute(
            select(Customer.id, Customer.name).where(Customer.owner_id == rep_id).limit(1)
        ).one()
        before = session.scalar(
            select(func.count()).select_from(Activity).where(Activity.customer_id == customer_id)
        )
    at = _customers_page("rep")
    _open(at, name)
    key = f"customer_{customer_id}_activity"
    at.text_input(key=f"{key}_outcome").input("Met the buyer")
    next(b for b in at.button if b.label == "📝 Log activity").click().run()
    assert not at.exception, at.exception
    with _db(app_database) as session:
        logged = session.scalars(
            select(Activity).where(Activity.customer_id == customer_id).order_by(Activity.id.desc())
        ).all()
    assert len(logged) == before + 1
    assert (logged[0].type, logged[0].outcome, logged[0].person_id) == (
        "visit",
        "Met the buyer",
        rep_id,
    )


def test_a_rep_sees_colleagues_deals_without_amounts_and_no_visit_form_where_refused(
    app_database,
):
    rep_id = _person_id(app_database, "rep")
    with _db(app_database) as session:
        # a customer with deals, none of them the rep's or with the rep on the team
        mine = (
            select(Deal.customer_id)
            .outerjoin(DealTeamMember, DealTeamMember.deal_id == Deal.id)
            .where((Deal.owner_id == rep_id) | (DealTeamMember.person_id == rep_id))
        )
        name = session.scalar(
            select(Customer.name)
            .join(Deal, Deal.customer_id == Customer.id)
            .where(Customer.owner_id != rep_id, Customer.id.not_in(mine))
            .order_by(Customer.id)
            .limit(1)
        )
    at = _customers_page("rep")
    _open(at, name)
    assert not any("Log a visit" in e.label for e in at.expander)
    timeline = at.dataframe[0].value
    deal_rows = timeline[timeline["kind"] == "Deal"]
    assert len(deal_rows) > 0 and set(deal_rows["amount"]) == {"—"}
    assert all(w.startswith("A deal of ") for w in deal_rows["what"])
    assert any("shown without amounts" in c.value for c in at.caption)
    # the owner's own customer still offers the form
    with _db(app_database) as session:
        own = session.scalar(
            select(Customer.name).where(Customer.owner_id == rep_id).order_by(Customer.id).limit(1)
        )
    at = _customers_page("rep")
    _open(at, own)
    assert any("Log a visit" in e.label for e in at.expander)
