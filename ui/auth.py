"""Sign-in and sign-out for the app. The rules (hashes, lockout) live in core.auth."""

from __future__ import annotations

import time

import streamlit as st

from core.auth import LoginFailed, sign_in
from core.company import get_setting
from core.errors import NotFound
from core.models import Actor
from core.permissions import load_actor
from db.config import get_settings
from ui.data import database, read

USER_KEY = "user_id"
SEEN_KEY = "last_seen"


def current_actor() -> Actor | None:
    """The signed-in user, or None (also after the idle timeout or a deactivation)."""
    person_id = st.session_state.get(USER_KEY)
    if person_id is None:
        return None
    idle = time.time() - st.session_state.get(SEEN_KEY, 0)
    if idle > get_settings().session_idle_minutes * 60:
        sign_out("You were signed out after a period of inactivity.")
        return None
    st.session_state[SEEN_KEY] = time.time()
    try:
        with read() as session:
            actor = load_actor(session, person_id)
    except NotFound:
        actor = None
    if actor is None or not actor.active:
        sign_out("Your account is no longer active.")
        return None
    return actor


def sign_out(message: str | None = None) -> None:
    st.session_state.pop(USER_KEY, None)
    st.session_state.pop(SEEN_KEY, None)
    if message:
        st.session_state["signed_out_message"] = message


def login_page() -> None:
    """The sign-in form, with the demo accounts when the database holds demo data."""
    left, middle, right = st.columns([1, 2, 1])
    with middle:
        st.title("📈 Sales management")
        st.caption("Customers, pipeline, targets and performance in one place.")
        if message := st.session_state.pop("signed_out_message", None):
            st.info(message)
        with st.form("login"):
            login = st.text_input("Username or email", key="login_username")
            password = st.text_input("Password", type="password", key="login_password")
            submitted = st.form_submit_button("Sign in", type="primary")
        if submitted:
            try:
                person_id = sign_in(database(), login, password)
            except LoginFailed as exc:
                st.error(str(exc))
            else:
                st.session_state[USER_KEY] = person_id
                st.session_state[SEEN_KEY] = time.time()
                st.rerun()
        with read() as session:
            demo = get_setting(session, "demo_data")
            accounts = get_setting(session, "demo_accounts") or {}
        if demo and accounts:
            st.markdown("**Demo accounts** (password `demo`)")
            st.table({"username": list(accounts), "who": list(accounts.values())})
