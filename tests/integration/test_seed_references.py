"""The demo seed on PostgreSQL skips the row-by-row foreign-key checks (when its user is a
superuser) and checks every reference set-wise before it commits: a dangling reference is
refused, and the row-by-row checks are back afterwards."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from db.bulk import check_references, skip_reference_checks
from db.schema import Base

DANGLING = text(
    "INSERT INTO activity (type, occurred_on, person_id, customer_id, deal_id, outcome, notes,"
    " created_at) SELECT type, occurred_on, 999999999, customer_id, deal_id, outcome, notes,"
    " created_at FROM activity LIMIT 1"
)


def test_the_seeded_references_hold_and_a_dangling_one_is_refused(engine, backend):
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            skipped = skip_reference_checks(conn)
            if backend == "sqlite":
                assert not skipped  # SQLite keeps its own checks
            else:
                superuser = conn.scalar(
                    text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                )
                assert skipped == bool(superuser)
            check_references(conn, Base.metadata.sorted_tables)  # the demo data: all hold
            if skipped:
                skipped = skip_reference_checks(conn)
                conn.execute(DANGLING)  # taken: no row-by-row check now
                with pytest.raises(ValueError, match=r"activity \(person_id\) refers to a row of"):
                    check_references(conn, Base.metadata.sorted_tables)
        finally:
            transaction.rollback()
    if backend == "postgresql":
        with engine.connect() as conn:
            transaction = conn.begin()
            try:
                skip_reference_checks(conn)
                check_references(conn, Base.metadata.sorted_tables)
                with pytest.raises(IntegrityError):  # the row-by-row checks are back
                    conn.execute(DANGLING)
            finally:
                transaction.rollback()
