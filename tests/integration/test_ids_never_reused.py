"""A deleted record's id is never handed out again (SQLite AUTOINCREMENT, PostgreSQL
sequences), so audit entries, history and links that name an id keep meaning that record."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from core import customers
from core.customers.editing import ContactInput, CustomerInput
from db.schema import AuditLog, Contact, Customer
from tests import factories as f

TODAY = date(2026, 6, 15)


def test_a_customer_created_after_the_newest_was_merged_away_has_a_new_id_and_its_own_timeline(
    session,
):
    region = f.region(session, "Id Reuse Region")
    director = f.actor(session, f.person(session, "director"))
    owner = f.person(session, "rep", region).id
    survivor_id = customers.create_customer(
        session,
        director,
        CustomerInput(name="Keeper Holdings", region_id=region.id, owner_id=owner),
    )
    duplicate_id = customers.create_customer(
        session,
        director,
        CustomerInput(name="Doomed Duplicate Trading", region_id=region.id, owner_id=owner),
    )
    customers.add_contact(
        session, director, duplicate_id, ContactInput(name="Old Contact"), today=TODAY
    )
    assert duplicate_id == session.scalar(select(func.max(Customer.id)))
    old_entries = session.scalar(
        select(func.count()).where(
            AuditLog.entity == "customer", AuditLog.entity_id == duplicate_id
        )
    )
    assert old_entries >= 2  # created, contact added

    customers.merge_customers(session, director, survivor_id, duplicate_id)
    newcomer_id = customers.create_customer(
        session,
        director,
        CustomerInput(name="Fresh Start Ventures", region_id=region.id, owner_id=owner),
    )

    assert newcomer_id > duplicate_id
    timeline = customers.customer_timeline(session, director, newcomer_id)
    assert list(timeline["kind"]) == ["Record"], timeline
    assert "Doomed Duplicate" not in " ".join(timeline["what"])
    assert "Old Contact" not in " ".join(timeline["what"])


def test_a_contact_added_after_the_newest_was_removed_has_a_new_id(session):
    region = f.region(session, "Contact Id Region")
    director = f.actor(session, f.person(session, "director"))
    owner = f.person(session, "rep", region).id
    customer_id = customers.create_customer(
        session,
        director,
        CustomerInput(name="Contact Id Customer", region_id=region.id, owner_id=owner),
    )
    first = customers.add_contact(
        session, director, customer_id, ContactInput(name="Gone Soon"), today=TODAY
    )
    assert first == session.scalar(select(func.max(Contact.id)))
    customers.remove_contact(session, director, first)

    second = customers.add_contact(
        session, director, customer_id, ContactInput(name="Here To Stay"), today=TODAY
    )
    assert second > first
