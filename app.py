"""The sales management app: sign-in gate, role-aware navigation, then the chosen page."""

import logging
import os
from datetime import date

import streamlit as st

from core.errors import DomainError
from core.org.changes import apply_due_changes
from db.engine import DatabaseUnavailable
from ui.auth import login_page, resolve_actor, sign_out
from ui.data import clear_caches, database
from ui.forecast_snapshots import take_due_snapshots
from ui.navigation import pages_for

logger = logging.getLogger("sales")

st.set_page_config(page_title="Sales management", page_icon="📈", layout="wide")

try:
    database()
except DatabaseUnavailable as exc:
    st.error(f"**The database is not available.** {exc}")
    st.caption("Set DATABASE_URL to a reachable database, or unset it to use the embedded one.")
    st.stop()

with database().begin() as session:  # scheduled organisation changes whose date has come
    applied = apply_due_changes(session, date.today())
if applied:
    clear_caches()

actor = resolve_actor()
if actor is None:
    st.navigation([st.Page(login_page, title="Sign in", icon="🔑")], position="hidden").run()
    st.stop()

take_due_snapshots()  # the first page view after a Monday or a period start freezes the forecast

with st.sidebar:
    st.markdown(f"**{actor.name}**  \n{actor.role.value.capitalize()}")
    if st.button("Sign out", key="sign_out"):
        sign_out()
        st.rerun()

page = st.navigation(pages_for(actor.role, actor))
try:
    page.run()
except DomainError as exc:  # a rule refused the request: say why, nothing was saved
    st.error(str(exc))
except Exception:
    if os.environ.get("SALES_RAISE_ERRORS") == "1":  # tests must see real failures
        raise
    logger.exception("Page %s failed", page.title)
    st.error(
        "Something went wrong on this page and nothing was saved. The error has been logged "
        "for the administrators; try again or open another page."
    )
