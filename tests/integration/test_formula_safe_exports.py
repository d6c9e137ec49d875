"""Formula injection end to end: a customer named =HYPERLINK(...) (typed in the form, or in an
imported file) comes out of every export as text that a spreadsheet program will not run, and
an export read back in gives the original name again. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core import customers
from core.org.access import load_actor
from core.transfer import export_frame, import_table, read_table
from core.transfer.spreadsheets import to_csv_bytes, to_excel_bytes
from db.schema import Customer, Region
from tests.security_support import build_world
from tests.transfer_support import csv_table

TYPED = '=HYPERLINK("http://evil","x")'
IMPORTED = ["+cmd|' /C calc'!A0", "@SUM(A1)", "-1+1", "=cmd|' /C notepad'!A0"]


def _csv_cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _excel_cells(data: bytes):
    book = load_workbook(io.BytesIO(data))
    return [list(row) for row in book.worksheets[0].iter_rows()]


@pytest.fixture
def hostile_customers(session):
    world = build_world(session)
    director = load_actor(session, world.director.id)
    customers.create_customer(
        session,
        load_actor(session, world.owner.id),
        customers.CustomerInput(name=TYPED, region_id=world.home_region_id),
        confirmed=True,
    )
    region = session.get(Region, world.home_region_id).name
    rows = "\n".join(f'"{name.replace(chr(34), chr(34) * 2)}",{region}' for name in IMPORTED)
    import_table(session, director, "customers", csv_table(f"name,region\n{rows}"))
    session.flush()
    stored = set(
        session.scalars(select(Customer.name).where(Customer.name.in_([TYPED, *IMPORTED])))
    )
    assert stored == {TYPED, *IMPORTED}, "names are stored exactly as typed"
    return director


def test_the_canonical_customer_export_neutralises_formulas_in_csv_and_excel(
    session, hostile_customers
):
    frame = export_frame(session, hostile_customers, "customers")
    names = [TYPED, *IMPORTED]
    csv_names = {row[1] for row in _csv_cells(to_csv_bytes(frame))[1:]}
    for name in names:
        assert "'" + name in csv_names and name not in csv_names
    excel = _excel_cells(to_excel_bytes(frame, sheet="customers"))
    cells = {row[1].value: row[1] for row in excel[1:]}
    for name in names:
        cell = cells["'" + name]
        assert cell.data_type == "s", f"{name} became a formula in Excel"
    assert not any(c.data_type == "f" for row in excel for c in row), "no formula anywhere"


@pytest.mark.parametrize("excel", [False, True], ids=["csv", "xlsx"])
def test_an_exported_file_read_back_gives_the_original_names(session, hostile_customers, excel):
    frame = export_frame(session, hostile_customers, "customers")
    data = to_excel_bytes(frame) if excel else to_csv_bytes(frame)
    table = read_table(data, "customers.xlsx" if excel else "customers.csv")
    names = {row[1] for row in table.rows}
    assert {TYPED, *IMPORTED} <= names


def test_the_customer_list_download_neutralises_formulas(session, hostile_customers):
    """What the Customers page offers as a download (export_customers -> download_buttons)."""
    frame = customers.export_customers(
        session, hostile_customers, customers.CustomerFilters(search="")
    )
    cells = {cell for row in _csv_cells(to_csv_bytes(frame))[1:] for cell in row}
    assert "'" + TYPED in cells and TYPED not in cells
    excel = _excel_cells(to_excel_bytes(frame))
    assert not any(c.data_type == "f" for row in excel for c in row)
