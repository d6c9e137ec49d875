"""Each deal's stage stays always equal what its stage history says (after the seed, creates,
moves, wins, losses, reopens, imports and the migration's backfill), and the funnel read from
them equals a count made from the stage history by hand. SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import date, datetime, time
from decimal import Decimal

from alembic import command
from sqlalchemy import event, insert, select, text
from sqlalchemy.orm import Session

from core.models import Actor, Period, Role
from core.org.access import SYSTEM_ACTOR
from core.performance import funnel
from core.pipeline import creation, deals
from core.pipeline.deals import DealMove, DealReopen
from core.pipeline.stages import create_default_stages
from core.transfer import import_table
from db.engine import alembic_config, make_engine, migrate
from db.schema import Customer, Deal, DealStageHistory, LostReason
from tests import factories
from tests.pipeline_factories import lost_reason_id, stage, team
from tests.support import fresh_postgres, skip_or_fail
from tests.transfer_support import csv_table

TOLERANCE = 1e-6  # days: a few hundredths of a second


def _history_rows(conn, deal_ids=None) -> list:
    query = "SELECT id, deal_id, to_stage_id, from_stage_id, changed_at FROM deal_stage_history"
    rows = conn.execute(text(query)).all()
    return [r for r in rows if deal_ids is None or r.deal_id in deal_ids]


def _expected_stays(conn, deal_ids=None) -> dict[int, tuple]:
    """The stays, worked out in Python from the raw history rows: each change opens a stay,
    the deal's next change (by time, then id) closes it; a deal's current stage and created_on
    come from its row."""
    deal_rows = {r.id: r for r in conn.execute(text("SELECT id, created_on, stage_id FROM deal"))}
    by_deal: dict[int, list] = defaultdict(list)
    for row in _history_rows(conn, deal_ids):
        by_deal[row.deal_id].append(row)
    out = {}
    for deal_id, changes in by_deal.items():
        changes.sort(key=lambda r: (_at(r.changed_at), r.id))
        seen: set[int] = set()
        current = deal_rows[deal_id].stage_id  # the deal's stage: its status follows it
        for i, change in enumerate(changes):
            after = changes[i + 1] if i + 1 < len(changes) else None
            entered = _at(change.changed_at)
            left = _at(after.changed_at) if after else None
            out[change.id] = (
                deal_id,
                change.to_stage_id,
                entered,
                left,
                (left - entered).total_seconds() / 86400 if left else None,
                after.to_stage_id if after else None,
                change.to_stage_id not in seen,
                current,
                _day(deal_rows[deal_id].created_on),
            )
            seen.add(change.to_stage_id)
    return out


def _at(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _stored_stays(conn, deal_ids=None) -> dict[int, tuple]:
    rows = conn.execute(
        text(
            "SELECT id, deal_id, stage_id, entered_at, left_at, days, left_for_stage_id,"
            " first_entry, current_stage_id, created_on FROM deal_stage_stay"
        )
    ).all()
    return {
        r.id: (
            r.deal_id,
            r.stage_id,
            _at(r.entered_at),
            _at(r.left_at) if r.left_at is not None else None,
            r.days,
            r.left_for_stage_id,
            bool(r.first_entry),
            r.current_stage_id,
            _day(r.created_on),
        )
        for r in rows
        if deal_ids is None or r.deal_id in deal_ids
    }


def assert_stays_follow_history(conn, deal_ids=None) -> int:
    """Every stay equals the one the history says (days within TOLERANCE); returns the count."""
    expected, stored = _expected_stays(conn, deal_ids), _stored_stays(conn, deal_ids)
    assert stored.keys() == expected.keys()
    for key, want in expected.items():
        got = stored[key]
        assert got[:4] == want[:4] and got[5:] == want[5:], (key, got, want)
        if want[4] is None:
            assert got[4] is None, (key, got)
        else:
            assert abs(got[4] - want[4]) < TOLERANCE, (key, got, want)
    return len(expected)


def test_the_seed_keeps_a_stay_for_every_stage_change(session):
    assert assert_stays_follow_history(session.connection()) > 2500  # 2,500 deals, 1+ stays each


def _manager_move(session, manager, deal_id, to_stage, **extra):
    deal = session.get(Deal, deal_id)
    move = DealMove(
        to_stage_id=stage(session, to_stage).id,
        seen_version=deal.version,
        override=True,
        reason="Scripted",
        **extra,
    )
    return deals.move_deal(session, manager, deal_id, move)


def test_creates_moves_wins_losses_reopens_and_imports_keep_the_stays(session):
    t = team(session)
    rep, manager = t.actor(session, t.rep), t.actor(session, t.manager)
    conn = session.connection()
    made = []
    for name in ("Line A", "Line B", "Line C"):
        draft = creation.DealDraft(
            customer_id=t.customer.id,
            name=name,
            amount=Decimal("1000"),
            expected_close=date.today(),
        )
        made.append(creation.create_deal(session, rep, draft, confirm=True).deal_id)
    assert assert_stays_follow_history(conn, set(made)) == 3
    a, b, c = made
    for to_stage in ("Qualified", "Technical exchange", "Qualified", "Evaluation"):
        _manager_move(session, manager, a, to_stage)
        assert_stays_follow_history(conn, {a})
    _manager_move(session, manager, a, "Won", closed_on=date.today(), amount=Decimal("900"))
    price = lost_reason_id(session, "Price")
    _manager_move(session, manager, b, "Lost", lost_reason_id=price)
    deal_b = session.get(Deal, b)
    deals.reopen_lost_deal(
        session, manager, b, DealReopen(seen_version=deal_b.version, reason="Budget is back")
    )
    _manager_move(session, manager, b, "Lost", lost_reason_id=price)
    assert_stays_follow_history(conn, {a, b, c})
    stays_of_a = _stored_stays(conn, {a})
    assert [s[1] for s in sorted(stays_of_a.values(), key=lambda s: s[2])][-1] == (
        stage(session, "Won").id
    )
    assert sum(1 for s in stays_of_a.values() if s[6]) == 5  # Qualified twice, reached once

    customer = session.get(Customer, t.customer.id).name
    file = f"""external_id,customer,owner,amount,stage,created_on,expected_close,closed_on
