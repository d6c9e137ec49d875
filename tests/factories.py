"""Small builders for test records, so tests state only what matters to them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import count

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.customers.names import normalize_name
from core.models import Actor
from core.org.access import load_actor
from db.schema import Customer, Deal, Person, Region, RegionManager, Stage

_ids = count(1)


def region(session: Session, name: str | None = None, parent: Region | None = None) -> Region:
    if parent is None:
        parent_id = session.scalar(select(Region.id).where(Region.parent_id.is_(None)))
    else:
        parent_id = parent.id
    node = Region(name=name or f"Test region {next(_ids)}", parent_id=parent_id)
    session.add(node)
    session.flush()
    return node


def person(
    session: Session, role: str, region_node: Region | None = None, *, manages=(), active=True
) -> Person:
    n = next(_ids)
    who = Person(
        username=f"t{role}{n}",
        email=f"t{role}{n}@test.example",
        name=f"Test {role.capitalize()} {n}",
        role=role,
        region_id=region_node.id if region_node else None,
        active=active,
        hire_date=date(2020, 1, 1),
    )
    session.add(who)
    session.flush()
    for managed in manages:
        session.add(RegionManager(region_id=managed.id, person_id=who.id))
    session.flush()
    return who


def actor(session: Session, who: Person) -> Actor:
    return load_actor(session, who.id)


def customer(session: Session, owner: Person, region_node: Region, name: str | None = None):
    name = name or f"Test customer {next(_ids)}"
    record = Customer(
        name=name,
        normalized_name=normalize_name(name),
        region_id=region_node.id,
        owner_id=owner.id,
        status="active",
        annual_potential=Decimal(1000),
    )
    session.add(record)
    session.flush()
    return record


def deal(
    session: Session,
    owner: Person,
    cust: Customer,
    *,
    amount: Decimal = Decimal("1000.00"),
    status: str = "open",
    closed_on: date | None = None,
    expected_close: date | None = None,
    stage_name: str | None = None,
    currency: str | None = None,
) -> Deal:
    if stage_name is None:
        stage_name = {"won": "Won", "lost": "Lost"}.get(status, "Qualified")
    stage_id = session.scalar(select(Stage.id).where(Stage.name == stage_name))
    record = Deal(
        name=f"Test deal {next(_ids)}",
        customer_id=cust.id,
        owner_id=owner.id,
        region_id=owner.region_id,
        amount=amount,
        currency=currency,
        stage_id=stage_id,
        status=status,
        forecast_category="pipeline",
        created_on=date(2026, 1, 1),
        expected_close=expected_close or closed_on or date(2026, 12, 15),
        closed_on=closed_on,
        stage_entered_on=date(2026, 1, 1),
    )
    session.add(record)
    session.flush()
    return record
