"""Every connection the engine opens starts with the settings db.engine promises: on SQLite
the page cache and the memory map, on PostgreSQL no just-in-time compilation (which cost a
report query more time than it saved, measured at 1 M deals)."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from db.engine import SQLITE_CACHE_KIB, SQLITE_MMAP_BYTES, make_engine, postgresql_options


def test_each_connection_starts_with_the_engine_settings(engine, backend):
    with engine.connect() as conn:
        if backend == "sqlite":
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -SQLITE_CACHE_KIB
            assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == SQLITE_MMAP_BYTES
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        else:
            assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
    if backend == "postgresql":  # the URL's own options reach the server, after ours
        url = engine.url.update_query_dict({"options": "-c jit=on -c work_mem=5MB"})
        other = make_engine(url.render_as_string(hide_password=False))
        try:
            with other.connect() as conn:
                assert conn.exec_driver_sql("SHOW jit").scalar() == "on"
                assert conn.exec_driver_sql("SHOW work_mem").scalar() == "5MB"
        finally:
            other.dispose()


def test_postgresql_compiles_no_statement_just_in_time(engine, backend):
    """Even a statement the server would compile at once (every cost above the threshold) runs
    interpreted: its plan has no JIT part."""
    if backend == "sqlite":
        return  # SQLite compiles nothing just in time: nothing to check
    with engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL jit_above_cost = 0")
        query = "SELECT owner_id, sum(amount) FROM deal GROUP BY owner_id"
        plan = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {query}").scalar()
    assert "JIT" not in plan[0], plan[0]


def test_options_of_the_url_or_the_environment_are_kept_and_win(monkeypatch):
    """An administrator's own connection options stay, after ours: a later `-c` wins."""
    monkeypatch.delenv("PGOPTIONS", raising=False)
    plain = make_url("postgresql+psycopg://app@db/sales")
    assert postgresql_options(plain) == "-c jit=off"
    given = make_url("postgresql+psycopg://app@db/sales?options=-c%20search_path%3Dsales")
    assert postgresql_options(given) == "-c jit=off -c search_path=sales"
    monkeypatch.setenv("PGOPTIONS", "-c jit=on")
    assert postgresql_options(plain) == "-c jit=off -c jit=on"
    assert postgresql_options(given) == "-c jit=off -c search_path=sales"  # the URL first


def test_postgresql_prepares_no_statement_however_often_it_runs(engine, backend):
    """The same statement run ten times on one connection (psycopg prepares it from the fifth
    by default) leaves no prepared statement on the server: every run is planned for its own
    parameters."""
    if backend == "sqlite":
        return  # the sqlite3 driver keeps its own statement cache, with no plan for all values
    from sqlalchemy import select

    from db.schema import Deal

    with engine.connect() as conn:
        for owner in range(10):
            conn.execute(select(Deal.id).where(Deal.owner_id == owner).limit(1)).all()
        prepared = conn.exec_driver_sql("SELECT count(*) FROM pg_prepared_statements").scalar()
    assert prepared == 0
