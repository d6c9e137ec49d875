"""core.models.to_amount: what a form, a CLI or an upload may give as an amount of money."""

from decimal import Decimal

import pytest

from core.errors import ValidationFailed
from core.models import MAX_MONEY, to_amount


@pytest.mark.parametrize(
    "value,expected",
    [
        ("1234.50", Decimal("1234.50")),
        (0, Decimal(0)),
        (0.1, Decimal("0.1")),
        (Decimal("999999999999.99"), MAX_MONEY),
        (" 12 ", Decimal(12)),
    ],
)
def test_plain_amounts_are_accepted_exactly(value, expected):
    assert to_amount(value, "The amount") == expected


@pytest.mark.parametrize(
    "value,message",
    [
        ("1,000.00", "plain number"),
        ("NaN", "finite"),
        (float("inf"), "finite"),
        ("-0.01", "zero or more"),
        (-5, "zero or more"),
        ("1e308", "too large"),
        (10**13, "too large"),
        (None, "plain number"),
        (True, "plain number"),
        ("=1+1", "plain number"),
        ("", "plain number"),
    ],
)
def test_anything_else_is_refused_naming_the_field(value, message):
    with pytest.raises(ValidationFailed, match=f"The amount.*{message}"):
        to_amount(value, "The amount")
