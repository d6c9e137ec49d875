"""Migration 0016: plans from before the ramp mode was kept count as having absorbed the ramp
when their company row adds up to less than their company figure, else as spread."""

from __future__ import annotations

import os

from alembic import command
from sqlalchemy import text

from db.engine import alembic_config, make_engine
from tests.support import fresh_postgres, skip_or_fail

PLANS = [
    # id, method, company target, what the company row adds up to, expected ramp mode
    (1, "equal", 1200, 1100, "absorb"),
    (2, "history", 1200, 1200, "spread"),
    (3, "import", 1200, 1000, "spread"),  # imported: nothing was allocated
]


def _backfill(engine):
    config = alembic_config(engine)
    command.upgrade(config, "0015_web_sessions")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO region (id, name) VALUES (1, 'Company'), (2, 'East')"))
        conn.execute(text("UPDATE region SET parent_id = 1 WHERE id = 2"))
        for plan_id, method, target, allocated, _ in PLANS:
            conn.execute(
                text(
                    "INSERT INTO target_plan (id, fiscal_year, version, status, method, "
                    "company_target, padding_pct, lock_version) "
                    "VALUES (:id, 2020, :id, 'draft', :method, :target, 0, 1)"
                ),
                {"id": plan_id, "method": method, "target": target},
            )
            for region in (1, 2):  # the sub-region's row must not count
                conn.execute(
                    text(
                        "INSERT INTO target (plan_id, region_id, month, amount, locked) "
                        "VALUES (:plan, :region, '2020-01-01', :amount, false)"
                    ),
                    {"plan": plan_id, "region": region, "amount": allocated},
                )
    command.upgrade(config, "head")
    with engine.connect() as conn:
        modes = dict(conn.execute(text("SELECT id, ramp_mode FROM target_plan")).all())
        inputs = conn.scalars(text("SELECT manual_inputs FROM target_plan")).all()
    assert modes == {plan_id: mode for plan_id, *_, mode in PLANS}
    assert inputs == [None, None, None]
    command.downgrade(config, "0015_web_sessions")
    command.upgrade(config, "head")


def test_old_plans_get_their_ramp_mode_on_sqlite(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'backfill.db'}")
    try:
        _backfill(engine)
    finally:
        engine.dispose()


def test_old_plans_get_their_ramp_mode_on_postgresql():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        skip_or_fail("TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    engine = fresh_postgres(url, "ramp_backfill")
    try:
        _backfill(engine)
    finally:
        engine.dispose()
