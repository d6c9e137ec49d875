"""Alembic environment: the engine comes from the caller or from the app's settings.

On SQLite, foreign keys are switched off while migrations run (SQLite cannot switch them inside
a transaction): a table rebuilt in batch mode is dropped and recreated, and with foreign keys
on, dropping it would cascade into or be refused by the rows that point at it. The keys are
checked before the migrations commit and switched back on afterwards.
"""

from alembic import context
from sqlalchemy import Connection

import db.schema  # noqa: F401  (registers every table on Base.metadata)
from db.base import Base
from db.engine import make_engine

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    with connection.begin():
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"Migrating left rows pointing at missing rows: {broken[:5]}")


def run_migrations_online() -> None:
    engine = context.config.attributes.get("engine") or make_engine()
    with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            _run(connection)
            return
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        try:
            _run(connection)
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


run_migrations_online()
