"""Helpers for the hostile-input and access tests: a small world of people and records, and a
fingerprint of the database that a refused write must leave exactly as it was."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Actor
from core.org.access import load_actor
from core.pipeline import reviews
from core.plans.seasonality import save_profile
from core.plans.workflow import new_version
from core.progress.figures import active_plan_id
from db.schema import (
    AppSetting,
    Base,
    Contact,
    CreditSplitProposal,
    Customer,
    Deal,
    DealTeamMember,
    ExchangeRate,
    Person,
    PlanBudgetRate,
    Region,
    ReviewCommitment,
    SeasonalityPercent,
    Stage,
    TargetPlan,
)
from tests import factories

SMALL_TABLES = (
    AppSetting,
    CreditSplitProposal,
    ExchangeRate,
    Person,
    PlanBudgetRate,
    Region,
    SeasonalityPercent,
    Stage,
    TargetPlan,
)
"""Tables compared row by row (the rest by row count and the world's own records)."""


def fingerprint(session: Session, world: World | None = None) -> dict:
    """Row counts of every table, every row of the small tables, and the world's records."""
    session.flush()
    out: dict = {
        t.name: session.scalar(select(func.count()).select_from(t))
        for t in Base.metadata.sorted_tables
    }
    for model in SMALL_TABLES:
        table = model.__table__
        out[f"{table.name} rows"] = sorted(map(repr, session.execute(select(table)).all()))
    if world is not None:
        for model, ident in (
            (Deal, world.deal_id),
            (Customer, world.customer_id),
            (Customer, world.other_customer_id),
            (Contact, world.contact_id),
            (DealTeamMember, world.member_id),
            (ReviewCommitment, world.commitment_id),
        ):
            table = model.__table__
            out[f"{table.name} {ident}"] = repr(
                session.execute(select(table).where(table.c.id == ident)).one()
            )
    return out


ACCESS_PROFILE = "Access test profile"
"""The world's seasonality profile, which no plan uses."""


@dataclass
class World:
    """A rep's records in a demo region, plus people inside and outside that region."""

    home_region_id: int
    away_region_id: int
    owner: Person
    other_rep: Person
    outside_manager: Person
    director: Person
    customer_id: int
    other_customer_id: int
    deal_id: int
    deal_version: int
    contact_id: int
    member_id: int
    commitment_id: int
    draft_plan_id: int
    approved_plan_id: int

    def actor(self, session: Session, who: Person) -> Actor:
        return load_actor(session, who.id)


def build_world(session: Session) -> World:
    demo_rep = session.scalar(select(Person).where(Person.username == "rep"))
    home = session.get(Region, demo_rep.region_id)
    away = factories.region(session, "Access test: far away")
    owner = factories.person(session, "rep", home)
    other_rep = factories.person(session, "rep", home)
    other_rep.functions = ["executive sponsor"]  # a team mate the owner may add in that role
    outside_manager = factories.person(session, "manager", away, manages=[away])
    director = session.scalar(select(Person).where(Person.username == "director"))
    customer = factories.customer(session, owner, home, "Access test customer")
    other_customer = factories.customer(session, owner, home, "Access test customer two")
    deal = factories.deal(session, owner, customer, amount=Decimal("5000.00"))
    contact = Contact(customer_id=customer.id, name="Ada Buyer", is_primary=True)
    session.add(contact)
    session.flush()
    team_mate = factories.person(session, "rep", home)
    member = DealTeamMember(deal_id=deal.id, person_id=team_mate.id, role="Solution engineer")
    session.add(member)
    session.flush()
    director_actor = load_actor(session, director.id)
    review_id = reviews.record_review(
        session,
        director_actor,
        reviews.ReviewCreate(
            rep_id=owner.id,
            held_on=date.today(),
            deal_ids=[deal.id],
            commitments=[reviews.CommitmentCreate(description="Send the proposal")],
        ),
    )
    commitment_id = session.scalar(
        select(ReviewCommitment.id).where(ReviewCommitment.review_id == review_id)
    )
    approved = active_plan_id(session, date.today().year) or session.scalar(
        select(func.max(TargetPlan.id))
    )
    draft = new_version(session, director_actor, approved)
    # a named seasonality profile no plan uses (one the director may delete)
    save_profile(session, director_actor, ACCESS_PROFILE, [8] * 10 + [10, 10])
    session.flush()
    return World(
        home_region_id=home.id,
        away_region_id=away.id,
        owner=owner,
        other_rep=other_rep,
        outside_manager=outside_manager,
        director=director,
        customer_id=customer.id,
        other_customer_id=other_customer.id,
        deal_id=deal.id,
        deal_version=deal.version,
        contact_id=contact.id,
        member_id=member.id,
        commitment_id=commitment_id,
        draft_plan_id=draft.id,
        approved_plan_id=approved,
    )
