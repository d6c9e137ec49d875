"""Audit log: who changed what and when (administrators and directors)."""

import streamlit as st

from core.org import audit
from ui.auth import current_actor
from ui.data import read
from ui.downloads import download_buttons

actor = current_actor()
st.title("Audit log")
st.caption("Every change to people, customers, deals, targets and plans, newest first.")
with read() as session:
    entries = audit.recent_entries(session, actor, limit=1000)
if entries.empty:
    st.info("No changes have been recorded yet.")
else:
    st.dataframe(entries, hide_index=True, width="stretch")
    download_buttons(entries.astype({"before": str, "after": str}), "audit-log")
