"""Write, then report (ui.data.save) under AppTest: a refused write says why and changes
nothing; a saved write, or one made outside the app, shows at the next run."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, update

from core.periods import fiscal_year_of
from core.plans.allocation import create_plan
from core.plans.cells import month_labels, plan_months
from db.engine import make_engine, session_factory
from db.schema import Commitment, Customer, Person, TargetPlan
from tests.app.conftest import signed_in
from tests.plan_factories import actor_named

NEXT = fiscal_year_of(date.today()) + 1


@pytest.fixture
def db(app_database):
    engine = make_engine(app_database)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def draft(db):
    """A fresh FY NEXT draft plan of 6,000,000 (earlier versions and commitments removed)."""
    with db.begin() as session:
        session.execute(delete(TargetPlan).where(TargetPlan.fiscal_year == NEXT))
        session.execute(delete(Commitment).where(Commitment.fiscal_year == NEXT))
        director = actor_named(session, "director")
        info = create_plan(
            session, director, fiscal_year=NEXT, company_target=Decimal(6_000_000), method="equal"
        )
    yield info
    with db.begin() as session:
        session.execute(delete(Commitment).where(Commitment.fiscal_year == NEXT))


def _targets(at):
    at.switch_page("pages/targets.py").run()
    if at.selectbox(key="targets_year").value != NEXT:
        at.selectbox(key="targets_year").select(NEXT).run()
    assert not at.exception, at.exception
    return at


def _commitments(db, person_id: int) -> list[tuple]:
    with db() as session:
        return session.execute(
            select(Commitment.month, Commitment.amount)
            .where(Commitment.person_id == person_id, Commitment.fiscal_year == NEXT)
            .order_by(Commitment.month)
        ).all()


def test_a_refused_write_names_the_field_and_changes_nothing(db, draft):
    with db() as session:
        rep_id = session.scalar(select(Person.id).where(Person.username == "rep"))
    before = _commitments(db, rep_id)
    at = _targets(signed_in("rep"))
    first_month = month_labels(plan_months(NEXT, 1))[0]
    at.session_state[f"my_commitment_{NEXT}"] = {
        "edited_rows": {0: {first_month: -5}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="save_commitment").click().run()
    assert not at.exception
    assert not at.success and not at.toast
    message = at.error[0].value
    assert message.startswith("The commitment for ")  # the field: that month's commitment
    assert "must be zero or more (got -5)" in message
    assert _commitments(db, rep_id) == before
    at.run()  # the refusal is not carried over as a confirmation on the next run
    assert not at.success


def test_a_write_outside_the_app_shows_at_the_next_rerun(db, draft):
    """Cached readers are keyed by the data versions a commit moves (db.versions), so a change
    made behind the app's back is seen at the next run without clearing a cache; which readers
    a write leaves cached is tests/app/test_cache_versions.py's."""
    at = signed_in("director")
    at.switch_page("pages/customers.py").run()
    assert not at.exception, at.exception
    customer_id = at.selectbox(key="cust_pick").value
    with db() as session:
        name = session.scalar(select(Customer.name).where(Customer.id == customer_id))
    renamed = f"{name} (renamed outside the app)"
    _targets(at)
    assert {m.label: m.value for m in at.metric}["Company target"] == "6,000,000"
    try:
        with db.begin() as session:
            session.execute(update(Customer).where(Customer.id == customer_id).values(name=renamed))
            session.execute(
                update(TargetPlan)
                .where(TargetPlan.id == draft.id)
                .values(company_target=Decimal(6_100_000))
            )
        at.run()
        assert {m.label: m.value for m in at.metric}["Company target"] == "6,100,000"
        at.switch_page("pages/customers.py").run()
        shown = list(at.dataframe[0].value["name"])
        assert renamed in shown and name not in shown

        # a write through the app shows at once too
        _targets(at)
        at.button(key="save_region_commitment").click().run()
        assert not at.exception, at.exception
        assert at.success[0].value.startswith("Commitment for ")
        assert {m.label: m.value for m in at.metric}["Company target"] == "6,100,000"
    finally:
        with db.begin() as session:
            session.execute(update(Customer).where(Customer.id == customer_id).values(name=name))
