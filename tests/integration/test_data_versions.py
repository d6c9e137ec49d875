"""Data versions (db.versions) on SQLite and PostgreSQL: every committed write moves the
versions of exactly the kinds of data it changed, in its own transaction; a rolled-back write
moves nothing. The writes are the app's services, an import through `manage.py` as a user runs
it, and plain SQL; the versions are read with raw SQL on a second connection."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, event, select, text, update

from core.customers.editing import CustomerUpdate, update_customer
from core.demo import seed as demo
from core.periods import fiscal_year_of
from core.pipeline.deals import DealMove, move_deal
from core.plans.allocation import create_plan
from core.plans.grid import TargetEdits, region_grid, save_edits
from db.base import Base
from db.engine import make_engine, migrate, session_factory
from db.schema import Customer, Deal, Person, Region, Stage
from db.versions import TABLE_TAGS, TAGS, UNTRACKED
from tests.conftest import ROOT
from tests.plan_factories import actor_named


@pytest.fixture(scope="module")
def db_url(backend, engine, tmp_path_factory):
    """A database of its own (these tests commit), on the backend's server, seeded small."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('versions') / 'versions.db'}"
        admin = None
        name = None
    else:
        name = f"versions_{uuid.uuid4().hex[:8]}"
        admin = make_engine(engine.url.render_as_string(hide_password=False)).execution_options(
            isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = engine.url.set(database=name).render_as_string(hide_password=False)
    own = make_engine(url)
    migrate(own)
    demo.seed(own, scale="small", seed=5, today=date.today())
    own.dispose()
    yield url
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def db(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def versions_of(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT tag, version FROM data_version")).all())


def moved(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """How far each tag moved (tags that did not move are left out)."""
    return {tag: after[tag] - before.get(tag, 0) for tag in after if after[tag] != before.get(tag)}


def test_every_table_is_classified():
    tables = set(Base.metadata.tables)
    unclassified = tables - set(TABLE_TAGS) - UNTRACKED
    assert not unclassified, f"name these tables in db.versions: {sorted(unclassified)}"
    assert set(TABLE_TAGS) <= tables | {"alembic_version"}
    assert all(tags <= TAGS for tags in TABLE_TAGS.values())


def test_the_migration_starts_every_tag(db):
    assert set(versions_of(db)) == set(TAGS)


def test_a_deal_move_moves_deals_only(db):
    with db.connect() as conn:
        deal_id, version, stage_position = conn.execute(
            select(Deal.id, Deal.version, Stage.position)
            .join(Stage, Stage.id == Deal.stage_id)
            .where(Deal.status == "open", Stage.is_won.is_(False), Stage.is_lost.is_(False))
            .order_by(Deal.id)
            .limit(1)
        ).one()
        next_stage = conn.scalar(
            select(Stage.id)
            .where(Stage.position > stage_position, Stage.is_won.is_(False))
            .where(Stage.is_lost.is_(False))
            .order_by(Stage.position)
            .limit(1)
        )
    before = versions_of(db)
    with session_factory(db, write=True).begin() as session:
        director = actor_named(session, "director")
        move = DealMove(to_stage_id=next_stage, seen_version=version, override=True, reason="t")
        move_deal(session, director, deal_id, move)
    assert moved(before, versions_of(db)) == {"deals": 1}


def test_a_plan_edit_moves_targets_only(db):
    year = fiscal_year_of(date.today()) + 2
    with session_factory(db, write=True).begin() as session:
        director = actor_named(session, "director")
        info = create_plan(
            session, director, fiscal_year=year, company_target=Decimal(1_200_000), method="equal"
        )
    before = versions_of(db)
    with session_factory(db, write=True).begin() as session:
        director = actor_named(session, "director")
        root = session.scalar(select(Region.id).where(Region.parent_id.is_(None)))
        grid = region_grid(session, director, info.id, root)
        key, total = grid.rows.key[0], int(grid.rows.Total[0])
        save_edits(
            session,
            director,
            info.id,
            root,
            TargetEdits(totals={key: Decimal(total + 1200)}),
            expected_lock_version=info.lock_version,
        )
    assert moved(before, versions_of(db)) == {"targets": 1}


def test_a_customer_edit_moves_customers_only(db):
    with db.connect() as conn:
        customer_id = conn.scalar(select(Customer.id).order_by(Customer.id).limit(1))
    before = versions_of(db)
    with session_factory(db, write=True).begin() as session:
        update_customer(
            session, actor_named(session, "director"), customer_id, CustomerUpdate(segment="SMB")
        )
    assert moved(before, versions_of(db)) == {"customers": 1}


def test_an_update_that_changes_no_row_moves_nothing(db):
    before = versions_of(db)
    with session_factory(db, write=True).begin() as session:
        session.execute(update(Customer).where(Customer.id == -1).values(segment="none"))
    assert versions_of(db) == before


def test_a_rolled_back_write_moves_nothing(db):
    before = versions_of(db)
    with pytest.raises(RuntimeError), session_factory(db, write=True).begin() as session:
        session.execute(update(Deal).values(name=Deal.name + " (renamed)"))
        session.execute(update(Region).values(name=Region.name + " (renamed)"))
        session.flush()
        raise RuntimeError("refused")
    assert versions_of(db) == before
    with db.connect() as conn:
        assert not conn.scalar(select(Deal.id).where(Deal.name.like("% (renamed)")).limit(1))


def test_the_versions_move_inside_the_writing_transaction(db):
    """At the moment the transaction commits, the versions have moved in it, and a second
    connection still sees the old ones: the bump and the change commit together."""
    seen_inside: list[dict[str, int]] = []
    seen_outside: list[dict[str, int]] = []

    def at_commit(conn) -> None:  # runs after db.versions' own commit listener
        seen_inside.append(dict(conn.execute(text("SELECT tag, version FROM data_version")).all()))
        seen_outside.append(versions_of(db))

    before = versions_of(db)
    event.listen(db, "commit", at_commit)
    try:
        with session_factory(db, write=True).begin() as session:
            session.execute(update(Region).where(Region.parent_id.is_(None)).values(active=True))
            session.flush()
            assert versions_of(db) == before  # not moved while the transaction is open
    finally:
        event.remove(db, "commit", at_commit)
    assert moved(before, seen_inside[0]) == {"org": 1}
    assert seen_outside[0] == before
    assert moved(before, versions_of(db)) == {"org": 1}


def test_an_import_through_the_command_line_moves_customers(db, db_url, tmp_path):
    with db.connect() as conn:
        region = conn.scalar(select(Region.name).where(Region.parent_id.is_(None)))
        owner = conn.scalar(select(Person.email).where(Person.username == "rep"))
    rows = "".join(f"Versions Trading {n},{region},{owner}\n" for n in range(3))
    file = tmp_path / "customers.csv"
    file.write_text("name,region,owner\n" + rows, encoding="utf-8")
    before = versions_of(db)
    done = subprocess.run(
        [sys.executable, "manage.py", "import", "customers", str(file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    with db.connect() as conn:
        imported = conn.scalar(
            text("SELECT COUNT(*) FROM customer WHERE name LIKE 'Versions Trading %'")
        )
    assert imported == 3
    assert moved(before, versions_of(db)) == {"customers": 1}


def test_a_refused_import_moves_nothing(db, db_url, tmp_path):
    file = tmp_path / "bad.csv"
    file.write_text("name,region,owner\nNowhere Ltd,No such region,rep\n", encoding="utf-8")
    before = versions_of(db)
    done = subprocess.run(
        [sys.executable, "manage.py", "import", "customers", str(file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert done.returncode == 1
    assert versions_of(db) == before


def test_a_reseed_starts_every_tag_afresh(tmp_path):
    """`seed --reset` empties every table, the versions too: every tag comes back, each at a
    new number (no cache keyed by the old database's versions is read again)."""
    url = f"sqlite:///{tmp_path / 'seeded.db'}"
    engine = make_engine(url)
    migrate(engine)
    demo.seed(engine, scale="small", seed=2)
    before = versions_of(engine)
    demo.wipe(engine)
    assert set(versions_of(engine)) == set(TAGS)
    demo.seed(engine, scale="small", seed=2)
    after = versions_of(engine)
    engine.dispose()
    assert set(after) == set(TAGS)
    assert all(after[tag] != before[tag] for tag in TAGS)


def test_a_row_added_through_the_orm_moves_its_tag(db):
    """ORM inserts read the new id back (INSERT ... RETURNING, whose row count comes later)."""
    before = versions_of(db)
    with session_factory(db, write=True).begin() as session:
        root = session.scalar(select(Region.id).where(Region.parent_id.is_(None)))
        session.add(Region(name=f"Versions {uuid.uuid4().hex[:6]}", parent_id=root))
    assert moved(before, versions_of(db)) == {"org": 1}
