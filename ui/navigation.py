"""Which pages each role sees, by section. One row per page; app.py builds st.navigation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

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
    PageEntry("pages/my_day.py", "My day", "☀️", "", DEAL_OWNERS, home_for=frozenset({Role.REP})),
    PageEntry("pages/home.py", "Home", "🏠", "", EVERYONE, default=True),
    PageEntry("pages/customers.py", "Customers", "🏢", "Sales", EVERYONE),
    PageEntry("pages/my_deals.py", "My deals", "💼", "Sales", DEAL_OWNERS),
    PageEntry("pages/pipeline.py", "Pipeline", "📊", "Sales", LEADERS),
    PageEntry("pages/reviews.py", "Pipeline reviews", "🗓️", "Sales", EVERYONE),
    PageEntry("pages/targets.py", "Targets", "📋", "Planning", EVERYONE),
    PageEntry("pages/attainment.py", "Attainment & forecast", "🎯", "Results", EVERYONE),
    PageEntry("pages/performance.py", "Performance", "🏆", "Results", EVERYONE),
    PageEntry("pages/alerts.py", "Alerts", "🚨", "Results", EVERYONE, live_title=alerts_title),
    PageEntry("pages/organisation.py", "Organisation", "🏛️", "Administration", MANAGEMENT),
    PageEntry("pages/stages.py", "Pipeline stages", "🪜", "Administration", ADMINS),
    PageEntry("pages/exchange_rates.py", "Exchange rates", "💱", "Administration", MANAGEMENT),
    PageEntry("pages/import.py", "Import and export", "📥", "Administration", LEADERS),
    PageEntry("pages/audit.py", "Audit log", "📜", "Administration", MANAGEMENT),
    PageEntry("pages/account.py", "My account", "👤", "Me", EVERYONE),
]
"""Sections appear in the order of their first page."""


def pages_for(role: Role, actor: Actor | None = None) -> dict[str, list]:
    sections: dict[str, list] = {}
    has_own_home = any(role in entry.home_for for entry in PAGES)
    for entry in PAGES:
        if role in entry.roles:
            title = entry.title
            if entry.live_title is not None and actor is not None:
                title = entry.live_title(actor)
            home = role in entry.home_for or (entry.default and not has_own_home)
            page = st.Page(entry.path, title=title, icon=entry.icon, default=home)
            sections.setdefault(entry.section, []).append(page)
    return sections
