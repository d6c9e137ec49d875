"""Which pages each role sees, by section. One row per page; app.py builds st.navigation."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core.models import Role

EVERYONE = frozenset(Role)
LEADERS = frozenset({Role.MANAGER, Role.DIRECTOR, Role.ADMIN})
MANAGEMENT = frozenset({Role.DIRECTOR, Role.ADMIN})


@dataclass(frozen=True)
class PageEntry:
    path: str
    title: str
    icon: str
    section: str
    roles: frozenset[Role]
    default: bool = False


PAGES: list[PageEntry] = [
    PageEntry("pages/home.py", "Home", "🏠", "", EVERYONE, default=True),
    PageEntry("pages/import.py", "Import and export", "📥", "Administration", LEADERS),
    PageEntry("pages/audit.py", "Audit log", "📜", "Administration", MANAGEMENT),
    PageEntry("pages/account.py", "My account", "👤", "Me", EVERYONE),
]
"""Sections appear in the order of their first page."""


def pages_for(role: Role) -> dict[str, list]:
    sections: dict[str, list] = {}
    for entry in PAGES:
        if role in entry.roles:
            page = st.Page(entry.path, title=entry.title, icon=entry.icon, default=entry.default)
            sections.setdefault(entry.section, []).append(page)
    return sections
