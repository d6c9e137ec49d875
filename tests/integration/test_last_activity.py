"""Each deal's stored last activity day equals the latest of its activities, after every write
that adds one (the seed, logging one, importing a file) and after migration 0029 fills it; the
stalled-deal alert reads it."""

from __future__ import annotations

import os
from datetime import date, timedelta

from alembic import command
from sqlalchemy import func, select, text

from core.models import Actor
from core.org.access import SYSTEM_ACTOR, load_actor
from core.pipeline.activities import ActivityCreate, log_activity
from core.transfer import import_table, read_table
from db.engine import alembic_config, make_engine
from db.schema import Activity, Customer, Deal, DealStatus, Person
from tests.conftest import SEED_TODAY
from tests.support import fresh_postgres, skip_or_fail


def _disagreeing(session) -> list[tuple]:
    """Deals whose stored day differs from the live aggregate of their activities."""
    live = (
        select(Activity.deal_id, func.max(Activity.occurred_on).label("day"))
        .where(Activity.deal_id.is_not(None))
        .group_by(Activity.deal_id)
        .subquery()
    )
    rows = session.execute(
        select(Deal.id, Deal.last_activity_on, live.c.day)
        .outerjoin(live, live.c.deal_id == Deal.id)
        .where(
            (Deal.last_activity_on.is_(None) & live.c.day.is_not(None))
            | (Deal.last_activity_on.is_not(None) & live.c.day.is_(None))
            | (Deal.last_activity_on != live.c.day)
        )
    ).all()
    return [tuple(r) for r in rows]


def _open_deal(session, offset: int = 0, *where):
    """An open deal of the demo, its owner and customer."""
    return session.execute(
        select(Deal, Person, Customer)
        .join(Person, Person.id == Deal.owner_id)
        .join(Customer, Customer.id == Deal.customer_id)
        .where(Deal.status == DealStatus.OPEN, Deal.external_id.is_not(None), *where)
        .order_by(Deal.id)
        .offset(offset)
        .limit(1)
    ).one()


def _owner(session, person: Person) -> Actor:
    return load_actor(session, person.id)


def test_the_seed_stores_every_deals_last_activity_day(session):
    assert session.scalar(select(func.count()).where(Deal.last_activity_on.is_not(None))) > 100
    assert _disagreeing(session) == []


def test_logging_an_activity_moves_the_deals_day_forward_never_back(session):
    deal, owner, customer = _open_deal(session)
    version = deal.version
    today = SEED_TODAY
    log_activity(
        session,
        _owner(session, owner),
        ActivityCreate(type="call", occurred_on=today, customer_id=customer.id, deal_id=deal.id),
        today=today,
    )
    session.refresh(deal)
    assert deal.last_activity_on == today
    log_activity(
        session,
        _owner(session, owner),
        ActivityCreate(
            type="visit",
            occurred_on=today - timedelta(days=400),
            customer_id=customer.id,
            deal_id=deal.id,
        ),
        today=today,
    )
    session.refresh(deal)
    assert deal.last_activity_on == today
    assert deal.version == version  # logging is not an edit of the deal
    assert _disagreeing(session) == []


def test_an_imported_activity_moves_its_deals_and_customers_day(session):
    deal, owner, customer = _open_deal(session, offset=3)
    previous = deal.last_activity_on
    day = SEED_TODAY - timedelta(days=1)
    older = date(2000, 1, 3)
    other, other_owner, other_customer = _open_deal(session, 4, Deal.last_activity_on.is_not(None))
    before = other.last_activity_on
    lines = [
        "type,date,user,customer,deal",
        f"meeting,{day},{owner.email},{customer.external_id},{deal.external_id}",
        f"call,{older},{other_owner.email},{other_customer.external_id},{other.external_id}",
    ]
    table = read_table("\n".join(lines).encode(), "activities.csv")
    result = import_table(session, SYSTEM_ACTOR, "activities", table)
    assert result.created == 2
    session.expire_all()
    assert session.get(Deal, deal.id).last_activity_on == max(day, previous or day)
    assert session.get(Deal, other.id).last_activity_on == before  # an older one moves nothing
    assert session.get(Customer, customer.id).last_activity_on >= day
    assert _disagreeing(session) == []


def _migrate_and_check(engine) -> None:
    config = alembic_config(engine)
    command.upgrade(config, "0028_won_deals_cover")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO region (id, name) VALUES (1, 'North')"))
        conn.execute(
            text(
                "INSERT INTO person (id, username, email, name, role, region_id) "
                "VALUES (1, 'rep', 'rep@example.com', 'Rep', 'rep', 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO customer (id, name, normalized_name, region_id, status, "
                "annual_potential) VALUES (1, 'Acme', 'acme', 1, 'active', 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO stage (id, name, position, probability, exit_checklist, "
                "required_roles) "
                "VALUES (1, 'Lead', 1, 0.1, '[]', '[]')"
            )
        )
        for deal_id in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO deal (id, name, customer_id, owner_id, region_id, amount, "
                    "currency, credit_shared, stage_id, status, forecast_category, created_on, "
                    "expected_close, stage_entered_on, checklist_done, quantity) VALUES "
                    "(:id, 'Deal', 1, 1, 1, 100, 'USD', false, 1, 'open', 'pipeline', "
                    "'2026-01-05', '2026-06-30', '2026-01-05', '[]', 1)"
                ),
                {"id": deal_id},
            )
        for day in ("2026-02-01", "2026-03-15", "2026-02-20"):
            conn.execute(
                text(
                    "INSERT INTO activity (type, occurred_on, person_id, customer_id, deal_id) "
                    "VALUES ('call', :day, 1, 1, 1)"
                ),
                {"day": day},
            )
    command.upgrade(config, "0029_deal_last_activity")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT id, last_activity_on FROM deal ORDER BY id")).all()
    days = [
        (i, d if d is None or isinstance(d, date) else date.fromisoformat(d)) for i, d in stored
    ]
    assert days == [(1, date(2026, 3, 15)), (2, None)]
    command.downgrade(config, "0028_won_deals_cover")
    command.upgrade(config, "head")


def test_migration_0029_fills_the_day_from_the_activities_on_sqlite(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'last.db'}")
    try:
        _migrate_and_check(engine)
    finally:
        engine.dispose()


def test_migration_0029_fills_the_day_from_the_activities_on_postgresql():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        skip_or_fail("TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    engine = fresh_postgres(url, "last_activity")
    try:
        _migrate_and_check(engine)
    finally:
        engine.dispose()
