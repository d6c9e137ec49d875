"""Money as the figures hold it: Decimal with cents."""

from __future__ import annotations

from decimal import Decimal

CENT = Decimal("0.01")
ZERO = Decimal(0)


def money(value: object) -> Decimal:
    """An SQL sum as money with cents (None, an empty sum, is zero)."""
    return Decimal(value or 0).quantize(CENT)  # type: ignore[arg-type]
