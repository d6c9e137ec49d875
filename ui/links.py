"""Deep links: every deal, customer, rep scorecard and review has an address a user can
bookmark, reload or send (/pipeline?deal=123, /customers?customer=5, /performance?rep=7,
/reviews?review=3).

A page keeps the record it has open in st.session_state; these helpers keep that and the
address's query parameter in step. Opening a link (a new page load) opens its record;
opening or closing a record in the page rewrites the address, so a reload or a copied
address shows the same record. Whether the user may see the record is decided in core, as
for any other way of opening it.
"""

from __future__ import annotations

import streamlit as st

LINK_PARAMS = ("deal", "customer", "rep", "review")


def _seen_key(param: str) -> str:
    return f"link_seen_{param}"


def linked_id(param: str) -> int | None:
    """The id a link brought in `param` that this page has not taken yet (once), else None.
    A value that is not a whole number is dropped from the address."""
    raw = st.query_params.get(param)
    if raw is None or raw == st.session_state.get(_seen_key(param)):
        return None
    st.session_state[_seen_key(param)] = raw
    try:
        return int(raw)
    except ValueError:
        del st.query_params[param]
        return None


def show_in_address(param: str, record_id: int | None) -> None:
    """Put the open record into the address (or take it out when none is open)."""
    if record_id is None:
        st.session_state.pop(_seen_key(param), None)
        if param in st.query_params:
            del st.query_params[param]
        return
    st.session_state[_seen_key(param)] = str(record_id)
    if st.query_params.get(param) != str(record_id):
        st.query_params[param] = str(record_id)


def open_record(param: str, state_key: str) -> int | None:
    """The record a page has open under `state_key`, after taking a link's `param` into it;
    the address then names that record."""
    if (arrived := linked_id(param)) is not None:
        st.session_state[state_key] = arrived
    current = st.session_state.get(state_key)
    show_in_address(param, None if current is None else int(current))
    return None if current is None else int(current)
