"""Reading files and mapping columns, without a database; who may import and export what."""

import io

import pandas as pd
import pytest

from core.errors import PermissionDenied, ValidationFailed
from core.models import Actor, Role
from core.transfer import (
    ColumnMapping,
    Kind,
    email_from_name,
    ensure_can_export,
    ensure_can_import,
    importable_kinds,
    read_table,
)
from core.transfer.formats import PersonRow
from core.transfer.reading import MappedRows
from core.transfer.spreadsheets import to_csv_bytes, to_excel_bytes


def rows_of(kind, data: bytes, mapping=None, name="f.csv"):
    mapped = MappedRows(Kind(kind), read_table(data, name), mapping or ColumnMapping())
    return [row for _, row, _ in mapped], mapped.problems


def test_csv_with_or_without_bom_and_headers_in_any_case_read_the_same():
    plain = b"Name,PRODUCT_LINE,List_Price\nWidget,Tools,9.90\n"
    for data in (plain, b"\xef\xbb\xbf" + plain, plain.replace(b"\n", b"\r\n")):
        rows, problems = rows_of("products", data)
        assert problems == []
        assert [(r.name, r.product_line, str(r.list_price)) for r in rows] == [
            ("Widget", "Tools", "9.90")
        ]


def test_excel_files_read_dates_and_numbers_as_plain_text():
    frame = pd.DataFrame(
        {"email": ["a@b.org"], "name": ["Ann"], "hire_date": [pd.Timestamp("2024-03-01")]}
    )
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    rows, problems = rows_of("people", buffer.getvalue(), name="people.xlsx")
    assert problems == [] and str(rows[0].hire_date) == "2024-03-01"


def test_formula_safe_text_from_our_own_export_reads_back_unchanged():
    frame = pd.DataFrame({"name": ["=SUM(A1)", "-minus", "Plain"], "list_price": ["1", "2", "3"]})
    for data, name in ((to_csv_bytes(frame), "p.csv"), (to_excel_bytes(frame), "p.xlsx")):
        rows, _ = rows_of("products", data, name=name)
        assert [r.name for r in rows] == ["=SUM(A1)", "-minus", "Plain"]


def test_mapping_renames_columns_ignores_some_and_maps_values():
    data = b"Agent,Office,Boss,Ignored\nMei-Mei Johns,West,Carl Lin,x\n"
    mapping = ColumnMapping(
        columns={"agent": "name", "OFFICE": "region", "boss": "reports_to", "ignored": ""},
        values={"region": {"west": "West Coast"}},
        defaults={"role": "manager"},
        email_domain="maven.example",
    )
    rows, problems = rows_of("people", data, mapping)
    assert problems == []
    assert rows == [
        PersonRow(
            email="mei.mei.johns@maven.example",
            name="Mei-Mei Johns",
            role="manager",
            region="West Coast",
            reports_to="Carl Lin",
        )
    ]


def test_unknown_duplicate_and_missing_columns_are_problems_of_row_one():
    _, problems = rows_of("deals", b"external_id,Owner,owner,colour\n1,a,b,c\n")
    reasons = {(p.row, p.column): p.reason for p in problems}
    assert reasons[(1, "owner")] == "column twice"
    assert "not a column of deals" in reasons[(1, "colour")]
    assert reasons[(1, "stage")] == "required column missing: map a source column to stage"
    assert reasons[(1, "customer")].startswith("required column missing")


def test_unreadable_files_are_refused_with_a_clear_message():
    # Western European text that is not UTF-8 is read as Windows-1252 (docs/import.md)
    assert read_table("name\nMüller".encode("latin-1"), "x.csv").rows == [["Müller"]]
    with pytest.raises(ValidationFailed, match="is empty"):
        read_table(b"", "x.csv")
    with pytest.raises(ValidationFailed, match="not a readable Excel workbook"):
        read_table(b"garbage", "x.xlsx")


def test_email_from_name_drops_accents_and_punctuation():
    assert email_from_name("José  O'Neil-Smith", "@Example.ORG") == "jose.o.neil.smith@example.org"


def _actor(role: Role, active=True) -> Actor:
    return Actor(
        id=1,
        name="X",
        username="x",
        role=role,
        active=active,
        scope_region_ids=frozenset({2}) if role != Role.DIRECTOR else None,
    )


def test_who_may_import_and_export_which_kind():
    assert importable_kinds(_actor(Role.DIRECTOR)) == list(Kind)
    assert importable_kinds(_actor(Role.ADMIN)) == list(Kind)
    assert importable_kinds(_actor(Role.MANAGER)) == [
        Kind.PEOPLE,
        Kind.CUSTOMERS,
        Kind.DEALS,
        Kind.CREDIT_SPLITS,
        Kind.ACTIVITIES,
    ]
    assert importable_kinds(_actor(Role.REP)) == []
    with pytest.raises(PermissionDenied, match="Only directors and administrators"):
        ensure_can_import(_actor(Role.MANAGER), Kind.TARGETS)
    with pytest.raises(PermissionDenied, match="deactivated"):
        ensure_can_import(_actor(Role.DIRECTOR, active=False), Kind.DEALS)
    ensure_can_export(_actor(Role.MANAGER), Kind.DEALS)
    with pytest.raises(PermissionDenied):
        ensure_can_export(_actor(Role.REP), Kind.DEALS)
