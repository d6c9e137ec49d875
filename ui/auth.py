"""Sign-in and sign-out for the app. The rules (hashes, lockout) live in core.auth."""

from __future__ import annotations

import json
import time

import streamlit as st
from sqlalchemy import func, select

from core.i18n import _, set_language
from core.models import Actor
from core.org import sessions
from core.org.auth import LoginFailed, sign_in
from core.org.company import get_setting
from core.org.sessions import SessionEnded
from db.schema import Person
from ui.data import read, writer
from ui.language import company_language

USER_KEY = "user_id"
ACTOR_KEY = "actor"
SSO_REFUSED_KEY = "sso_refused"
TOKEN_KEY = "session_token"
"""This tab's sign-in session (the token its cookie carries)."""
CHECKED_KEY = "session_checked_at"
ENDED_COOKIE_KEY = "ended_cookie"
"""The cookie this tab saw end: the browser still sends it until the tab reloads."""
PENDING_COOKIE_KEY = "pending_cookie"
COOKIE_NAME = "sales_session"


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
        _(
            "{email} is not a user of this system (or is deactivated). Ask an administrator to "
            "add you, or sign out of single sign-on."
        ).format(email=email)
        if email
        else _(
            "This account is not a user of this system (or is deactivated). Ask an "
            "administrator to add you, or sign out of single sign-on."
        )
    )
    return None


@st.cache_resource
def _cookie_secret() -> str:
    """The secret that signs the cookie (see docs/security.md): from `session_cookie_secret`
    in .streamlit/secrets.toml, else SESSION_COOKIE_SECRET or the generated file."""
    try:
        configured = st.secrets.get("session_cookie_secret")
    except Exception:  # no secrets file at all
        configured = None
    return str(configured) if configured else sessions.cookie_secret()


def _browser_token() -> str | None:
    """The session token of the browser's signed cookie (a reload, a new tab, a link)."""
    value = st.context.cookies.get(COOKIE_NAME)
    if not value or value == st.session_state.get(ENDED_COOKIE_KEY):
        return None
    token = sessions.token_from_cookie(value, _cookie_secret())
    if token is None:  # tampered with, or signed with another secret: refused and dropped
        st.session_state[ENDED_COOKIE_KEY] = value
        st.session_state[PENDING_COOKIE_KEY] = None
    return token


def _start_session(person_id: int) -> None:
    """Sign this tab in and have the browser keep the signed cookie for the next ones."""
    agent = st.context.headers.get("User-Agent")
    with writer().begin() as session:
        token = sessions.start_session(session, person_id, user_agent=agent)
    st.session_state[TOKEN_KEY] = token
    st.session_state[USER_KEY] = person_id
    st.session_state[CHECKED_KEY] = time.time()
    st.session_state[PENDING_COOKIE_KEY] = sessions.cookie_value(token, _cookie_secret())


def _forget(message: str | None) -> None:
    """This tab is signed out: drop its session and the browser's cookie."""
    if sso_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()
    if value := st.context.cookies.get(COOKIE_NAME):
        st.session_state[ENDED_COOKIE_KEY] = value
    st.session_state[PENDING_COOKIE_KEY] = None
    for key in (USER_KEY, ACTOR_KEY, TOKEN_KEY, CHECKED_KEY):
        st.session_state.pop(key, None)
    if message:
        st.session_state["signed_out_message"] = message


def resolve_actor() -> Actor | None:
    """Who is signed in, checked against the server-side session at every run (app.py): None
    when nobody is, after the idle timeout or the lifetime, after a sign-out in another tab,
    a password change, or when the person was deactivated meanwhile."""
    st.session_state.pop(ACTOR_KEY, None)
    token = st.session_state.get(TOKEN_KEY) or _browser_token()
    if token is None and (person_id := _sso_person_id()) is not None:
        _start_session(person_id)
        token = st.session_state[TOKEN_KEY]
    if token is None:
        return None
    # "last seen" is written at most once a minute; the other runs only read
    due = time.time() - st.session_state.get(CHECKED_KEY, 0) >= sessions.TOUCH_EVERY.seconds
    try:
        if due:
            with writer().begin() as session:
                actor = sessions.resolve_session(session, token)
            st.session_state[CHECKED_KEY] = time.time()
        else:
            with read() as session:
                actor = sessions.resolve_session(session, token)
    except SessionEnded as exc:
        ended = str(exc)
        _forget(None if ended == sessions.NOT_SIGNED_IN else ended)
        return None
    st.session_state[TOKEN_KEY] = token
    st.session_state[USER_KEY] = actor.id
    st.session_state[ACTOR_KEY] = actor
    return actor


