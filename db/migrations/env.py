"""Alembic environment: the engine comes from the caller or from the app's settings."""

from alembic import context

import db.schema  # noqa: F401  (registers every table on Base.metadata)
from db.base import Base
from db.engine import make_engine

target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = context.config.attributes.get("engine") or make_engine()
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run_migrations_online()
