"""The schema is built only by migrations, which go up, down and up again without drift."""

import os

from alembic import command
from sqlalchemy import inspect

from db.engine import alembic_config, make_engine, migrate
from tests.support import fresh_postgres, skip_or_fail


def _roundtrip(engine):
    migrate(engine)
    config = alembic_config(engine)
    assert "deal" in inspect(engine).get_table_names()
    command.downgrade(config, "base")
    assert "deal" not in inspect(engine).get_table_names()
    command.upgrade(config, "head")
    command.check(config)  # raises when the models and the migrations disagree


def test_migrations_go_up_down_and_up_on_sqlite(tmp_path):
    _roundtrip(make_engine(f"sqlite:///{tmp_path / 'm.db'}"))


def test_migrations_go_up_down_and_up_on_postgresql():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        skip_or_fail("TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    engine = fresh_postgres(url, "migrations")
    try:
        _roundtrip(engine)
    finally:
        engine.dispose()