STAY-1,{customer},{t.rep.email},1200,negotiation,2025-01-10,2025-06-30,
STAY-2,{customer},{t.rep.email},800,Won,2025-01-10,,2025-03-15
STAY-3,{customer},{t.rep.email},500,Lost,2025-02-01,,2025-02-20
"""
    admin = SYSTEM_ACTOR
    import_table(session, admin, "deals", csv_table(file))
    imported = set(session.scalars(select(Deal.id).where(Deal.external_id.like("STAY-%"))))
    assert assert_stays_follow_history(conn, imported) == 5
    # an update: won on a day before the deal's current stay began (the history's order is
    # by time, not by when the change was written); a new created_on moves the cohort
    later = file.replace(
        "negotiation,2025-01-10,2025-06-30,", "Won,2024-12-01,2025-06-30,2025-01-05"
    )
    assert import_table(session, admin, "deals", csv_table(later)).updated == 1
    assert_stays_follow_history(conn, imported)
    # a move through the service after the import
    stay_1 = session.scalar(select(Deal.id).where(Deal.external_id == "STAY-1"))
    deal_1 = session.get(Deal, stay_1)
    assert deal_1.status == "won" and deal_1.created_on == date(2024, 12, 1)
    assert assert_stays_follow_history(conn) > 2500  # and nothing else was touched


def _cohort_from_history(conn, start: date, end: date, region_ids=None, owner_id=None):
    """The funnel's figures counted by hand from the history rows and the deals' rows."""
    deal_rows = {
        r.id: r
        for r in conn.execute(
            text("SELECT id, status, created_on, region_id, owner_id, lost_reason_id FROM deal")
        )
        if start <= _day(r.created_on) <= end
        and (region_ids is None or r.region_id in region_ids)
        and (owner_id is None or r.owner_id == owner_id)
    }
    by_deal: dict[int, list] = defaultdict(list)
    for row in _history_rows(conn):
        if row.deal_id in deal_rows:
            by_deal[row.deal_id].append(row)
    stages = {r.id: r for r in conn.execute(text("SELECT id, name, is_won, is_lost FROM stage"))}
    lost_id = next(s.id for s in stages.values() if s.is_lost)
    reached: dict[int, set] = defaultdict(set)
    days: dict[int, list] = defaultdict(list)
    lost_here: dict[int | None, int] = defaultdict(int)
    for deal_id, changes in by_deal.items():
        changes.sort(key=lambda r: (_at(r.changed_at), r.id))
        for i, change in enumerate(changes):
            reached[change.to_stage_id].add(deal_id)
            if i + 1 < len(changes):
                gap = _at(changes[i + 1].changed_at) - _at(change.changed_at)
                days[change.to_stage_id].append(gap.total_seconds() / 86400)
            if change.to_stage_id == lost_id:
                lost_here[change.from_stage_id] += 1
    status = {d: r.status for d, r in deal_rows.items()}
    figures = {}
    for stage_id, row in stages.items():
        ids = reached.get(stage_id, set())
        figures[row.name] = {
            "reached": len(ids),
            "won": sum(1 for d in ids if status[d] == "won"),
            "lost": sum(1 for d in ids if status[d] == "lost"),
            "average_days": (
                Decimal(str(round(sum(days[stage_id]) / len(days[stage_id]), 1)))
                if days.get(stage_id)
                else None
            ),
            "lost_here": lost_here.get(stage_id, 0),
        }
    reasons: dict[int | None, int] = defaultdict(int)
    for r in deal_rows.values():
        if r.status == "lost":
            reasons[r.lost_reason_id] += 1
    totals = (
        len(deal_rows),
        sum(1 for r in deal_rows.values() if r.status == "won"),
        sum(1 for r in deal_rows.values() if r.status == "lost"),
    )
    return totals, figures, reasons


def _assert_funnel_matches(session, result, start, end, **scope):
    conn = session.connection()
    totals, figures, reasons = _cohort_from_history(conn, start, end, **scope)
    assert (result.deals, result.won, result.lost) == totals
    assert totals[0] > 0
    for row in result.stages:
        want = figures[row.stage]
        assert (row.reached, row.won, row.lost, row.lost_here) == (
            want["reached"],
            want["won"],
            want["lost"],
            want["lost_here"],
        ), row.stage
        assert row.average_days == want["average_days"], row.stage
    names = dict(session.execute(select(LostReason.id, LostReason.name)).all())
    by_name = {
        names.get(k, "(no reason given)") if k else "(no reason given)": n
        for k, n in reasons.items()
    }
    assert dict(result.lost_reasons) == by_name


def _director(session) -> Actor:
    return Actor(id=None, name="Director", username="director", role=Role.DIRECTOR)


def test_the_funnel_equals_a_count_from_the_stage_history(session):
    year = session.scalar(select(Deal.created_on).order_by(Deal.created_on.desc()).limit(1))
    fy = _day(year).year - 1
    start, end = date(fy, 1, 1), date(fy, 12, 31)
    period = Period(label=f"FY{fy}", kind="year", start=start, end=end, fiscal_year=fy)
    result = funnel.funnel(session, _director(session), period)
    _assert_funnel_matches(session, result, start, end)
    quarter = Period(
        label=f"{fy}Q3", kind="quarter", start=date(fy, 7, 1), end=date(fy, 9, 30), fiscal_year=fy
    )
    some_rep = session.scalar(select(Deal.owner_id).where(Deal.created_on >= start).limit(1))
    result = funnel.funnel(session, _director(session), quarter, person_id=some_rep)
    _assert_funnel_matches(session, result, quarter.start, quarter.end, owner_id=some_rep)


def _backfill_roundtrip(engine) -> None:
    """Stage history written before the stays existed is backfilled by the migration."""
    migrate(engine)
    with Session(engine) as session:
        create_default_stages(session, SYSTEM_ACTOR)
        region = factories.region(session)
        rep = factories.person(session, "rep", region)
        customer = factories.customer(session, rep, region)
        lead, qualified = stage(session, "Lead").id, stage(session, "Qualified").id
        lost, won = stage(session, "Lost").id, stage(session, "Won").id
        ids = [factories.deal(session, rep, customer, stage_name="Lead").id for _ in range(3)]
        noon = datetime.combine(date(2026, 3, 2), time(12))
        steps = {  # out of order on purpose, with a tie in time broken by id
            ids[0]: [
                (None, lead, noon),
                (lead, qualified, noon.replace(day=9)),
                (qualified, lost, noon.replace(day=5)),
                (lost, qualified, noon.replace(day=9)),
            ],
            ids[1]: [(None, lead, noon), (lead, won, noon.replace(hour=15, minute=30))],
            ids[2]: [(None, lead, noon)],
        }
        for deal_id, changes in steps.items():
            for from_id, to_id, at in changes:
                session.execute(
                    insert(DealStageHistory).values(
                        deal_id=deal_id,
                        from_stage_id=from_id,
                        to_stage_id=to_id,
                        changed_at=at,
                        amount=Decimal("1000"),
                    )
                )
        session.commit()
    config = alembic_config(engine)
    command.downgrade(config, "0022_query_indexes")
    command.upgrade(config, "head")
    with engine.connect() as conn:
        assert assert_stays_follow_history(conn) == 7
        days = conn.execute(
            text("SELECT days FROM deal_stage_stay WHERE deal_id = :d AND stage_id = :s"),
            {"d": ids[1], "s": lead},
        ).scalar_one()
        assert abs(days - 3.5 / 24) < TOLERANCE  # 12:00 to 15:30


def test_the_migration_backfills_the_stays_on_sqlite(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'stays.db'}")
    try:
        _backfill_roundtrip(engine)
    finally:
        engine.dispose()


def test_the_migration_backfills_the_stays_on_postgresql():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        skip_or_fail("TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    engine = fresh_postgres(url, "stays")
    try:
        _backfill_roundtrip(engine)
    finally:
        engine.dispose()


def test_the_funnel_reads_covering_indexes_only_on_sqlite(session, backend):
    """The plan of each statement the funnel sends (a region's quarter): the stays and the deals
    of the cohort from their covering indexes, never a scan."""
    if backend != "sqlite":
        return  # PostgreSQL plans by statistics; the figures test above runs there too
    sent: list[tuple[str, tuple]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    engine = session.get_bind().engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        region = session.scalar(select(Deal.region_id).limit(1))
        fy = _day(session.scalar(select(Deal.created_on).order_by(Deal.created_on.desc()))).year
        quarter = Period(
            label="Q3", kind="quarter", start=date(fy, 7, 1), end=date(fy, 9, 30), fiscal_year=fy
        )
        funnel.funnel(session, _director(session), quarter, region_id=region)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    plans = {
        statement: " | ".join(
            row[-1]
            for row in session.connection().exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters
            )
        )
        for statement, parameters in sent
        if "FROM deal" in statement and "GROUP BY" in statement
    }
    stays = [p for s, p in plans.items() if "deal_stage_stay" in s]
    deals = [p for s, p in plans.items() if "deal_stage_stay" not in s]
    assert len(stays) == 1 and len(deals) == 1, plans
    assert "COVERING INDEX ix_deal_stage_stay_cohort" in stays[0], stays
    assert "COVERING INDEX ix_deal_created_outcome" in stays[0], stays
    assert "COVERING INDEX ix_deal_created_outcome" in deals[0], deals
    assert "SCAN" not in stays[0] + deals[0], plans
