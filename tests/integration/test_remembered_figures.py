"""Figures remembered within a session (core.memo): the stage calibration is worked out once per
session and day, and again after any write."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select, update

from core.progress.calibration import stage_calibration
from db.schema import Stage
from tests.support import statements_sent

TODAY = date(2026, 11, 30)


def _configured(session) -> dict[int, Decimal]:
    return {row.stage_id: row.configured for row in stage_calibration(session, TODAY)}


def _an_open_stage(session) -> Stage:
    return session.scalars(
        select(Stage).where(Stage.is_won.is_(False), Stage.is_lost.is_(False))
    ).first()


def test_a_statement_that_writes_makes_it_read_again(session):
    stage = _an_open_stage(session)
    before = _configured(session)
    session.execute(update(Stage).where(Stage.id == stage.id).values(probability=Decimal("0.37")))
    after = _configured(session)
    assert after[stage.id] == Decimal("0.37") != before[stage.id]


def test_a_flush_makes_it_read_again(session):
    stage = _an_open_stage(session)
    _configured(session)
    stage.probability = Decimal("0.41")
    session.flush()
    assert _configured(session)[stage.id] == Decimal("0.41")


def test_reading_twice_asks_the_database_once(session):
    from sqlalchemy import event

    seen: list[str] = []
    connection = session.connection()

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        first = stage_calibration(session, TODAY)
        asked = len(seen)
        assert stage_calibration(session, TODAY) == first
        assert len(seen) == asked
    finally:
        event.remove(connection, "before_cursor_execute", count)


def test_read_sessions_sharing_a_store_work_it_out_once(engine):
    """The read sessions of one page run (ui.data.read) share their remembered figures."""
    from sqlalchemy.orm import Session

    from core import memo

    store: dict = {}
    with Session(engine) as first:
        memo.share(first, store)
        expected = stage_calibration(first, TODAY)
    with Session(engine) as second:
        memo.share(second, store)
        assert statements_sent(engine, lambda: stage_calibration(second, TODAY)) == 0
        assert stage_calibration(second, TODAY) == expected


def test_a_session_that_writes_empties_the_shared_store_and_keeps_its_own(engine):
    """A write in one sharing session (even one rolled back) leaves nothing it or anyone
    remembered for the others: they read again and see the committed data."""
    from sqlalchemy.orm import Session

    from core import memo

    store: dict = {}
    with Session(engine) as reader:
        memo.share(reader, store)
        before = _configured(reader)
    assert store
    with Session(engine) as writer:
        memo.share(writer, store)
        stage = _an_open_stage(writer)
        stage.probability = Decimal("0.43")
        writer.flush()
        assert not store
        assert _configured(writer)[stage.id] == Decimal("0.43")  # its own, uncommitted
        writer.rollback()
    assert not store  # what the rolled-back session saw is not shared
    with Session(engine) as other:
        memo.share(other, store)
        assert statements_sent(engine, lambda: _configured(other)) > 0
        assert _configured(other) == before


def test_a_figure_worked_out_over_an_unflushed_change_is_not_shared(engine):
    """The figure's own query flushes the session's pending change (autoflush): what it then
    works out stays out of the shared store, and the rollback leaves the store empty."""
    from sqlalchemy.orm import Session

    from core import memo

    store: dict = {}
    with Session(engine) as writer:
        memo.share(writer, store)
        stage = _an_open_stage(writer)
        stage.probability = Decimal("0.47")  # pending, not flushed
        assert _configured(writer)[stage.id] == Decimal("0.47")
        writer.rollback()
    assert not store


def test_a_read_that_ends_without_writing_keeps_the_shared_store(engine):
    from sqlalchemy.orm import Session

    from core import memo

    store: dict = {}
    with Session(engine) as reader:
        memo.share(reader, store)
        _configured(reader)
        reader.rollback()
    with Session(engine) as reader:
        memo.share(reader, store)
        _configured(reader)
        reader.commit()
    assert len(store) == 1
