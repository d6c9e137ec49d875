"""Many writers at once: no "database is locked" reaches anyone, no update is lost."""

import os
import threading
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from core import demo
from db.engine import make_engine, migrate, session_factory
from db.schema import Deal
from tests.conftest import SEED_TODAY
from tests.support import fresh_postgres, skip_or_fail

WRITERS = 20
ROUNDS = 5


@pytest.fixture(params=["sqlite", "postgresql"])
def own_engine(request, tmp_path):
    """A database of this test's own: it commits, so it must not share the seeded one."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'concurrency.db'}")
    else:
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            skip_or_fail("TEST_DATABASE_URL is not set: no PostgreSQL to test against")
        engine = fresh_postgres(url, "concurrency")
    migrate(engine)
    demo.seed(engine, scale="small", seed=9, today=SEED_TODAY)
    yield engine
    engine.dispose()


def test_twenty_writers_on_shared_and_separate_deals_lose_no_update(own_engine):
    factory = session_factory(own_engine, write=True)
    with factory() as session:
        deal_ids = list(session.scalars(select(Deal.id).where(Deal.status == "open").limit(10)))
        before = {
            d.id: d.amount for d in session.scalars(select(Deal).where(Deal.id.in_(deal_ids)))
        }
    shared = deal_ids[0]
    committed: dict[int, int] = {deal_id: 0 for deal_id in deal_ids}
    conflicts, failures = [], []
    lock = threading.Lock()

    def writer(number: int) -> None:
        # Half the writers fight over one deal; the others each have a deal of their own.
        deal_id = shared if number % 2 == 0 else deal_ids[1 + number % 9]
        for _ in range(ROUNDS):
            try:
                with factory.begin() as session:
                    deal = session.get(Deal, deal_id)
                    deal.amount = deal.amount + Decimal(1)
                with lock:
                    committed[deal_id] += 1
            except StaleDataError:
                with lock:
                    conflicts.append(deal_id)
            except Exception as exc:  # "database is locked" or anything else is a failure
                with lock:
                    failures.append(repr(exc))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not failures, failures[:3]
    with factory() as session:
        for deal in session.scalars(select(Deal).where(Deal.id.in_(deal_ids))):
            # Every committed increment is there, and only those: nothing lost, nothing doubled.
            assert deal.amount == before[deal.id] + committed[deal.id], deal.id
            assert deal.version == 1 + committed[deal.id]
    assert sum(committed.values()) + len(conflicts) == WRITERS * ROUNDS
