"""Data versions: one number per kind of data, moved by every write, read by the caches.

The rule: every transaction that changes a row of a table moves the version of that table's
kinds of data (its tags, below) by one, in the same transaction, just before it commits. A
rolled-back transaction moves nothing; a committed one is seen by every app instance at its
next rerun, whoever wrote it (a page, the command line, an import, a scheduled org change).

Nothing has to remember it: `watch(engine)` (done by db.engine.make_engine) listens to every
statement the engine sends, notes the tables an INSERT, UPDATE or DELETE changed (a statement
that changed no row notes nothing), and bumps their tags when the transaction commits. Rows
written past SQLAlchemy (PostgreSQL's COPY in db.bulk) are noted with `note_write`. The
migrations' own transactions move nothing: the migration that creates the versions starts
them at random numbers (and so does the first write after the table is emptied, as a fresh
seed does), so a cache never mistakes one database for another.

A cached reader names the tags it reads (ui.data.cached) and is keyed by their versions, so a
write clears exactly the figures that read what it changed: a rep's deal move moves "deals"
(and "activities" when it logs one), never "targets" or "org", so the Targets page of every
region stays cached.
"""

from __future__ import annotations

import random
import re
import weakref
from collections.abc import Collection, Iterable, Mapping

from sqlalchemy import Connection, Engine, event, inspect, text

TAGS = frozenset(
    {
        "activities",  # visits, calls and other activities, follow-ups
        "alerts",  # alert states (acknowledged, snoozed)
        "customers",  # the customer archive and contacts
        "deals",  # deals, their stages, teams, credit and history; products and rates
        "org",  # regions, people, managers, scheduled moves
        "reviews",  # pipeline reviews and their action items
        "settings",  # company settings: fiscal year, ramp, stages, scorecard weights, presets
        "targets",  # plans, targets and bottom-up figures
    }
)
"""What a cached reader can depend on, and what a write can change."""

TABLE_TAGS: Mapping[str, frozenset[str]] = {
    table: frozenset(tags)
    for table, tags in {
        "region": {"org"},
        "region_manager": {"org"},
        "person": {"org"},
        "scheduled_org_change": {"org"},
        "customer": {"customers"},
        "contact": {"customers"},
        "product": {"deals", "settings"},
        "exchange_rate": {"deals", "settings"},
        "stage": {"settings", "deals"},
        "lost_reason": {"settings", "deals"},
        "deal": {"deals"},
        "credit_split": {"deals"},
        "credit_split_proposal": {"deals"},
        "deal_stage_history": {"deals"},
        "deal_stage_stay": {"deals"},
        "deal_team_member": {"deals"},
        "forecast_snapshot": {"deals"},
        "forecast_snapshot_deal": {"deals"},
        "activity": {"activities"},
        # A deal's next step and the follow-up lists (read with the activities).
        "follow_up": {"activities", "deals"},
        "pipeline_review": {"reviews"},
        "review_deal": {"reviews"},
        "review_commitment": {"reviews"},
        "target_plan": {"targets"},
        "target": {"targets"},
        "commitment": {"targets"},
        "plan_budget_rate": {"targets"},
        "seasonality_percent": {"targets"},
        "scorecard_weight": {"settings"},
        "import_preset": {"settings"},
        "app_setting": {"settings"},
        "alert_state": {"alerts"},
    }.items()
}
"""The kinds of data each table holds. A table missing here and from UNTRACKED moves every
tag (tests/integration/test_data_versions.py checks that every table is named)."""

UNTRACKED = frozenset(
    {
        "alembic_version",
        "data_version",
        "audit_log",  # read by no cached reader
        "web_session",  # sign-in sessions
        "digest_sent",  # what the mail server accepted
        "digest_opt_out",  # read by no cached reader
    }
)
"""Tables whose writes no cached figure depends on."""

_NOTED = "data_versions.noted"
"""Where a connection keeps the tags of its open transaction (Connection.info)."""
_MIGRATING = "data_versions.migrating"
"""Set on a connection whose open transaction runs migrations (it writes alembic_version)."""

_WRITE = re.compile(
    r"^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|"
    r"DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|COPY)\s+\"?(\w+)",
    re.IGNORECASE,
)
_WRITE_IN_WITH = re.compile(
    r"(?<!FOR\s)(?<!DO\s)\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE
)

