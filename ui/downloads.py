"""Download buttons for what a table shows: CSV and Excel, formula-safe.

The files are written when the button is clicked, not on every run of the page: writing an
Excel file of a large table takes longer than the rest of the page. A click does not rerun the
page: it only asks for the file (a rerun recomputed the page for nothing)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.transfer.spreadsheets import to_csv_bytes, to_excel_bytes


def download_buttons(frame: pd.DataFrame, name: str, *, key: str | None = None) -> None:
    """Two buttons side by side: `name`.csv and `name`.xlsx of `frame`."""
    key = key or name
    csv_col, excel_col, _ = st.columns([1, 1, 4])
    csv_col.download_button(
        "⬇ CSV",
        lambda: to_csv_bytes(frame),
        f"{name}.csv",
        "text/csv",
        key=f"{key}_csv",
        on_click="ignore",
    )
    excel_col.download_button(
        "⬇ Excel",
        lambda: to_excel_bytes(frame),
        f"{name}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        on_click="ignore",
    )
