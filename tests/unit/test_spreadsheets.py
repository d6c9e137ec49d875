import csv
import io

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from core.transfer.spreadsheets import FORMULA_STARTS, safe_frame, to_csv_bytes, to_excel_bytes


def test_cells_that_would_run_as_formulas_are_neutralised():
    frame = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://x")', "+1", "-cmd", "@SUM(A1)", "Acme"],
            "amount": [1, -2, 3, 4, 5],
        }
    )
    safe = safe_frame(frame)
    assert safe["name"].tolist() == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-cmd",
        "'@SUM(A1)",
        "Acme",
    ]
    assert safe["amount"].tolist() == [1, -2, 3, 4, 5], "numbers stay numbers"


def test_csv_has_a_bom_and_excel_round_trips():
    frame = pd.DataFrame({"name": ["Müller", "=1+1"], "amount": [10, 20]})
    assert to_csv_bytes(frame).startswith(b"\xef\xbb\xbf")
    back = pd.read_excel(io.BytesIO(to_excel_bytes(frame)))
    assert back["name"].tolist() == ["Müller", "'=1+1"]
    assert back["amount"].tolist() == [10, 20]


FORMULA_TEXT = st.text(min_size=1, max_size=20) | st.sampled_from(
    ['=HYPERLINK("http://evil","x")', "+cmd", "-1+1", "@SUM(A1)", "\t=1", "\r=1"]
)


@settings(max_examples=60, deadline=None)
@given(
    cells=st.lists(FORMULA_TEXT, min_size=1, max_size=5),
    dtype=st.sampled_from([object, "string", "category"]),
)
def test_no_text_cell_of_any_column_type_leaves_as_a_formula(cells, dtype):
    """Whatever the text and whatever pandas column type holds it (object, string - pandas'
    default from 3.0 - or category), no exported cell starts with = + - @ tab or CR, and
    Excel stores no formula."""
    frame = pd.DataFrame({"name": pd.Series(cells, dtype=dtype), "amount": range(len(cells))})
    rows = list(csv.reader(io.StringIO(to_csv_bytes(frame).decode("utf-8-sig"), newline="")))
    for row in rows[1:]:
        assert not row[0].startswith(FORMULA_STARTS), row[0]
        assert not row[1].startswith("'"), "numbers stay numbers"
    book = load_workbook(io.BytesIO(to_excel_bytes(frame)))
    assert not any(c.data_type == "f" for row in book.worksheets[0].iter_rows() for c in row)


def test_negative_numbers_stay_numbers_and_plain_text_is_untouched():
    frame = pd.DataFrame({"gap": [-1200.5, 3.0], "note": ["ok - fine", "a=b"]})
    safe = safe_frame(frame)
    assert safe["gap"].tolist() == [-1200.5, 3.0]
    assert safe["note"].tolist() == ["ok - fine", "a=b"]


def test_the_attainment_report_csv_neutralises_entity_names():
    from cli.report_attainment import COLUMNS, render

    row = {c: "-5" for c in COLUMNS} | {"entity": '=HYPERLINK("http://evil","x")'}
    lines = list(csv.reader(io.StringIO(render([row], "csv"))))
    assert lines[1][0] == '\'=HYPERLINK("http://evil","x")'
    assert lines[1][2] == "-5", "figures are left as numbers"


def test_a_carriage_return_inside_a_cell_cannot_start_a_new_row_with_a_formula():
    frame = pd.DataFrame({"name": ['evil\r=HYPERLINK("http://x","y")', "ok\n@SUM(A1)"]})
    rows = list(csv.reader(io.StringIO(to_csv_bytes(frame).decode("utf-8-sig"), newline="")))
    assert rows == [["name"], ['evil\r=HYPERLINK("http://x","y")'], ["ok\n@SUM(A1)"]]
