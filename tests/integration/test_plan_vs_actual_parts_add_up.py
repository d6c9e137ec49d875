"""Plan vs actual: the implied targets of segments, industries and product lines add up to the
cent to the company's plan target, each within a cent of its exact share of last year's wins
(recomputed here from the deals with pandas)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pandas as pd
import pytest
from sqlalchemy import select

from core.org.company import fiscal_start_month
from core.performance import plan_vs_actual as review
from core.periods import fiscal_quarter, month
from db.schema import Customer, Deal, Person, Product
from tests import factories
from tests.attainment_books import priced
from tests.conftest import SEED_TODAY

CENT = Fraction(1, 100)


def _director(session):
    return factories.actor(
        session, session.scalar(select(Person).where(Person.username == "director"))
    )


def _won_by(session, period, dimension: str) -> dict:
    """Won amount a year before `period` per segment, industry or product line, by pandas
    (each deal once, in the company currency: tests/attainment_books converts it)."""
    frame = pd.DataFrame(
        session.execute(
            select(
                Customer.segment,
                Customer.industry,
                Product.product_line,
                Deal.id,
                Deal.amount,
                Deal.currency,
                Deal.status,
                Deal.closed_on,
            )
            .join(Customer, Customer.id == Deal.customer_id)
            .outerjoin(Product, Product.id == Deal.product_id)
            .where(Deal.status == "won", Deal.closed_on.between(period.start, period.end))
        ).all(),
        columns=[
            "segment", "industry", "product_line", "id", "amount", "currency", "status", "closed_on"
        ],
    )
    frame = priced(session, frame)
    totals: dict = {}
    for key, amount in zip(frame[dimension], frame["amount"]):
        key = None if pd.isna(key) else key
        totals[key] = totals.get(key, Fraction(0)) + Fraction(Decimal(amount))
    return totals


def _closed_periods():
    year = SEED_TODAY.year - 1
    quarters = [fiscal_quarter(year, q) for q in (1, 2, 3, 4)]
    months = [month(year, m) for m in range(1, 13)]
    return quarters + months


@pytest.mark.parametrize("dimension", ["segment", "industry", "product_line"])
def test_implied_targets_add_up_exactly_to_the_company_target(session, dimension):
    director = _director(session)
    checked = 0
    for period in _closed_periods():
        regions = review.plan_vs_actual(session, director, period, "region", today=SEED_TODAY)
        company = sum((r.target for r in regions if r.target is not None), Decimal(0))
        if not company:
            continue
        parts = review.plan_vs_actual(session, director, period, dimension, today=SEED_TODAY)
        before = review.year_before(period, fiscal_start_month(session))
        history = _won_by(session, before, dimension)
        history_total = sum(history.values(), Fraction(0))
        if not history_total:
            continue
        implied = [r for r in parts if r.target is not None]
        assert sum(r.target for r in implied) == company, period.label
        for row in implied:
            key = None if row.label == "(none)" else row.label
            exact = Fraction(company) * history.get(key, Fraction(0)) / history_total
            assert abs(Fraction(row.target) - exact) < CENT, (period.label, row.label)
            assert row.target == row.target.quantize(Decimal("0.01"))
        checked += 1
    assert checked >= 8, "the seeded history should give most closed periods an implied target"


def test_implied_targets_round_by_largest_remainder_to_the_cent():
    # thirds of 100.00: 33.34 + 33.33 + 33.33 (the first of equal remainders gets the cent)
    shares = review.implied_targets(Decimal("100.00"), {"a": Decimal(1), "b": 1, "c": 1})
    assert shares == {"a": Decimal("33.34"), "b": Decimal("33.33"), "c": Decimal("33.33")}
    # a part with no wins a year ago is implied no target
    shares = review.implied_targets(Decimal(10), {"x": Decimal(2), "y": Decimal(0)})
    assert shares == {"x": Decimal("10.00"), "y": Decimal("0.00")}
