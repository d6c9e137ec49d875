import io

import pandas as pd

from core.spreadsheets import safe_frame, to_csv_bytes, to_excel_bytes


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
