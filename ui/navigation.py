"""Which pages each role sees, by section. One row per page; app.py builds st.navigation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from core.i18n import N_, _
from core.models import Actor, Role
from ui.alert_counts import alerts_title

EVERYONE = frozenset(Role)
LEADERS = frozenset({Role.MANAGER, Role.DIRECTOR, Role.ADMIN})
MANAGEMENT = frozenset({Role.DIRECTOR, Role.ADMIN})
DEAL_OWNERS = frozenset({Role.REP, Role.MANAGER})
ADMINS = frozenset({Role.ADMIN})


@dataclass(frozen=True)
class PageEntry:
    path: str
    title: str
    icon: str
    section: str
    roles: frozenset[Role]
    default: bool = False
    live_title: Callable[[Actor], str] | None = None
    """Computes the title at navigation time (e.g. with a count of open alerts)."""
    home_for: frozenset[Role] = frozenset()
    """Roles whose home (the page after sign-in) this is, instead of the page marked default."""


PAGES: list[PageEntry] = [
    PageEntry(
        "pages/my_day.py", N_("My day"), "☀️", "", DEAL_OWNERS, home_for=frozenset({Role.REP})
    ),
    PageEntry("pages/home.py", N_("Home"), "🏠", "", EVERYONE, default=True),
    PageEntry("pages/customers.py", N_("Customers"), "🏢", N_("Sales"), EVERYONE),
    PageEntry("pages/my_deals.py", N_("My deals"), "💼", N_("Sales"), DEAL_OWNERS),
    PageEntry("pages/pipeline.py", N_("Pipeline"), "📊", N_("Sales"), LEADERS),
    PageEntry("pages/reviews.py", N_("Pipeline reviews"), "🗓️", N_("Sales"), EVERYONE),
    PageEntry("pages/targets.py", N_("Targets"), "📋", N_("Planning"), EVERYONE),
    PageEntry("pages/attainment.py", N_("Attainment & forecast"), "🎯", N_("Results"), EVERYONE),
    PageEntry("pages/performance.py", N_("Performance"), "🏆", N_("Results"), EVERYONE),
    PageEntry(
        "pages/alerts.py", N_("Alerts"), "🚨", N_("Results"), EVERYONE, live_title=alerts_title
    ),
    PageEntry("pages/organisation.py", N_("Organisation"), "🏛️", N_("Administration"), MANAGEMENT),
    PageEntry("pages/stages.py", N_("Pipeline stages"), "🪜", N_("Administration"), ADMINS),
    PageEntry(
        "pages/exchange_rates.py", N_("Exchange rates"), "💱", N_("Administration"), MANAGEMENT
    ),
    PageEntry("pages/import.py", N_("Import and export"), "📥", N_("Administration"), LEADERS),
    PageEntry("pages/audit.py", N_("Audit log"), "📜", N_("Administration"), MANAGEMENT),
    PageEntry("pages/digests.py", N_("Email digests"), "📧", N_("Administration"), MANAGEMENT),
    PageEntry("pages/account.py", N_("My account"), "👤", N_("Me"), EVERYONE),
]
"""Sections appear in the order of their first page."""


def pages_for(role: Role, actor: Actor | None = None) -> dict[str, list]:
    sections: dict[str, list] = {}
    has_own_home = any(role in entry.home_for for entry in PAGES)
    for entry in PAGES:
        if role in entry.roles:
            title = _(entry.title)
            if entry.live_title is not None and actor is not None:
                title = entry.live_title(actor)
            home = role in entry.home_for or (entry.default and not has_own_home)
            page = st.Page(entry.path, title=title, icon=entry.icon, default=home)
            sections.setdefault(_(entry.section) if entry.section else "", []).append(page)
    return sections