_BUMP = text(
    "INSERT INTO data_version (tag, version) VALUES (:tag, :start) "
    "ON CONFLICT (tag) DO UPDATE SET version = data_version.version + 1"
)


def tags_of_table(table: str) -> frozenset[str]:
    """The tags a write to `table` moves."""
    if table in UNTRACKED:
        return frozenset()
    return TABLE_TAGS.get(table, TAGS)


def written_tables(statement: str) -> list[str]:
    """The tables an SQL statement writes to (none for a read)."""
    found = _WRITE.match(statement)
    if found:
        return [found.group(1).lower()]
    if statement.lstrip()[:4].upper() == "WITH":
        return [name.lower() for name in _WRITE_IN_WITH.findall(statement)]
    return []


def note_write(conn: Connection, table: str) -> None:
    """Note that the open transaction of `conn` wrote `table` (for rows written past
    SQLAlchemy's statements, e.g. COPY)."""
    tags = tags_of_table(table)
    if tags:
        conn.info.setdefault(_NOTED, set()).update(tags)


def fresh_start() -> int:
    """A random first version, so two databases never share a cache key."""
    return random.randrange(1, 2**40)


def bump(conn: Connection, tags: Iterable[str]) -> None:
    """Move the version of each of `tags` by one, in the transaction of `conn` (sorted, so two
    writers take the rows' locks in the same order)."""
    names = sorted(set(tags))
    unknown = set(names) - TAGS
    if unknown:
        raise ValueError(f"Unknown data version tags: {sorted(unknown)}")
    for tag in names:
        conn.execute(_BUMP, {"tag": tag, "start": fresh_start()})


def current(conn: Connection) -> dict[str, int]:
    """Every tag's version now (one small SELECT)."""
    return {tag: int(v) for tag, v in conn.execute(text("SELECT tag, version FROM data_version"))}


def key_of(versions: Mapping[str, int], tags: Collection[str]) -> tuple[tuple[str, int], ...]:
    """The part of `versions` a reader of `tags` depends on (a missing tag reads 0)."""
    return tuple((tag, versions.get(tag, 0)) for tag in sorted(tags))


def _after_cursor_execute(conn, cursor, statement, parameters, context, executemany) -> None:
    tables = written_tables(statement)
    if not tables:
        return
    head = statement.lstrip()[:6].upper()
    if (
        head in ("UPDATE", "DELETE")
        and not executemany
        and "RETURNING" not in statement.upper()
        and getattr(cursor, "rowcount", -1) == 0
    ):
        return  # an UPDATE or DELETE that matched nothing (with RETURNING the count comes later)
    for table in tables:
        if table == "data_version" and statement.lstrip()[:6].upper() in ("DELETE", "TRUNCA"):
            # the versions themselves wiped (a fresh seed): every tag starts afresh at commit
            conn.info.setdefault(_NOTED, set()).update(TAGS)
        note_write(conn, table)


def _begin(conn) -> None:
    conn.info.pop(_NOTED, None)
    conn.info.pop(_MIGRATING, None)


def _commit(conn) -> None:
    tags = conn.info.pop(_NOTED, None)
    if not tags:
        return
    if conn.info.pop(_MIGRATING, False):
        return
    if not _versions_kept(conn):
        return
    bump(conn, tags)


_KEPT: weakref.WeakSet = weakref.WeakSet()
"""The engines whose database has the data_version table (checked until it has)."""


def _versions_kept(conn) -> bool:
    """A database migrated past 0024 keeps versions; an older one (a migration test writing the
    rows of an earlier schema, before upgrading) has nothing to bump yet."""
    if conn.engine in _KEPT:
        return True
    if not inspect(conn).has_table("data_version"):
        return False
    _KEPT.add(conn.engine)
    return True


def _note_migration(conn, cursor, statement, parameters, context, executemany) -> None:
    if "alembic_version" in statement and written_tables(statement) == ["alembic_version"]:
        conn.info[_MIGRATING] = True


_rollback = _begin


def watch(engine: Engine) -> None:
    """Bump the data versions of whatever every transaction on `engine` writes, when it
    commits (idempotent)."""
    if event.contains(engine, "commit", _commit):
        return
    event.listen(engine, "after_cursor_execute", _after_cursor_execute)
    event.listen(engine, "after_cursor_execute", _note_migration)
    event.listen(engine, "begin", _begin)
    event.listen(engine, "commit", _commit)
    event.listen(engine, "rollback", _rollback)
