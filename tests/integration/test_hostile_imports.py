"""Fuzzed files for every import kind: huge and negative numbers, empty and 10,000-character
cells, unicode and right-to-left text, formula injection, SQL metacharacters, NUL bytes.

Property: the import either succeeds cleanly or is refused with a problem list naming row and
column (or another clear DomainError); never another exception, and a refused import leaves
every table exactly as it was. Runs on SQLite and PostgreSQL against the seeded demo data.
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core.errors import DomainError
from core.org.access import SYSTEM_ACTOR
from core.transfer import ImportFailed, Kind, import_table, read_table
from core.transfer.formats import columns
from db.schema import Customer, Person, Region
from tests.hostile import hostile_cell
from tests.security_support import fingerprint

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _good_values(session) -> dict[str, list[str]]:
    """Plausible cell values per column, taken from the seeded data, so that some generated
    rows are valid and reach the writing code."""
    region = session.scalar(select(Region.name).where(Region.parent_id.is_not(None)))
    rep_email = session.scalar(select(Person.email).where(Person.username == "rep"))
    customer = session.scalar(select(Customer.name).order_by(Customer.id))
    return {
        "name": ["Fuzz name", "Ünïcödé GmbH"],
        "parent": ["", region],
        "email": ["fuzz.person@example.com"],
        "role": ["rep", "manager"],
        "region": ["", region],
        "reports_to": [""],
        "hire_date": ["2024-02-01", ""],
        "product_line": ["Fuzz line", ""],
        "list_price": ["10.00"],
        "external_id": ["FUZZ-1", ""],
        "owner": [rep_email],
        "industry": ["Retail"],
        "segment": ["SMB"],
        "status": ["active", "prospect"],
        "annual_potential": ["1000"],
        "customer": [customer],
        "product": [""],
        "amount": ["1500.00"],
        "stage": ["Qualified", "Won", "Lost"],
        "created_on": ["2026-01-05"],
        "expected_close": ["2026-06-30"],
        "closed_on": ["", "2026-03-01"],
        "lost_reason": [""],
        "period": ["2031-01", "2031-02"],
        "rep": [rep_email, ""],
        "measure": ["", "revenue", "units", "visits"],
        "month": ["1", "12"],
        "percent": ["8.33", "100"],
        "type": ["call", "visit"],
        "date": ["2026-02-02"],
        "user": [rep_email],
        "deal": [""],
        "outcome": ["ok"],
        "notes": ["notes"],
    }


def _cells(good: dict[str, list[str]], kind: Kind):
    """One row: each canonical column good (three times in four) or hostile."""
    return st.tuples(
        *(
            st.one_of(*[st.sampled_from(good.get(column, ["x"]))] * 3, hostile_cell)
            for column in columns(kind)
        )
    )


def _csv(header: list[str], rows: list[tuple]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _check_import(session, kind: Kind, data: bytes) -> None:
    savepoint = session.begin_nested()
    try:
        before = fingerprint(session)
        try:
            table = read_table(data, f"{kind}.csv")
            import_table(session, SYSTEM_ACTOR, kind, table)
        except ImportFailed as failure:
            assert failure.problems, "a refused file lists its problems"
            for problem in failure.problems:
                assert problem.reason and isinstance(problem.column, str)
                assert problem.row is None or problem.row >= 1
            assert str(failure).startswith("Nothing was imported")
            assert fingerprint(session) == before, "a refused import wrote something"
        except DomainError as refusal:
            assert str(refusal)
            assert fingerprint(session) == before, "a refused import wrote something"
    finally:
        savepoint.rollback()


@pytest.mark.parametrize("kind", list(Kind), ids=[k.value for k in Kind])
def test_hostile_files_are_refused_with_row_and_column_or_imported_cleanly(session, kind):
    good = _good_values(session)

    @FUZZ
    @given(rows=st.lists(_cells(good, kind), min_size=1, max_size=3))
    def check(rows):
        _check_import(session, kind, _csv(columns(kind), rows))

    check()


@pytest.mark.parametrize("kind", list(Kind), ids=[k.value for k in Kind])
def test_hostile_headers_are_refused_with_a_clear_message(session, kind):
    @FUZZ
    @given(
        header=st.lists(hostile_cell, min_size=1, max_size=4),
        row=st.lists(hostile_cell, min_size=0, max_size=4),
    )
    def check(header, row):
        _check_import(session, kind, _csv(header, [tuple(row)]))

    check()


def test_a_file_that_is_not_utf8_or_not_a_workbook_is_refused_clearly(session):
    before = fingerprint(session)
    for data, name in ((b"\xff\xfe\x00n\x00a", "x.csv"), (b"PK\x03\x04garbage", "x.xlsx")):
        with pytest.raises(DomainError):
            import_table(session, SYSTEM_ACTOR, "regions", read_table(data, name))
    assert fingerprint(session) == before


def _xlsx(header: list[str], rows: list[tuple]) -> bytes:
    """A workbook as another program writes it: a cell starting with = is a real formula."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook()
    sheet = book.active
    for line in [header, *rows]:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", str(v)) for v in line])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", [Kind.CUSTOMERS, Kind.DEALS], ids=["customers", "deals"])
def test_hostile_excel_workbooks_are_refused_clearly_or_imported_cleanly(session, kind):
    good = _good_values(session)

    @settings(FUZZ, max_examples=15)
    @given(rows=st.lists(_cells(good, kind), min_size=1, max_size=3))
    def check(rows):
        savepoint = session.begin_nested()
        try:
            before = fingerprint(session)
            try:
                table = read_table(_xlsx(columns(kind), rows), f"{kind}.xlsx")
                import_table(session, SYSTEM_ACTOR, kind, table)
            except DomainError as refusal:
                assert str(refusal)
                assert fingerprint(session) == before, "a refused import wrote something"
        finally:
            savepoint.rollback()

    check()
