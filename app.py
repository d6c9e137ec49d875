"""The sales management app: sign-in gate, role-aware navigation, then the chosen page."""

import logging
import os
import time

import streamlit as st
from sqlalchemy.exc import DBAPIError, OperationalError

from core import clock
from core.errors import DomainError
from core.i18n import _, set_language
from core.org.changes import apply_due_changes
from db.engine import DatabaseUnavailable
from ui.auth import login_page, resolve_actor, sign_out, sync_browser_cookie
from ui.data import clear_caches, database
from ui.forecast_snapshots import take_due_snapshots
from ui.heap import freeze_startup_objects
from ui.language import company_language, role_name
from ui.navigation import PAGES, pages_for
from ui.style import apply_style

logger = logging.getLogger("sales")

set_language(company_language())  # until the signed-in person's choice is known
st.set_page_config(page_title=_("Sales management"), page_icon="📈", layout="wide")
apply_style()

try:
    database()
except DatabaseUnavailable as exc:
    st.error(_("**The database is not available.** {reason}").format(reason=exc))
    st.caption(_("Set DATABASE_URL to a reachable database, or unset it to use the embedded one."))
    st.stop()

freeze_startup_objects()  # once per process: full collections stop walking the app's modules

RETRY_SECONDS = 5  # while the database is unreachable, every run waits this long, then retries


def database_unreachable() -> None:
    """One clear message instead of an error box; the transaction was rolled back, and the
    page tries again by itself until the database answers."""
    st.warning(_("**The database is not reachable; retrying.**"), icon="🔌")
    st.caption(
        _(
            "Nothing was saved. This page reloads by itself as soon as the database is back; "
            "you stay signed in."
        )
    )
    time.sleep(RETRY_SECONDS)
    st.rerun()


def _is_outage(exc: DBAPIError) -> bool:
    """A lost or refused connection (not a bad query): the database will be back."""
    return bool(exc.connection_invalidated) or isinstance(exc, OperationalError)


def signed_out() -> None:
    """The sign-in form at whatever address was opened: the page and its query parameters stay
    in the address bar, so after signing in the user lands where the link pointed."""
    known = [st.Page(login_page, title=_("Sign in"), icon="🔑", default=True)]
    known += [st.Page(e.path, title=_(e.title), icon=e.icon) for e in PAGES if not e.default]
    st.navigation(known, position="hidden")
    login_page()


def run_app() -> None:
    """Scheduled changes, sign-in, navigation, then the chosen page."""
    with database().begin() as session:  # scheduled organisation changes whose date has come
        applied = apply_due_changes(session, clock.today())
    if applied:
        clear_caches()

    actor = resolve_actor()
    sync_browser_cookie()
    if actor is None:
        signed_out()
        st.stop()
    set_language(actor.language or company_language())

    take_due_snapshots()  # after a Monday or a period start: frozen in the background

    with st.sidebar:
        st.markdown(f"**{actor.name}**  \n{role_name(actor.role)}")
        if st.button(_("Sign out"), key="sign_out"):
            sign_out()
            st.rerun()

    page = st.navigation(pages_for(actor.role, actor), expanded=True)  # no "View N more" fold
    try:
        page.run()
    except DomainError as exc:  # a rule refused the request: say why, nothing was saved
        st.error(str(exc))
    except DBAPIError:
        raise  # the database went away: handled below, for every step alike
    except Exception:
        if os.environ.get("SALES_RAISE_ERRORS") == "1":  # tests must see real failures
            raise
        logger.exception("Page %s failed", page.title)
        st.error(
            _(
                "Something went wrong on this page and nothing was saved. The error has been "
                "logged for the administrators; try again or open another page."
            )
        )


try:
    run_app()
except DBAPIError as exc:
    if not _is_outage(exc):
        raise
    logger.warning("Database not reachable: %s", exc.orig)
    database_unreachable()
