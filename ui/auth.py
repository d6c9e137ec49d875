"""Sign-in and sign-out for the app. The rules (hashes, lockout) live in core.auth."""

from __future__ import annotations

import time

import streamlit as st
from sqlalchemy import func, select

from core.errors import NotFound
from core.models import Actor
from core.org.access import load_actor
from core.org.auth import LoginFailed, sign_in
from core.org.company import get_setting
from db.config import get_settings
from db.schema import Person
from ui.data import read, writer

USER_KEY = "user_id"
ACTOR_KEY = "actor"
SSO_REFUSED_KEY = "sso_refused"
SEEN_KEY = "last_seen"


def sso_configured() -> bool:
    """Single sign-on is offered when .streamlit/secrets.toml has an [auth] section."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _sso_person_id() -> int | None:
    """The person whose email matches the identity provider's signed-in email."""
    if not sso_configured() or not getattr(st.user, "is_logged_in", False):
        return None
    email = str(st.user.get("email") or "").lower()
    with read() as session:
        person = session.scalar(select(Person).where(func.lower(Person.email) == email))
        if person is not None and person.active:
            return person.id
    st.session_state[SSO_REFUSED_KEY] = (
        f"{email or 'This account'} is not a user of this system (or is deactivated). "
        "Ask an administrator to add you, or sign out of single sign-on."
    )
    return None


def resolve_actor() -> Actor | None:
    """Who is signed in, checked once per run by app.py: None when nobody is, after the idle
    timeout, or when the person was deactivated meanwhile."""
    st.session_state.pop(ACTOR_KEY, None)
    person_id = st.session_state.get(USER_KEY)
    if person_id is None and (person_id := _sso_person_id()) is not None:
        st.session_state[USER_KEY] = person_id
        st.session_state[SEEN_KEY] = time.time()
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
    st.session_state[ACTOR_KEY] = actor
    return actor


def current_actor() -> Actor:
    """The signed-in user, the one way a page gets the acting user: resolved from the database
    by app.py at the start of this run, so it is current. Pass it to services, to `save()`
    actions and to cached readers (it is part of their cache key). Stops the page when nobody
    is signed in."""
    actor = st.session_state.get(ACTOR_KEY)
    if actor is None:
        st.stop()
    return actor


def sign_out(message: str | None = None) -> None:
    if sso_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()
    for key in (USER_KEY, SEEN_KEY, ACTOR_KEY):
        st.session_state.pop(key, None)
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
                person_id = sign_in(writer(), login, password)
            except LoginFailed as exc:
                st.error(str(exc))
            else:
                st.session_state[USER_KEY] = person_id
                st.session_state[SEEN_KEY] = time.time()
                st.rerun()
        if sso_configured():
            if refused := st.session_state.pop(SSO_REFUSED_KEY, None):
                st.error(refused)
                st.button("Sign out of single sign-on", on_click=st.logout, key="sso_logout")
            else:
                st.button("Sign in with single sign-on", on_click=st.login, key="sso_login")
        with read() as session:
            demo = get_setting(session, "demo_data")
            accounts = get_setting(session, "demo_accounts") or {}
        if demo and accounts:
            st.markdown("**Demo accounts** (password `demo`)")
            st.table({"username": list(accounts), "who": list(accounts.values())})
