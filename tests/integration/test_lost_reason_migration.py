"""Migration 0013 puts the free-text lost reasons already on deals onto the kept list."""

import os

from alembic import command
from sqlalchemy import text

from db.engine import alembic_config, make_engine
from tests.support import fresh_postgres, skip_or_fail

OLD_REASONS = [
    # deal id, status, free-text reason as the old app stored it
    (1, "lost", "Price"),
    (2, "lost", "price "),
    (3, "lost", "Price"),
    (4, "lost", "Competitor"),
    (5, "lost", "  Chose  competitor: cheaper"),
    (6, "lost", None),
    (7, "open", None),
    (8, "lost", "Competitor"),
]


def _old_database(engine):
    """Migrated up to the revision before the list, holding deals with free-text reasons."""
    config = alembic_config(engine)
    command.upgrade(config, "0012_person_functions")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO region (id, name) VALUES (1, 'North')"))
        conn.execute(
            text(
                "INSERT INTO person (id, username, email, name, role, region_id) "
                "VALUES (1, 'rep', 'rep@example.com', 'A Rep', 'rep', 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO customer (id, name, normalized_name, region_id, status, "
                "annual_potential) VALUES (1, 'Acme', 'acme', 1, 'active', 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO stage (id, name, position, probability, is_won, is_lost, "
                "exit_checklist, required_roles) VALUES "
                "(1, 'Lead', 1, 0.1, false, false, '[]', '[]'), "
                "(2, 'Lost', 2, 0, false, true, '[]', '[]')"
            )
        )
        for deal_id, status, reason in OLD_REASONS:
            conn.execute(
                text(
                    "INSERT INTO deal (id, name, customer_id, owner_id, region_id, amount, "
                    "stage_id, status, forecast_category, created_on, expected_close, "
                    "closed_on, lost_reason, stage_entered_on, checklist_done, version) "
                    "VALUES (:id, 'Deal', 1, 1, 1, 100, :stage, :status, 'pipeline', "
                    "'2026-01-05', '2026-03-31', :closed, :reason, '2026-01-05', '[]', 1)"
                ),
                {
                    "id": deal_id,
                    "stage": 2 if status == "lost" else 1,
                    "status": status,
                    "closed": "2026-02-01" if status == "lost" else None,
                    "reason": reason,
                },
            )
    return config


def _migrate(engine):
    config = _old_database(engine)
    command.upgrade(config, "0013_lost_reasons")
    with engine.connect() as conn:
        listed = conn.execute(
            text("SELECT id, name, active, position FROM lost_reason ORDER BY position")
        ).all()
        deals = conn.execute(
            text(
                "SELECT d.id, r.name, d.lost_reason, d.quantity FROM deal d "
                "LEFT JOIN lost_reason r ON r.id = d.lost_reason_id ORDER BY d.id"
            )
        ).all()
    command.downgrade(config, "0012_person_functions")
    with engine.connect() as conn:
        kept = dict(conn.execute(text("SELECT id, lost_reason FROM deal")).all())
    return listed, deals, kept


def _check(engine):
    listed, deals, kept = _migrate(engine)
    # Price: 3 deals (two spellings, most spell it "Price"), Competitor: 2, the other: 1.
    assert [(name, bool(active), position) for _, name, active, position in listed] == [
        ("Price", True, 1),
        ("Competitor", True, 2),
        ("Chose competitor: cheaper", True, 3),
    ]
    assert [(d[0], d[1]) for d in deals] == [
        (1, "Price"),
        (2, "Price"),
        (3, "Price"),
        (4, "Competitor"),
        (5, "Chose competitor: cheaper"),
        (6, None),
        (7, None),
        (8, "Competitor"),
    ]
    # the wording of the day stays, every deal gets quantity 1
    assert [d[2] for d in deals] == [r for _, _, r in OLD_REASONS]
    assert {d[3] for d in deals} == {1}
    # going down keeps the free-text reasons
    assert kept == {deal_id: reason for deal_id, _, reason in OLD_REASONS}


def test_existing_reasons_become_the_list_on_sqlite(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'reasons.db'}")
    try:
        _check(engine)
        with engine.connect() as conn:
            sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'deal'")).scalar()
        assert "AUTOINCREMENT" in sql
    finally:
        engine.dispose()


def test_existing_reasons_become_the_list_on_postgresql():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        skip_or_fail("TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    engine = fresh_postgres(url, "lost_reasons")
    try:
        _check(engine)
    finally:
        engine.dispose()
