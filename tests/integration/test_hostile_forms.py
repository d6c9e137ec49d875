"""Hostile input through the forms' pydantic models and the services behind them.

Property: building the model either raises a pydantic ValidationError or succeeds; the service
then either raises a DomainError, leaving the database exactly as it was, or saves cleanly.
Never another exception. Runs on SQLite and PostgreSQL against the seeded demo data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import select

from core import customers, evaluation
from core.errors import DomainError
from core.org import changes as org
from core.org import people
from core.org.access import load_actor
from core.performance import alerts, scorecard
from core.pipeline import activities, deals, reviews, stages, views
from core.plans import bottom_up as commitments
from core.plans.allocation import create_plan
from core.plans.grid import TargetEdits, part_key, save_edits, set_company_target
from core.transfer import ImportFailed, import_table, read_table
from db.schema import Customer, Person, Region, Stage
from tests.hostile import HOSTILE_TEXT, NUMBERS, hostile_number, hostile_text, hostile_value
from tests.security_support import World, build_world, fingerprint

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TODAY = date.today()


def _attempt(session, world: World, build: Callable[[], object], save: Callable) -> str:
    """Build the model and save it as the allowed user; returns what happened."""
    savepoint = session.begin_nested()
    try:
        before = fingerprint(session, world)
        try:
            data = build()
        except ValidationError as invalid:
            assert invalid.errors()  # pydantic names the field
            return "invalid"
        try:
            save(data)
            session.flush()
        except DomainError as refusal:
            assert str(refusal)
            assert fingerprint(session, world) == before, "a refused save wrote something"
            return "refused"
        return "saved"
    finally:
        savepoint.rollback()


def _director(session, world):
    return load_actor(session, world.director.id)


def _owner(session, world):
    return load_actor(session, world.owner.id)


# (name, strategy of field values, build(values, world), save(session, world) -> callable)
FORMS = [
    (
        "CustomerInput -> create_customer",
        st.fixed_dictionaries(
            {
                "name": hostile_text,
                "industry": hostile_text,
                "annual_potential": hostile_number,
                "external_id": hostile_text,
            }
        ),
        lambda v, w: customers.CustomerInput(region_id=w.home_region_id, **v),
        lambda s, w: lambda d: customers.create_customer(s, _owner(s, w), d, confirmed=True),
    ),
    (
        "CustomerUpdate -> update_customer",
        st.fixed_dictionaries(
            {"name": hostile_text, "segment": hostile_text, "annual_potential": hostile_number}
        ),
        lambda v, w: customers.CustomerUpdate(**v),
        lambda s, w: (
            lambda d: customers.update_customer(s, _owner(s, w), w.customer_id, d, confirmed=True)
        ),
    ),
    (
        "ContactInput -> add_contact",
        st.fixed_dictionaries(
            {
                "name": hostile_text,
                "title": hostile_text,
                "email": hostile_text,
                "phone": hostile_text,
            }
        ),
        lambda v, w: customers.ContactInput(**v),
        lambda s, w: lambda d: customers.add_contact(s, _owner(s, w), w.customer_id, d),
    ),
    (
        "PersonCreate -> add_person",
        st.fixed_dictionaries(
            {
                "email": st.one_of(hostile_text, st.just("fuzz@example.com")),
                "name": hostile_text,
                "role": hostile_value,
                "region": hostile_text,
                "password": hostile_text,
            }
        ),
        lambda v, w: people.PersonCreate(**v),
        lambda s, w: lambda d: people.add_person(s, _director(s, w), d),
    ),
    (
        "DealUpdate -> update_deal",
        st.fixed_dictionaries(
            {
                "name": hostile_text,
                "amount": hostile_number,
                "next_step": hostile_text,
                "forecast_category": hostile_value,
            }
        ),
        lambda v, w: deals.DealUpdate(**v),
        lambda s, w: lambda d: deals.update_deal(s, _owner(s, w), w.deal_id, w.deal_version, d),
    ),
    (
        "DealMove (won/lost) -> move_deal",
        st.fixed_dictionaries(
            {
                "to": st.sampled_from(["Won", "Lost", "Negotiation"]),
                "amount": hostile_number,
                "lost_reason_id": hostile_value,
                "lost_note": hostile_text,
                "reason": hostile_text,
                "override": st.booleans(),
            }
        ),
        lambda v, w: deals.DealMove(
            to_stage_id=w.stage_ids[v.pop("to")],
            seen_version=w.deal_version,
            closed_on=TODAY,
            **v,
        ),
        lambda s, w: lambda d: deals.move_deal(s, _owner(s, w), w.deal_id, d),
    ),
    (
        "ActivityCreate -> log_activity",
        st.fixed_dictionaries(
            {"type": hostile_value, "outcome": hostile_text, "notes": hostile_text}
        ),
        lambda v, w: activities.ActivityCreate(occurred_on=TODAY, customer_id=w.customer_id, **v),
        lambda s, w: lambda d: activities.log_activity(s, _owner(s, w), d),
    ),
    (
        "ReviewCreate -> record_review",
        st.fixed_dictionaries({"notes": hostile_text, "description": hostile_text}),
        lambda v, w: reviews.ReviewCreate(
            rep_id=w.owner.id,
            held_on=TODAY,
            notes=v["notes"],
            commitments=[{"description": v["description"]}],
        ),
        lambda s, w: lambda d: reviews.record_review(s, _director(s, w), d),
    ),
    (
        "StageSettings -> save_stages",
        st.fixed_dictionaries(
            {
                "name": hostile_text,
                "probability": hostile_number,
                "max_days": hostile_value,
                "exit_checklist": st.lists(hostile_text, max_size=3),
            }
        ),
        lambda v, w: [
            stages.StageSettings(**(one.model_dump() | (v if one.name == "Qualified" else {})))
            for one in w.stages
        ],
        lambda s, w: lambda d: stages.save_stages(s, _director(s, w), d),
    ),
    (
        "alert thresholds -> set_thresholds",
        st.dictionaries(
            st.sampled_from(list(alerts.AlertThresholds.model_fields)), hostile_value, max_size=3
        ),
        lambda v, w: v,
        lambda s, w: lambda d: alerts.set_thresholds(s, _director(s, w), d),
    ),
    (
        "benchmarks -> set_benchmarks",
        st.dictionaries(
            st.sampled_from(list(evaluation.Benchmarks.model_fields)), hostile_value, max_size=3
        ),
        lambda v, w: v,
        lambda s, w: lambda d: scorecard.set_benchmarks(s, _director(s, w), d),
    ),
    (
        "weights -> set_weights",
        st.dictionaries(
            st.one_of(st.sampled_from(["attainment", "activity", "win_rate"]), hostile_text),
            hostile_value,
            max_size=4,
        ),
        lambda v, w: v,
        lambda s, w: lambda d: scorecard.set_weights(s, _director(s, w), TODAY.year, d),
    ),
    (
        "plan inputs -> create_plan",
        st.fixed_dictionaries(
            {
                "company_target": hostile_number,
                "padding_pct": hostile_number,
                "method": st.one_of(st.sampled_from(["equal", "history"]), hostile_text),
            }
        ),
        lambda v, w: v,
        lambda s, w: (
            lambda d: create_plan(s, _director(s, w), fiscal_year=TODAY.year + 5, **d)
        ),
    ),
    (
        "company target -> set_company_target",
        hostile_number,
        lambda v, w: v,
        lambda s, w: (
            lambda d: set_company_target(
                s, _director(s, w), w.draft_plan_id, d, expected_lock_version=None
            )
        ),
    ),
    (
        "commitments -> set_commitments",
        st.dictionaries(st.integers(-3, 14), hostile_number, max_size=3),
        lambda v, w: v,
        lambda s, w: (
            lambda d: commitments.set_commitments(
                s, _owner(s, w), TODAY.year, d, person_id=w.owner.id
            )
        ),
    ),
    (
        "region name -> add_region",
        hostile_text,
        lambda v, w: v,
        lambda s, w: lambda d: org.add_region(s, _director(s, w), d, w.home_region_id),
    ),
    (
        "team role -> add_team_member",
        hostile_text,
        lambda v, w: v,
        lambda s, w: lambda d: deals.add_team_member(s, _owner(s, w), w.deal_id, w.other_rep.id, d),
    ),
]


@pytest.mark.parametrize("name,values,build,save", FORMS, ids=[f[0] for f in FORMS])
def test_hostile_form_input_gets_a_clear_message_or_is_saved_cleanly(
    session, name, values, build, save
):
    world = build_world(session)
    world.stage_ids = dict(session.execute(select(Stage.name, Stage.id)).all())
    world.stages = stages.list_stages(session)

    @FUZZ
    @given(values=values)
    def check(values):
        _attempt(session, world, lambda: build(values, world), save(session, world))

    check()


@pytest.mark.parametrize("text", HOSTILE_TEXT, ids=range(len(HOSTILE_TEXT)))
def test_every_hostile_text_as_a_customer_name_and_a_note_is_refused_or_saved(session, text):
    """Deterministic: each hostile string through the customer form, a contact, an activity
    note and a file import (the fuzzers above may not draw every one)."""
    world = build_world(session)
    owner = _owner(session, world)
    _attempt(
        session,
        world,
        lambda: customers.CustomerInput(name=text, region_id=world.home_region_id),
        lambda d: customers.create_customer(session, owner, d, confirmed=True),
    )
    _attempt(
        session,
        world,
        lambda: customers.ContactInput(name=text, title=text),
        lambda d: customers.add_contact(session, owner, world.customer_id, d),
    )
    _attempt(
        session,
        world,
        lambda: activities.ActivityCreate(
            type="call", occurred_on=TODAY, customer_id=world.customer_id, notes=text
        ),
        lambda d: activities.log_activity(session, owner, d),
    )
    _attempt(
        session,
        world,
        lambda: text,
        lambda d: org.add_region(session, _director(session, world), d, world.home_region_id),
    )
    region = session.get(Region, world.home_region_id).name
    for kind, header, row in (
        ("customers", ["name", "region"], [text, region]),
        ("regions", ["name", "parent"], [text, ""]),
    ):
        import csv
        import io

        buffer = io.StringIO()
        csv.writer(buffer).writerows([header, row])

        def run(data=buffer.getvalue().encode("utf-8"), kind=kind):
            try:
                import_table(session, _director(session, world), kind, read_table(data, "f.csv"))
            except ImportFailed as failure:
                assert all(p.row is not None and p.column for p in failure.problems)
                raise

        _attempt(session, world, lambda: None, lambda _d, run=run: run())


@pytest.mark.parametrize("amount", NUMBERS, ids=range(len(NUMBERS)))
def test_every_hostile_amount_on_a_deal_is_refused_or_saved(session, amount):
    world = build_world(session)
    outcome = _attempt(
        session,
        world,
        lambda: deals.DealUpdate(amount=amount),
        lambda d: deals.update_deal(
            session, _owner(session, world), world.deal_id, world.deal_version, d
        ),
    )
    if amount.startswith("-") and amount != "-0":
        assert outcome == "invalid", "a negative amount never reaches the database"


def test_a_customer_named_like_sql_is_stored_verbatim_and_the_tables_survive(session):
    world = build_world(session)
    name = "Robert'); DROP TABLE customer;--"
    customer_id = customers.create_customer(
        session,
        _owner(session, world),
        customers.CustomerInput(name=name, region_id=world.home_region_id),
        confirmed=True,
    )
    session.flush()
    assert session.get(Customer, customer_id).name == name
    assert session.scalar(select(Customer.id).where(Customer.name == name)) == customer_id
    assert fingerprint(session)["deal"] > 0 and fingerprint(session)["customer"] > 0


def test_decimal_amounts_keep_cents_exactly(session):
    world = build_world(session)
    deals.update_deal(
        session,
        _owner(session, world),
        world.deal_id,
        world.deal_version,
        deals.DealUpdate(amount=Decimal("999999999999.99")),
    )
    session.flush()
    session.expire_all()
    from db.schema import Deal

    assert session.get(Deal, world.deal_id).amount == Decimal("999999999999.99")


def test_nul_characters_are_dropped_before_they_reach_the_database(session):
    """PostgreSQL refuses NUL in text (the whole save failed with a DataError); it is never
    content, so it is dropped from forms and from files alike."""
    world = build_world(session)
    customer_id = customers.create_customer(
        session,
        _owner(session, world),
        customers.CustomerInput(name="Nul\x00 Industries", region_id=world.home_region_id),
        confirmed=True,
    )
    region = session.get(Region, world.home_region_id).name
    import_table(
        session,
        _director(session, world),
        "customers",
        read_table(f"name,region\nFile\x00 Nul Ltd,{region}\n".encode(), "f.csv"),
    )
    session.flush()
    session.expire_all()
    assert session.get(Customer, customer_id).name == "Nul Industries"
    assert session.scalar(select(Customer.id).where(Customer.name == "File Nul Ltd"))


MORE_FORMS = [
    (
        "CashStep -> record_cash_step",
        st.fixed_dictionaries(
            {
                "step": hostile_value,
                "amount": hostile_number,
                "on": st.sampled_from(
                    [TODAY, date(1900, 1, 1), date(9999, 12, 31), "2026-02-30", None]
                ),
            }
        ),
        lambda v, w: deals.CashStep(seen_version=w.deal_version, **v),
        lambda s, w: lambda d: deals.record_cash_step(s, _owner(s, w), w.deal_id, d),
    ),
    (
        "TargetEdits -> save_edits",
        st.fixed_dictionaries(
            {"total": hostile_number, "cell": hostile_number, "month": st.integers(-2, 14)}
        ),
        lambda v, w: TargetEdits(
            totals={part_key("rep", w.demo_rep_id): v["total"]},
            cells={part_key("rep", w.demo_rep_id): {v["month"]: v["cell"]}},
        ),
        lambda s, w: (
            lambda d: save_edits(
                s, _director(s, w), w.draft_plan_id, w.home_region_id, d, expected_lock_version=None
            )
        ),
    ),
]


@pytest.mark.parametrize("name,values,build,save", MORE_FORMS, ids=[f[0] for f in MORE_FORMS])
def test_hostile_cash_steps_and_target_edits_get_a_clear_message_or_are_saved(
    session, name, values, build, save
):
    world = build_world(session)
    world.demo_rep_id = session.scalar(select(Person.id).where(Person.username == "rep"))

    @FUZZ
    @given(values=values)
    def check(values):
        _attempt(session, world, lambda: build(values, world), save(session, world))

    check()


@FUZZ
@given(search=hostile_text, period=hostile_text)
def test_hostile_search_and_filter_text_reads_safely(session, search, period):
    """Reads with hostile text: a customer search (LIKE metacharacters, quotes, RTL) and a
    pipeline close period give a result or a clear message, never another exception."""
    director = load_actor(
        session, session.scalar(select(Person.id).where(Person.username == "director"))
    )
    try:
        filters = customers.CustomerFilters(search=search)
    except ValidationError:
        return
    frame = customers.search_customers(session, director, filters)
    assert customers.count_customers(session, director, filters) >= len(frame)
    try:
        views.pipeline_deals(session, director, views.PipelineFilter(close_period=period))
    except (ValidationError, DomainError) as refusal:
        assert str(refusal)


def test_a_padding_with_many_decimals_is_rounded_to_hundredths_not_overflowed(session):
    """Found by the fuzzer: padding 4.07e-55 % overflowed int64 in the vectorised padding."""
    world = build_world(session)
    info = create_plan(
        session,
        _director(session, world),
        fiscal_year=TODAY.year + 5,
        company_target=Decimal(1_200_000),
        method="equal",
        padding_pct=4.068522748580081e-55,
    )
    assert info.padding_pct == Decimal("0.00")
    again = create_plan(
        session,
        _director(session, world),
        fiscal_year=TODAY.year + 6,
        company_target=Decimal(1_200_000),
        method="equal",
        padding_pct=33.33333333333333,
    )
    assert again.padding_pct == Decimal("33.33")