def current_actor() -> Actor:
    """The signed-in user, the one way a page gets the acting user: resolved from the database
    by app.py at the start of this run, so it is current. Pass it to services, to `save()`
    actions and to cached readers (it is part of their cache key). Stops the page when nobody
    is signed in."""
    actor = st.session_state.get(ACTOR_KEY)
    if actor is None:
        _route_through_app()
        st.stop()
    set_language(actor.language or company_language())  # a page run on its own (AppTest)
    return actor


def _route_through_app() -> None:
    """A page ran without app.py: the first visit after the server started was a deep link
    (/pipeline?deal=5), and Streamlit, seeing a pages/ folder, ran that file on its own before
    app.py had declared its st.navigation. Tell it the app routes itself and run again at
    the same address, so sign-in and the page's query parameters are handled as usual."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def sign_out(message: str | None = None) -> None:
    """End this tab's session on the server (other tabs of this browser notice at their next
    click) and drop the cookie."""
    if token := st.session_state.get(TOKEN_KEY):
        with writer().begin() as session:
            sessions.end_session(session, token)
    _forget(message)


def sync_browser_cookie() -> None:
    """Write (or delete) the sign-in cookie in the browser after a sign-in or sign-out.

    Streamlit offers no server-side Set-Cookie for a script, so a script in the page sets it:
    the cookie cannot be HttpOnly, which is why it carries only a signed, revocable session
    id and nothing else (docs/security.md).
    """
    if PENDING_COOKIE_KEY not in st.session_state:
        return
    value = st.session_state.pop(PENDING_COOKIE_KEY)
    if value is None:
        cookie = f"{COOKIE_NAME}=; Path=/; Max-Age=0; SameSite=Lax"
    else:
        lifetime = int(sessions.session_limits().lifetime.total_seconds())
        cookie = f"{COOKIE_NAME}={value}; Path=/; Max-Age={lifetime}; SameSite=Lax"
    st.html(
        "<script>document.cookie = "
        f"{json.dumps(cookie)} + (location.protocol === 'https:' ? '; Secure' : '');</script>",
        unsafe_allow_javascript=True,
    )


def login_page() -> None:
    """The sign-in form, with the demo accounts when the database holds demo data."""
    # no sidebar while signed out (after a sign-out it would stay open and empty)
    st.html(
        '<style>[data-testid="stSidebar"], [data-testid="stExpandSidebarButton"] '
        "{ display: none; }</style>"
    )
    left, middle, right = st.columns([1, 2, 1])
    with middle:
        st.title(_("📈 Sales management"))
        st.caption(_("Customers, pipeline, targets and performance in one place."))
        if message := st.session_state.pop("signed_out_message", None):
            st.info(message)
        with st.form("login"):
            login = st.text_input(_("Username or email"), key="login_username")
            password = st.text_input(_("Password"), type="password", key="login_password")
            submitted = st.form_submit_button(_("Sign in"), type="primary")
        if submitted:
            try:
                person_id = sign_in(writer(), login, password)
            except LoginFailed as exc:
                st.error(str(exc))
            else:
                _start_session(person_id)
                st.rerun()
        if sso_configured():
            if refused := st.session_state.pop(SSO_REFUSED_KEY, None):
                st.error(refused)
                st.button(_("Sign out of single sign-on"), on_click=st.logout, key="sso_logout")
            else:
                st.button(_("Sign in with single sign-on"), on_click=st.login, key="sso_login")
        with read() as session:
            demo = get_setting(session, "demo_data")
            accounts = get_setting(session, "demo_accounts") or {}
        if demo and accounts:
            st.markdown(_("**Demo accounts** (password `demo`)"))
            st.table({_("username"): list(accounts), _("who"): list(accounts.values())})
