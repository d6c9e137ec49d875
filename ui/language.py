"""The language of a page run: the person's choice, else the company default, and the names of
the domain's fixed values (roles, deal statuses) in that language."""

from __future__ import annotations

import os

import streamlit as st

from core.i18n import N_, _, default_language, normalise
from core.models import Role

ROLE_NAMES = {
    Role.ADMIN: N_("Administrator"),
    Role.DIRECTOR: N_("Director"),
    Role.MANAGER: N_("Manager"),
    Role.REP: N_("Rep"),
}


def company_language() -> str:
    """SALES_DEFAULT_LANGUAGE from .streamlit/secrets.toml, else from the environment, else
    English."""
    try:
        configured = st.secrets.get("SALES_DEFAULT_LANGUAGE")
    except Exception:  # no secrets file at all
        configured = None
    if configured and normalise(str(configured)):
        os.environ.setdefault("SALES_DEFAULT_LANGUAGE", str(configured))
        return normalise(str(configured)) or default_language()
    return default_language()


def role_name(role: Role | str) -> str:
    """A role as people call it, in the current language."""
    return _(ROLE_NAMES[Role(role)])
