"""Builders for pipeline tests: a small team with its own region, customers and deals."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Actor
from db.schema import Customer, LostReason, Person, Region, Stage
from tests import factories


@dataclass
class Team:
    region: Region
    manager: Person
    rep: Person
    other_rep: Person
    customer: Customer
    other_customer: Customer

    def actor(self, session: Session, who: Person) -> Actor:
        return factories.actor(session, who)


MANAGER_FUNCTIONS = ["executive sponsor", "finance", "legal", "executive"]
OTHER_REP_FUNCTIONS = ["pre-sales engineer", "solution consultant"]


def team(session: Session) -> Team:
    """A region with its manager, two reps and one customer each. The manager can fill the
    senior deal-team functions, the other rep the technical ones; the rep has none."""
    region = factories.region(session)
    manager = factories.person(session, "manager", region, manages=[region])
    manager.functions = list(MANAGER_FUNCTIONS)
    rep = factories.person(session, "rep", region)
    other_rep = factories.person(session, "rep", region)
    other_rep.functions = list(OTHER_REP_FUNCTIONS)
    session.flush()
    return Team(
        region=region,
        manager=manager,
        rep=rep,
        other_rep=other_rep,
        customer=factories.customer(session, rep, region),
        other_customer=factories.customer(session, other_rep, region),
    )


def stage(session: Session, name: str) -> Stage:
    return session.scalar(select(Stage).where(Stage.name == name))


def lost_reason_id(session: Session, name: str) -> int:
    """The id of a reason on the list of lost reasons (the demo's: Price, Competitor...)."""
    found = session.scalar(select(LostReason.id).where(LostReason.name == name))
    assert found is not None, f"no lost reason {name!r} on the list"
    return found
