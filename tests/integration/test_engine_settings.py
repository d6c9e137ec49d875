"""Every connection the engine opens starts with the settings db.engine promises: on SQLite
the page cache and the memory map, on PostgreSQL no just-in-time compilation (which cost a
report query more time than it saved, measured at 1 M deals)."""

from __future__ import annotations

from db.engine import SQLITE_CACHE_KIB, SQLITE_MMAP_BYTES


def test_each_connection_starts_with_the_engine_settings(engine, backend):
    with engine.connect() as conn:
        if backend == "sqlite":
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -SQLITE_CACHE_KIB
            assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == SQLITE_MMAP_BYTES
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        else:
            assert conn.exec_driver_sql("SHOW jit").scalar() == "off"


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
