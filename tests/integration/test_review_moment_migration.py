"""Migration 0017: reviews saved with the database's own timestamp (another clock than the
stage history's) count from the end of the day they were held."""

import os
from datetime import datetime

from alembic import command
from sqlalchemy import text

from db.engine import alembic_config, make_engine
from tests.support import fresh_postgres, skip_or_fail


def _check(engine):
    config = alembic_config(engine)
    command.upgrade(config, "0016_plan_allocation_inputs")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO region (id, name) VALUES (1, 'North')"))
        for person_id, role in ((1, "rep"), (2, "manager")):
            conn.execute(
                text(
                    "INSERT INTO person (id, username, email, name, role, region_id) "
                    "VALUES (:id, :role, :email, :role, :role, 1)"
                ),
                {"id": person_id, "role": role, "email": f"{role}@example.com"},
            )
        for review_id, held_on in ((1, "2026-11-30"), (2, "2026-12-01")):
            # created_at left to the server default, as the app did before
            conn.execute(
                text(
                    "INSERT INTO pipeline_review (id, rep_id, manager_id, held_on) "
                    "VALUES (:id, 1, 2, :held)"
                ),
                {"id": review_id, "held": held_on},
            )
    command.upgrade(config, "0017_review_moment_unknown")
    with engine.connect() as conn:
        moments = conn.execute(text("SELECT id, created_at FROM pipeline_review ORDER BY id")).all()
    as_datetimes = [
        (i, m if isinstance(m, datetime) else datetime.fromisoformat(m)) for i, m in moments
    ]
    assert as_datetimes == [(1, datetime(2026, 12, 1)), (2, datetime(2026, 12, 2))]
    command.downgrade(config, "0016_plan_allocation_inputs")
    command.upgrade(config, "head")


def test_old_reviews_count_from_the_end_of_their_day_on_sqlite(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'reviews.db'}")
    try:
        _check(engine)
    finally:
        engine.dispose()


def test_old_reviews_count_from_the_end_of_their_day_on_postgresql():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        skip_or_fail("TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    engine = fresh_postgres(url, "review_moments")
    try:
        _check(engine)
    finally:
        engine.dispose()
