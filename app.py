"""The sales management app: sign-in gate, role-aware navigation, then the chosen page."""

import streamlit as st

from db.engine import DatabaseUnavailable
from ui.auth import current_actor, login_page, sign_out
from ui.data import database
from ui.navigation import pages_for

st.set_page_config(page_title="Sales management", page_icon="📈", layout="wide")

try:
    database()
except DatabaseUnavailable as exc:
    st.error(f"**The database is not available.** {exc}")
    st.caption("Set DATABASE_URL to a reachable database, or unset it to use the embedded one.")
    st.stop()

actor = current_actor()
if actor is None:
    st.navigation([st.Page(login_page, title="Sign in", icon="🔑")], position="hidden").run()
    st.stop()

with st.sidebar:
    st.markdown(f"**{actor.name}**  \n{actor.role.value.capitalize()}")
    if st.button("Sign out", key="sign_out"):
        sign_out()
        st.rerun()

st.navigation(pages_for(actor.role, actor)).run()
