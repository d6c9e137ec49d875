"""Many writers at once: no "database is locked" reaches anyone, no update is lost."""

import os
import threading
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from core.demo import seed as demo
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


def test_twenty_people_moving_and_editing_deals_through_the_services(own_engine):
    """Each writer reads the deal (as a page shows it), then saves through the deal services
    with the version it saw. Every save either lands or is refused with a message naming who
    changed the deal; no save is lost and the figures add up afterwards."""
    from sqlalchemy import func

    from core.org.access import load_actor
    from core.pipeline import deals
    from core.pipeline.deals import DealMove, DealUpdate
    from core.pipeline.rules import EditConflict
    from db.schema import AuditLog, DealStageHistory, Person, Stage

    reader = session_factory(own_engine)
    factory = session_factory(own_engine, write=True)
    with reader() as session:
        director = session.scalar(select(Person.id).where(Person.username == "director"))
        deal_ids = list(
            session.scalars(select(Deal.id).where(Deal.status == "open").order_by(Deal.id).limit(5))
        )
        stages = list(
            session.scalars(
                select(Stage.id).where(~Stage.is_won, ~Stage.is_lost).order_by(Stage.position)
            )
        )
        amounts = {
            d.id: d.amount for d in session.scalars(select(Deal).where(Deal.id.in_(deal_ids)))
        }
        history_before = session.scalar(
            select(func.count())
            .select_from(DealStageHistory)
            .where(DealStageHistory.deal_id.in_(deal_ids))
        )
    landed = {"update": 0, "move": 0}
    per_deal: dict[int, int] = dict.fromkeys(deal_ids, 0)
    increments: dict[int, int] = dict.fromkeys(deal_ids, 0)
    refusals, failures = [], []
    lock = threading.Lock()

    def worker(number: int) -> None:
        deal_id = deal_ids[0] if number < 10 else deal_ids[1 + number % 4]
        for round_number in range(ROUNDS):
            with reader() as session:
                seen = session.get(Deal, deal_id)
                version, stage_id = seen.version, seen.stage_id
            try:
                with factory.begin() as session:
                    actor = load_actor(session, director)
                    if round_number % 2:
                        target = stages[0] if stage_id != stages[0] else stages[2]
                        deals.move_deal(
                            session,
                            actor,
                            deal_id,
                            DealMove(
                                to_stage_id=target,
                                seen_version=version,
                                override=True,
                                reason=f"writer {number} round {round_number}",
                            ),
                        )
                        kind = "move"
                    else:
                        current = session.get(Deal, deal_id).amount
                        deals.update_deal(
                            session,
                            actor,
                            deal_id,
                            version,
                            DealUpdate(amount=current + Decimal(1)),
                        )
                        kind = "update"
                with lock:
                    landed[kind] += 1
                    per_deal[deal_id] += 1
                    increments[deal_id] += kind == "update"
            except EditConflict as exc:
                with lock:
                    refusals.append(str(exc))
            except Exception as exc:
                with lock:
                    failures.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert not failures, failures[:3]
    assert refusals, "writers on the shared deal must have collided at least once"
    assert all("changed this deal" in r or "saved this deal" in r for r in refusals), refusals[:3]
    assert landed["update"] + landed["move"] + len(refusals) == WRITERS * ROUNDS
    with reader() as session:
        for deal in session.scalars(select(Deal).where(Deal.id.in_(deal_ids))):
            assert deal.amount == amounts[deal.id] + increments[deal.id], deal.id
        audits = dict(
            session.execute(
                select(AuditLog.entity_id, func.count())
                .where(AuditLog.entity == "deal", AuditLog.entity_id.in_(deal_ids))
                .group_by(AuditLog.entity_id)
            ).all()
        )
        history_after = session.scalar(
            select(func.count())
            .select_from(DealStageHistory)
            .where(DealStageHistory.deal_id.in_(deal_ids))
        )
    assert {d: audits.get(d, 0) for d in deal_ids} == per_deal
    assert history_after - history_before == landed["move"]
