"""How figures look on screen."""

from __future__ import annotations

from decimal import Decimal


def money(value: Decimal | None) -> str:
    """Whole currency units with thousands separators; a dash when there is no figure."""
    if value is None:
        return "–"
    return f"{value:,.0f}"


def percent(value: Decimal | None) -> str:
    if value is None:
        return "–"
    return f"{value * 100:.1f}%"
