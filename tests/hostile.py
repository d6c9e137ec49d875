"""Hostile values for fuzz tests: what careless or malicious people put in files and forms."""

from __future__ import annotations

from hypothesis import strategies as st

FORMULAS = [
    '=HYPERLINK("http://x","y")',
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-1+1",
    "@SUM(A1)",
    "\t=tab",
]
SQL = [
    "'; DROP TABLE deal; --",
    "Robert'); DROP TABLE person;--",
    '" OR 1=1 --',
    "%_\\",
]
UNICODE = [
    "שלום עולם",  # right to left
    "مرحبا بالعالم",
    "\u202eevil\u202c",  # right-to-left override
    "Zoë Ünïcödé 北京 🚀",
    "\u0301\u0301\u0301",  # combining marks only
    "\ufeffBOM",
    "line\nbreak",
    "nul\x00byte",
]
NUMBERS = [
    "1e308",
    "99999999999999999999999",
    "123456789012.345",
    "-5",
    "-0.01",
    "-0",
    "NaN",
    "Infinity",
    "1,000.00",
    "0x10",
    "12.345",
    "1e-7",
    "٣",  # an Arabic-Indic digit
]
DATES = ["2026-02-30", "0000-01-01", "9999-12-31", "26/03/2026", "yesterday", "2026-13"]
EDGE_TEXT = ["", " ", "x" * 10_000, "x" * 201]

HOSTILE_TEXT = FORMULAS + SQL + UNICODE + EDGE_TEXT
HOSTILE_CELLS = HOSTILE_TEXT + NUMBERS + DATES

hostile_cell = st.one_of(
    st.sampled_from(HOSTILE_CELLS),
    st.text(max_size=30),
)
hostile_text = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=30))
hostile_number = st.one_of(
    st.sampled_from(NUMBERS),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
)
hostile_value = st.one_of(
    hostile_text,
    hostile_number,
    st.none(),
    st.booleans(),
    st.sampled_from(DATES),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
"""Any JSON-ish value a form or an API payload might carry."""
