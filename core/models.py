"""Pydantic models that cross the core boundary: the acting user, periods and report rows.

Pages and the CLI receive these (or DataFrames), never ORM objects.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from core.errors import ValidationFailed
from core.i18n import _
from db.schema import (
    ActivityType,
    CashStatus,
    CustomerStatus,
    DealStatus,
    ForecastCategory,
    Measure,
    PlanStatus,
    Role,
)

__all__ = [
    "ActivityType",
    "Actor",
    "CashStatus",
    "CustomerStatus",
    "DealStatus",
    "ForecastCategory",
    "Measure",
    "Money",
    "Period",
    "PlanStatus",
    "Role",
    "ScopeFigures",
    "BreakdownRow",
]

Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
"""A non-negative amount of money with cents."""

MAX_MONEY = Decimal("999999999999.99")
"""The largest amount a money column (14 digits, 2 of them cents) holds."""

COUNT_MEASURES = frozenset({Measure.UNITS, Measure.VISITS, Measure.DEALS_CREATED})
"""Measures that count things: their targets are whole numbers, never money."""


def measure_of(value: object) -> Measure:
    """A measure by name (revenue, units, visits, deals_created); anything else is refused."""
    try:
        return Measure(str(value or Measure.REVENUE).strip().lower())
    except ValueError:
        names = ", ".join(m.value for m in Measure)
        raise ValidationFailed(
            _("Unknown measure '{value}': choose one of {names}.").format(value=value, names=names)
        ) from None


def to_amount(value: object, what: str) -> Decimal:
    """`value` (Decimal, int, float or text) as a non-negative, finite amount that fits a money
    column; anything else is refused with a message naming `what`."""
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        if isinstance(value, float):
            amount = Decimal(repr(value))
        elif isinstance(value, (Decimal, int)):
            amount = Decimal(value)
        else:
            amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationFailed(
            _("{what} must be a plain number like 1234.50 (got {value!r}).").format(
                what=what, value=value
            )
        ) from None
    if not amount.is_finite():
        raise ValidationFailed(
            _("{what} must be a finite number (got {value}).").format(what=what, value=value)
        )
    if amount < 0:
        raise ValidationFailed(
            _("{what} must be zero or more (got {value}).").format(what=what, value=value)
        )
    if amount > MAX_MONEY:
        raise ValidationFailed(
            _("{what} is too large (at most {MAX_MONEY:,}).").format(what=what, MAX_MONEY=MAX_MONEY)
        )
    return amount


class Actor(BaseModel):
    """The signed-in person a service acts for, with the regions they may act in.

    `scope_region_ids` is None for directors and admins (everywhere); for a manager it is the
    subtree of the regions they manage; for a rep, their own region (they act on own records).
    """

    model_config = ConfigDict(frozen=True)

    id: int | None
    name: str
    username: str
    role: Role
    region_id: int | None = None
    scope_region_ids: frozenset[int] | None = None
    active: bool = True
    language: str | None = None
    """The language this person chose on My account (None: the company default)."""

    @property
    def sees_everything(self) -> bool:
        return self.role in (Role.DIRECTOR, Role.ADMIN)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.username})"


class Period(BaseModel):
    """A reporting period: an ISO week, a month, a fiscal quarter or a fiscal year, inclusive
    dates."""

    model_config = ConfigDict(frozen=True)

    label: str
    kind: str  # "week" | "month" | "quarter" | "year"
    start: date
    end: date
    fiscal_year: int

    def months(self) -> list[date]:
        """The first day of every month in the period."""
        out, current = [], self.start
        while current <= self.end:
            out.append(current.replace(day=1))
            current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
        return out


class ScopeFigures(BaseModel):
    """Headline figures of one scope (company, a region subtree or a rep) for a period."""

    scope: str
    period: str
    target: Decimal | None
    won: Decimal
    attainment: Decimal | None
    open_pipeline: Decimal
    weighted_pipeline: Decimal
    open_deals: int
    won_deals: int
    overdue: Decimal = Decimal(0)
    overdue_deals: int = 0
    ended: bool = False


class BreakdownRow(BaseModel):
    """Target and won of one part of a scope (a region, a rep or a month)."""

    key: str
    label: str
    target: Decimal | None
    won: Decimal
    attainment: Decimal | None
    expected_to_date: Decimal | None = None
