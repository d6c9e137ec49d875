"""Tables out as CSV and Excel, safe to open in a spreadsheet program.

A cell that starts with = + - or @ would run as a formula (=HYPERLINK(...) and worse), so such
text is prefixed with an apostrophe. Numbers are left alone, negative ones included.
"""

from __future__ import annotations

import io

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _is_text(dtype) -> bool:
    # text may sit in object, string (pandas' default from 3.0) or category columns
    return (
        pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    )


def safe_frame(frame: pd.DataFrame, clean=neutralise) -> pd.DataFrame:
    """A copy whose text cells cannot run as formulas."""
    out = frame.copy()
    for column in out.columns:
        if _is_text(out[column].dtype):
            out[column] = out[column].astype(object).map(clean)
    out.columns = [clean(str(c)) for c in out.columns]
    return out


def _excel_text(value):
    """Formula-safe, without the control characters an Excel file cannot hold (openpyxl
    refuses the whole workbook for one of them)."""
    value = neutralise(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read accents right. Lines end in
    CRLF (RFC 4180), which also makes the writer quote a cell holding a bare carriage return:
    with '\n' endings such a cell went out unquoted and split the row, so 'x\r=cmd' became a
    new row starting with a formula."""
    return safe_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_excel_bytes(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe_frame(frame, _excel_text).to_excel(writer, index=False, sheet_name=sheet[:31])
    return buffer.getvalue()
