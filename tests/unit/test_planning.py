"""Quota planning arithmetic: allocation, seasonality, ramp, weighting methods and capacity.

Expected values are worked out by hand or by independent reference computations in this file
(exact fractions), never copied from the code under test.

Tie-breaking rule under test: when two shares have the same fractional remainder, the key that
comes first (mapping order for `allocate`, column order for the vectorised functions) gets the
leftover unit.
"""

from __future__ import annotations

import math
import re
from datetime import date
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import DomainError
from core.planning import (
    DEFAULT_RAMP,
    Method,
    PlanningError,
    RampResult,
    allocate,
    allocate_rows,
    allocate_units,
    apply_ramp,
    flat_profile,
    history_profile,
    manual_profile,
    padded,
    ramp_factors,
    reps_needed,
    spread_over_months,
    weights_for,
)

D = Decimal
FAST = settings(max_examples=150, deadline=None)
UNITS = [D("1"), D("0.01"), D("5"), D("0.5"), D("25")]

keys_st = st.lists(
    st.one_of(st.text(min_size=1, max_size=3), st.integers(-50, 50)), unique=True, max_size=7
)


@st.composite
def weighted_requests(draw, min_keys: int = 0):
    """(total, weights, unit) with integer weights, at least one positive when keys exist."""
    keys = draw(keys_st.filter(lambda ks: len(ks) >= min_keys))
    weights = {k: draw(st.integers(0, 1000)) for k in keys}
    if keys and not any(weights.values()):
        weights[keys[0]] = draw(st.integers(1, 1000))
    unit = draw(st.sampled_from(UNITS))
    total_units = draw(st.integers(0, 10**6)) if keys else 0
    return D(total_units) * unit, weights, unit


def exact_shares(total_units: int, weights: dict) -> dict:
    weight_sum = sum(Fraction(w) for w in weights.values())
    return {k: Fraction(total_units) * Fraction(w) / weight_sum for k, w in weights.items()}


def water_level_reference(amount: int, weights: dict, floors: dict, caps: dict) -> dict:
    """Independent exact solution x_k = clamp(level * w_k, floor_k, cap_k) with sum(x) = amount.

    Found by scanning the breakpoints of the piecewise-linear total, not by iterative clamping.
    """

    def bounds(k):
        return Fraction(floors.get(k, 0)), caps.get(k)

    def x(k, level):
        low, high = bounds(k)
        value = max(low, level * weights[k])
        return value if high is None else min(value, Fraction(high))

    def total(level):
        return sum(x(k, level) for k in weights)

    points = {Fraction(0)}
    for k, w in weights.items():
        if w > 0:
            low, high = bounds(k)
            points.add(low / w)
            if high is not None:
                points.add(Fraction(high) / w)
    points = sorted(points)
    level = None
    for left, right in zip(points, points[1:], strict=False):
        if total(left) <= amount <= total(right):
            slope = (total(right) - total(left)) / (right - left)
            level = left if slope == 0 else left + (amount - total(left)) / slope
            break
    if level is None and amount == total(points[-1]):
        level = points[-1]
    if level is None:
        last = points[-1]
        slope = sum(
            Fraction(w)
            for k, w in weights.items()
            if caps.get(k) is None and w > 0 and last * w >= floors.get(k, 0)
        )
        level = last + (amount - total(last)) / slope
    result = {k: x(k, level) for k in weights}
    assert sum(result.values()) == amount
    return result


@st.composite
def bounded_requests(draw):
    """Feasible requests with floors and caps, all in whole units of a drawn unit."""
    n = draw(st.integers(1, 6))
    keys = [f"rep{i}" for i in range(n)]
    weights = {k: draw(st.integers(0, 50)) for k in keys}
    if not any(weights.values()):
        weights[keys[0]] = draw(st.integers(1, 50))
    floors, caps = {}, {}
    for k in keys:
        if draw(st.booleans()):
            floors[k] = draw(st.integers(0, 300))
        if draw(st.booleans()):
            caps[k] = floors.get(k, 0) + draw(st.integers(0, 300))
    minimum = sum(floors.values())
    if all(k in caps for k in keys if weights[k] > 0):
        maximum = sum(caps[k] if weights[k] > 0 else floors.get(k, 0) for k in keys)
    else:
        maximum = minimum + 5000
    amount = draw(st.integers(minimum, maximum))
    unit = draw(st.sampled_from(UNITS))
    return amount, weights, floors, caps, unit


# --------------------------------------------------------------------------- allocate: examples


def test_three_equal_weights_split_100_as_34_33_33_with_the_first_key_taking_the_tie():
    assert allocate(D(100), {"a": 1, "b": 1, "c": 1}) == {"a": D(34), "b": D(33), "c": D(33)}


def test_ties_go_to_the_earlier_key_in_mapping_order_not_alphabetical_order():
    assert allocate(D(1), {"z": 1, "a": 1}) == {"z": D(1), "a": D(0)}
    assert allocate(D(2), {"z": 1, "m": 1, "a": 1}) == {"z": D(1), "m": D(1), "a": D(0)}


def test_leftover_units_go_to_the_largest_fractional_remainders():
    # 10 x 1/7, 2/7, 4/7 = 1.43, 2.86, 5.71 -> floors 1, 2, 5 (8); two units left go to
    # the remainders .86 (b) and .71 (c), not to .43 (a).
    assert allocate(D(10), {"a": 1, "b": 2, "c": 4}) == {"a": D(1), "b": D(3), "c": D(6)}


def test_a_cent_unit_splits_one_euro_as_34_33_33_cents():
    result = allocate(D("1.00"), {"a": 1, "b": 1, "c": 1}, unit=D("0.01"))
    assert result == {"a": D("0.34"), "b": D("0.33"), "c": D("0.33")}


def test_a_unit_of_five_gives_multiples_of_five():
    # 100 = 20 units of 5; 20/3 = 6.67 each -> 6, 6, 6 + two leftover units to a and b.
    assert allocate(D(100), {"a": 1, "b": 1, "c": 1}, unit=D(5)) == {
        "a": D(35),
        "b": D(35),
        "c": D(30),
    }


def test_float_weights_are_read_as_their_decimal_value_so_exact_ties_stay_ties():
    # 0.1 and 0.3 -> 2.5 and 7.5: a genuine tie, so the first key gets the leftover unit.
    assert allocate(D(10), {"a": 0.1, "b": 0.3}) == {"a": D(3), "b": D(7)}


def test_a_key_with_zero_weight_gets_nothing():
    assert allocate(D(10), {"a": 0, "b": 1}) == {"a": D(0), "b": D(10)}


def test_results_are_decimals():
    result = allocate(D(7), {"a": 1, "b": 2})
    assert all(type(v) is Decimal for v in result.values())


def test_empty_weights_with_a_zero_total_give_an_empty_allocation():
    assert allocate(D(0), {}) == {}


def test_locked_key_gets_exactly_its_amount_and_the_rest_is_shared_by_weight():
    # 500 left for b:c = 1:2 -> 166.67, 333.33 -> 166, 333 + one unit to b (.67 > .33).
    result = allocate(D(1000), {"a": 1, "b": 1, "c": 2}, locked={"a": D(500)})
    assert result == {"a": D(500), "b": D(167), "c": D(333)}


def test_a_floor_lifts_a_small_share_and_the_others_share_what_is_left():
    # 100, 100, 800 -> a lifted to 200; 800 left for b:c = 1:8 -> 88.9, 711.1 -> 89, 711.
    result = allocate(D(1000), {"a": 1, "b": 1, "c": 8}, floor={"a": D(200)})
    assert result == {"a": D(200), "b": D(89), "c": D(711)}


def test_a_cap_trims_a_large_share_and_the_excess_goes_to_the_others():
    result = allocate(D(1000), {"a": 1, "b": 1, "c": 8}, cap={"c": D(500)})
    assert result == {"a": D(250), "b": D(250), "c": D(500)}


def test_caps_cascade_when_re_sharing_pushes_another_key_over_its_cap():
    # 600, 200, 100 -> a capped at 300; 600 left for b:c = 2:1 -> 400, 200 -> b capped at 300.
    result = allocate(D(900), {"a": 6, "b": 2, "c": 1}, cap={"a": D(300), "b": D(300)})
    assert result == {"a": D(300), "b": D(300), "c": D(300)}


def test_a_floor_that_is_met_after_re_sharing_a_capped_excess_is_not_clamped():
    # First pass 100, 100, 1000: a is 20 below its floor, c 100 above its cap. Capping c frees
    # 100, which lifts a and b to 150 each: above a's floor, so a must stay proportional.
    result = allocate(D(1200), {"a": 1, "b": 1, "c": 10}, floor={"a": D(120)}, cap={"c": D(900)})
    assert result == {"a": D(150), "b": D(150), "c": D(900)}


def test_floors_that_are_not_multiples_of_the_unit_are_rounded_up():
    assert allocate(D(100), {"a": 1, "b": 99}, floor={"a": D("10.5")}) == {
        "a": D(11),
        "b": D(89),
    }


def test_caps_that_are_not_multiples_of_the_unit_are_rounded_down():
    assert allocate(D(100), {"a": 1, "b": 1}, cap={"a": D("40.5")}) == {"a": D(40), "b": D(60)}


def test_a_zero_weight_key_with_a_floor_gets_its_floor():
    assert allocate(D(100), {"a": 0, "b": 1}, floor={"a": D(30)}) == {"a": D(30), "b": D(70)}


def test_every_key_locked_to_the_exact_total_is_accepted():
    assert allocate(D(10), {"a": 1, "b": 1}, locked={"a": D(4), "b": D(6)}) == {
        "a": D(4),
        "b": D(6),
    }


# --------------------------------------------------------------------------- allocate: errors


def test_planning_error_is_a_value_error_and_a_domain_error():
    assert issubclass(PlanningError, ValueError)
    assert issubclass(PlanningError, DomainError)


def test_locked_amounts_above_the_total_are_refused_with_both_figures():
    with pytest.raises(PlanningError) as caught:
        allocate(D(1000), {"a": 1, "b": 1}, locked={"a": D(700), "b": D(500)})
    assert str(caught.value) == "Locked amounts (1,200) exceed the total to allocate (1,000)."


@pytest.mark.parametrize(
    ("kwargs", "cause"),
    [
        ({"total": D("10.5"), "weights": {"a": 1}}, "not a multiple of the rounding unit"),
        ({"total": D(-5), "weights": {"a": 1}}, "cannot be negative"),
        ({"total": D(10), "weights": {"a": 1}, "unit": D(0)}, "rounding unit must be positive"),
        ({"total": D(10), "weights": {"a": 1, "b": -2}}, "Weight for 'b' is negative"),
        ({"total": D(10), "weights": {"a": 0, "b": 0}}, "zero weight"),
        ({"total": D(10), "weights": {}}, "no keys to allocate"),
        (
            {"total": D(10), "weights": {"a": 1}, "locked": {"x": D(1)}},
            "Locked key 'x' is not among the keys",
        ),
        (
            {"total": D(10), "weights": {"a": 1}, "floor": {"x": D(1)}},
            "Floor key 'x' is not among the keys",
        ),
        (
            {"total": D(10), "weights": {"a": 1}, "cap": {"x": D(1)}},
            "Cap key 'x' is not among the keys",
        ),
        (
            {"total": D(100), "weights": {"a": 1, "b": 1}, "floor": {"a": D(60), "b": D(50)}},
            "Floors (110) exceed the total to allocate (100)",
        ),
        (
            {
                "total": D(100),
                "weights": {"a": 1, "b": 1, "c": 1},
                "floor": {"a": D(40), "b": D(40)},
                "locked": {"c": D(30)},
            },
            "Floors (80) plus locked amounts (30) exceed the total to allocate (100)",
        ),
        (
            {"total": D(100), "weights": {"a": 1, "b": 1}, "cap": {"a": D(30), "b": D(30)}},
            "Caps (60) fall short of the total to allocate (100) and every unlocked key is capped",
        ),
        (
            {
                "total": D(100),
                "weights": {"a": 1, "b": 1, "c": 1},
                "cap": {"a": D(30), "b": D(30)},
                "locked": {"c": D(10)},
            },
            "Caps (60) plus locked amounts (10) fall short",
        ),
        (
            {"total": D(100), "weights": {"a": 1}, "floor": {"a": D(50)}, "cap": {"a": D(40)}},
            "Floor for 'a' (50) is above its cap (40)",
        ),
        (
            {
                "total": D(100),
                "weights": {"a": 1, "b": 1},
                "floor": {"a": D("40.2")},
                "cap": {"a": D("40.8")},
            },
            "leave no multiple of the rounding unit",
        ),
        (
            {"total": D(100), "weights": {"a": 1, "b": 1}, "locked": {"a": D(-1)}},
            "Locked amount for 'a' cannot be negative",
        ),
        (
            {"total": D(100), "weights": {"a": 1, "b": 1}, "locked": {"a": D("0.5")}},
            "Locked amount for 'a' (0.5) is not a multiple",
        ),
        (
            {"total": D(100), "weights": {"a": 1, "b": 1}, "floor": {"a": D(-1)}},
            "Floor for 'a' cannot be negative",
        ),
        (
            {"total": D(100), "weights": {"a": 1, "b": 1}, "cap": {"a": D(-1)}},
            "Cap for 'a' cannot be negative",
        ),
        (
            {"total": D(100), "weights": {"a": 1}, "locked": {"a": D(90)}},
            "Every key is locked, but the locked amounts (90) fall short",
        ),
        (
            {"total": D(100), "weights": {"a": 1, "b": 1}, "locked": {"a": 5}, "floor": {"a": 10}},
            "Locked amount for 'a' (5) is below its floor (10)",
        ),
        (
            {"total": D(100), "weights": {"a": 1, "b": 1}, "locked": {"a": 50}, "cap": {"a": 40}},
            "Locked amount for 'a' (50) is above its cap (40)",
        ),
        (
            {"total": D(100), "weights": {"a": 1, "b": 0}, "cap": {"a": D(60)}},
            "Every key with a positive weight is at its cap",
        ),
        ({"total": D(10), "weights": {"a": float("nan")}}, "Weight for 'a' must be a finite"),
        ({"total": D(10), "weights": {"a": "3"}}, "Weight for 'a' must be a number"),
    ],
)
def test_impossible_requests_raise_a_planning_error_naming_the_cause(kwargs, cause):
    with pytest.raises(PlanningError, match=re.escape(cause)):
        allocate(**kwargs)


# --------------------------------------------------------------------------- allocate: properties


@FAST
@given(weighted_requests())
def test_allocation_sums_exactly_to_the_total_in_multiples_of_the_unit(request):
    total, weights, unit = request
    result = allocate(total, weights, unit=unit)
    assert sum(result.values(), D(0)) == total
    assert all(amount % unit == 0 and amount >= 0 for amount in result.values())


@FAST
@given(weighted_requests())
def test_allocation_keeps_the_keys_and_their_order(request):
    total, weights, unit = request
    assert list(allocate(total, weights, unit=unit)) == list(weights)


@FAST
@given(weighted_requests())
def test_each_amount_is_within_one_unit_of_its_exact_proportional_share(request):
    total, weights, unit = request
    result = allocate(total, weights, unit=unit)
    total_units = int(total / unit)
    for key, share in (exact_shares(total_units, weights) if weights else {}).items():
        got = Fraction(result[key]) / Fraction(unit)
        assert abs(got - share) < 1
        assert got in (math.floor(share), math.ceil(share))


@FAST
@given(weighted_requests(min_keys=2))
def test_leftover_units_follow_the_largest_remainder_rule_with_ties_to_the_earlier_key(request):
    total, weights, unit = request
    result = allocate(total, weights, unit=unit)
    shares = exact_shares(int(total / unit), weights)
    keys = list(weights)
    remainders = {k: shares[k] - math.floor(shares[k]) for k in keys}
    bumped = [k for k in keys if Fraction(result[k]) / Fraction(unit) > math.floor(shares[k])]
    passed_over = [k for k in keys if k not in bumped and remainders[k] > 0]
    for winner in bumped:
        for loser in passed_over:
            assert remainders[winner] > remainders[loser] or (
                remainders[winner] == remainders[loser] and keys.index(winner) < keys.index(loser)
            )


@FAST
@given(weighted_requests(), st.integers(1, 7))
def test_allocation_is_deterministic_and_unchanged_by_scaling_all_weights(request, factor):
    total, weights, unit = request
    first = allocate(total, weights, unit=unit)
    assert allocate(total, weights, unit=unit) == first
    assert allocate(total, {k: w * factor for k, w in weights.items()}, unit=unit) == first


@FAST
@given(bounded_requests())
def test_floors_and_caps_are_honoured_and_the_rest_is_water_filled(request):
    amount, weights, floors, caps, unit = request
    result = allocate(
        D(amount) * unit,
        weights,
        floor={k: D(v) * unit for k, v in floors.items()},
        cap={k: D(v) * unit for k, v in caps.items()},
        unit=unit,
    )
    assert sum(result.values(), D(0)) == D(amount) * unit
    reference = water_level_reference(amount, weights, floors, caps)
    for key, value in result.items():
        units = Fraction(value) / Fraction(unit)
        assert units.denominator == 1
        assert units >= floors.get(key, 0)
        assert key not in caps or units <= caps[key]
        assert abs(units - reference[key]) < 1


@FAST
@given(weighted_requests(min_keys=2), st.data())
def test_locked_keys_get_exactly_their_amount_and_the_others_share_the_rest(request, data):
    total, weights, unit = request
    total_units = int(total / unit)
    keys = list(weights)
    locked_keys = data.draw(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys) - 1))
    free = {k: w for k, w in weights.items() if k not in locked_keys}
    if not any(free.values()):
        free[next(iter(free))] = 1
        weights = {**weights, **free}
    locked_units = {}
    budget = total_units
    for k in locked_keys:
        locked_units[k] = data.draw(st.integers(0, budget))
        budget -= locked_units[k]
    result = allocate(
        total, weights, locked={k: D(v) * unit for k, v in locked_units.items()}, unit=unit
    )
    assert sum(result.values(), D(0)) == total
    for k, v in locked_units.items():
        assert result[k] == D(v) * unit
    for k, share in exact_shares(budget, free).items():
        assert abs(Fraction(result[k]) / Fraction(unit) - share) < 1


@FAST
@given(weighted_requests(min_keys=1), st.data())
def test_a_negative_weight_is_refused_naming_its_key(request, data):
    total, weights, unit = request
    key = data.draw(st.sampled_from(list(weights)))
    weights[key] = -data.draw(st.integers(1, 100))
    with pytest.raises(PlanningError, match=re.escape(f"Weight for {key!r} is negative")):
        allocate(total, weights, unit=unit)


@FAST
@given(weighted_requests(min_keys=1))
def test_a_total_between_two_multiples_of_the_unit_is_refused(request):
    total, weights, unit = request
    with pytest.raises(PlanningError, match="is not a multiple of the rounding unit"):
        allocate(total + unit / 2, weights, unit=unit)


@FAST
@given(weighted_requests(min_keys=1), st.integers(1, 1000))
def test_locking_more_than_the_total_is_refused(request, excess_units):
    total, weights, unit = request
    key = next(iter(weights))
    with pytest.raises(PlanningError, match="exceed the total to allocate"):
        allocate(total, weights, locked={key: total + excess_units * unit}, unit=unit)


# --------------------------------------------------------------------------- many rows


def test_rows_are_split_like_single_allocations_with_ties_to_the_earlier_column():
    result = allocate_rows([D(100), D(10), D(0)], np.array([[1, 1, 1], [1, 2, 4], [0, 0, 0]]))
    assert result.dtype == np.int64
    assert result.tolist() == [[34, 33, 33], [1, 3, 6], [0, 0, 0]]


def test_rows_in_cents_are_returned_as_whole_cents():
    result = allocate_rows([D("1.00"), D("0.05")], np.array([1.0, 1.0, 1.0]), unit=D("0.01"))
    assert result.tolist() == [[34, 33, 33], [2, 2, 1]]


@pytest.mark.parametrize(
    ("totals", "weights", "cause"),
    [
        ([D(-1)], np.array([[1, 1]]), "total for row 0 cannot be negative"),
        ([D(5)], np.array([[0, 0]]), "every weight is zero"),
        ([D(5)], np.array([[1, -1]]), "negative"),
        ([D(5), D(5)], np.array([[1, 1]]), "one row per total"),
        ([D("5.5")], np.array([[1, 1]]), "not a multiple of the rounding unit"),
        ([D(5)], np.array([[1.0, np.inf]]), "finite"),
    ],
)
def test_impossible_row_requests_raise_a_planning_error_naming_the_cause(totals, weights, cause):
    with pytest.raises(PlanningError, match=cause):
        allocate_rows(totals, weights)


row_st = st.lists(st.integers(0, 500), min_size=1, max_size=12)


@FAST
@given(
    st.integers(1, 12).flatmap(
        lambda cols: st.lists(
            st.tuples(
                st.integers(0, 10**7), st.lists(st.integers(0, 500), min_size=cols, max_size=cols)
            ),
            min_size=1,
            max_size=20,
        )
    )
)
def test_integer_weighted_rows_match_the_exact_single_allocation(rows):
    rows = [(t, w if any(w) else [1] * len(w)) for t, w in rows]
    result = allocate_units(np.array([t for t, _ in rows]), np.array([w for _, w in rows]))
    for (total, weights), got in zip(rows, result.tolist(), strict=True):
        expected = allocate(D(total), dict(enumerate(weights)))
        assert got == [int(v) for v in expected.values()]


@FAST
@given(
    st.integers(1, 12).flatmap(
        lambda cols: st.lists(
            st.tuples(
                st.integers(0, 10**9),
                st.lists(
                    st.one_of(st.just(0.0), st.floats(1e-6, 1e6)), min_size=cols, max_size=cols
                ),
            ),
            min_size=1,
            max_size=20,
        )
    )
)
def test_float_weighted_rows_sum_exactly_and_stay_within_one_unit_of_their_share(rows):
    rows = [(t, w if any(w) else [1.0] * len(w)) for t, w in rows]
    weights = np.array([w for _, w in rows])
    result = allocate_units(np.array([t for t, _ in rows]), weights)
    for (total, row_weights), got in zip(rows, result.tolist(), strict=True):
        assert sum(got) == total
        weight_sum = sum(Fraction(w) for w in row_weights)
        for amount, weight in zip(got, row_weights, strict=True):
            share = Fraction(total) * Fraction(weight) / weight_sum
            assert amount >= 0
            assert abs(amount - share) < 1 + Fraction(1, 10**6)
            if weight == 0:
                assert amount == 0


def test_integer_weights_too_large_for_exact_int64_arithmetic_still_sum_exactly():
    totals = np.array([10**12, 7 * 10**11 + 3])
    weights = np.array([[10**9, 3 * 10**9, 1], [5, 5, 5]], dtype=np.int64)
    result = allocate_units(totals, weights)
    assert result.sum(axis=1).tolist() == totals.tolist()
    # Second row: three equal weights -> 233,333,333,334.33 each: one leftover unit to column 0.
    assert result[1].tolist() == [233333333335, 233333333334, 233333333334]


def test_a_flat_profile_spreads_100_as_four_nines_then_eight_eights():
    # 100 / 12 = 8.33: 12 x 8 = 96, the 4 leftover units go to the first four months (ties).
    result = spread_over_months({"ann": D(100), "bob": D(1200)}, flat_profile())
    assert result == {"ann": [D(9)] * 4 + [D(8)] * 8, "bob": [D(100)] * 12}


def test_a_history_profile_spreads_by_each_months_share_of_won_revenue():
    profile = history_profile({1: D(100), 2: D(300)})
    result = spread_over_months({"ann": D(1000)}, profile)
    assert result == {"ann": [D(250), D(750)] + [D(0)] * 10}


def test_spreading_in_cents_keeps_each_rep_exact_to_the_cent():
    result = spread_over_months({"ann": D("1000.00")}, flat_profile(), unit=D("0.01"))
    # 100000 cents / 12 = 8333.33: four months get 83.34, eight get 83.33.
    assert result["ann"] == [D("83.34")] * 4 + [D("83.33")] * 8


def test_spreading_over_an_all_zero_profile_is_refused():
    with pytest.raises(PlanningError, match="no month with a positive weight"):
        spread_over_months({"ann": D(100)}, [D(0)] * 12)


def test_spreading_a_negative_annual_target_is_refused_naming_the_rep():
    with pytest.raises(PlanningError, match="total for 'ann' cannot be negative"):
        spread_over_months({"ann": D(-100)}, flat_profile())


@FAST
@given(
    st.dictionaries(st.text(max_size=3), st.integers(0, 10**7), max_size=10),
    st.lists(st.integers(0, 20), min_size=12, max_size=12).filter(any),
)
def test_each_reps_months_add_up_to_the_annual_target_like_a_single_allocation(annual, profile):
    result = spread_over_months({k: D(v) for k, v in annual.items()}, [D(p) for p in profile])
    assert list(result) == list(annual)
    for rep, months in result.items():
        assert len(months) == 12
        assert sum(months, D(0)) == annual[rep]
        assert months == list(allocate(D(annual[rep]), dict(enumerate(profile))).values())


# --------------------------------------------------------------------------- seasonality


def test_the_flat_profile_has_twelve_equal_positive_weights():
    profile = flat_profile()
    assert len(profile) == 12
    assert len(set(profile)) == 1 and profile[0] > 0


def test_the_history_profile_is_each_months_share_of_won_revenue():
    profile = history_profile({3: D(50), 12: D(150)})
    assert profile == [D(0)] * 2 + [D("0.25")] + [D(0)] * 8 + [D("0.75")]


def test_the_history_profile_falls_back_to_flat_without_any_won_revenue():
    assert history_profile({}) == flat_profile()
    assert history_profile({1: D(0), 2: D(0)}) == flat_profile()


def test_history_shares_add_up_to_one_within_decimal_precision():
    profile = history_profile({m: D(1) for m in range(1, 13)})
    assert abs(sum(profile) - 1) < D("1e-26")


@pytest.mark.parametrize(
    ("won", "cause"),
    [({13: D(1)}, "Fiscal month 13 is not between 1 and 12"), ({2: D(-5)}, "month 2 is negative")],
)
def test_bad_history_is_refused_naming_the_month(won, cause):
    with pytest.raises(PlanningError, match=cause):
        history_profile(won)


def test_a_manual_profile_accepts_twelve_percentages_adding_up_to_100():
    percentages = [D("8.33")] * 11 + [D("8.37")]
    assert manual_profile(percentages) == percentages


def test_a_manual_profile_tolerates_a_hundredth_of_a_percent_and_float_input():
    assert sum(manual_profile([D("8.3337")] * 12)) == D("100.0044")
    assert len(manual_profile([100 / 12] * 12)) == 12


@pytest.mark.parametrize(
    ("percentages", "cause"),
    [
        ([D(10)] * 10, "exactly 12 monthly percentages \\(got 10\\)"),
        ([D(-10), D(30)] + [D(8)] * 10, "month 1 is negative"),
        ([D("8.33")] * 12, "add up to 99.96, not 100"),
        ([D(9)] * 12, "add up to 108, not 100"),
    ],
)
def test_a_manual_profile_that_does_not_add_up_is_refused_saying_why(percentages, cause):
    with pytest.raises(PlanningError, match=cause):
        manual_profile(percentages)


# --------------------------------------------------------------------------- ramp

PLAN_2024 = [date(2024, m, 1) for m in range(1, 13)]


def test_the_default_ramp_is_0_25_50_75_percent():
    assert tuple(DEFAULT_RAMP) == (D(0), D("0.25"), D("0.5"), D("0.75"))


def test_a_mid_year_hire_ramps_from_the_month_of_the_hire_date():
    factors = ramp_factors(date(2024, 3, 15), PLAN_2024)
    assert factors == [D(0), D(0), D(0), D("0.25"), D("0.5"), D("0.75")] + [D(1)] * 6


def test_a_hire_from_before_the_plan_year_is_part_way_through_the_ramp_in_january():
    # Hired November 2023: Nov = tenure 1, Dec = 2, Jan = 3 (50%), Feb = 4 (75%), then 100%.
    factors = ramp_factors(date(2023, 11, 10), PLAN_2024)
    assert factors == [D("0.5"), D("0.75")] + [D(1)] * 10


def test_a_custom_ramp_and_no_hire_date_are_supported():
    assert ramp_factors(date(2024, 11, 30), PLAN_2024, ramp=[D("0.5")]) == [D(0)] * 10 + [
        D("0.5"),
        D(1),
    ]
    assert ramp_factors(None, PLAN_2024) == [D(1)] * 12


def test_a_ramp_step_outside_0_to_1_is_refused():
    with pytest.raises(PlanningError, match="Ramp step 2 \\(1.5\\) is not between 0 and 1"):
        ramp_factors(date(2024, 1, 1), PLAN_2024, ramp=[D(0), D("1.5")])


MONTHLY = {"new": [D(100)] * 4, "old": [D(100)] * 4}
NEW_HIRE = {"new": [D(0), D("0.25"), D("0.5"), D(1)]}


def test_absorb_mode_simply_reduces_the_ramped_targets():
    result = apply_ramp(MONTHLY, NEW_HIRE, mode="absorb")
    assert isinstance(result, RampResult)
    assert result.targets == {"new": [D(0), D(25), D(50), D(100)], "old": [D(100)] * 4}
    assert result.shortfall == D(225)
    assert result.shortfall_by_key == {"new": D(225), "old": D(0)}


def test_spread_mode_reshares_the_shortfall_in_proportion_to_ramped_amounts():
    # Ramped cells: new 0, 25, 50, 100; old 100 x 4 (sum 575). 225 x cell / 575:
    # new 9.78, 19.57, 39.13; old 39.13 each -> floors 9 + 19 + 39 + 4 x 39 = 223; the two
    # leftover units go to the largest remainders, .78 (new m2) and .57 (new m3).
    result = apply_ramp(MONTHLY, NEW_HIRE, mode="spread")
    assert result.targets == {"new": [D(0), D(35), D(70), D(139)], "old": [D(139)] * 4}
    assert result.shortfall == D(225)
    assert result.shortfall_by_key == {"new": D(225), "old": D(0)}


def test_ramped_months_round_to_the_nearest_unit_with_halves_up():
    result = apply_ramp({"a": [D(10), D(10)]}, {"a": [D("0.25"), D("0.24")]}, mode="absorb")
    assert result.targets == {"a": [D(3), D(2)]}  # 2.5 -> 3, 2.4 -> 2
    assert result.shortfall == D(15)


@pytest.mark.parametrize(
    ("monthly", "factors", "mode", "cause"),
    [
        (MONTHLY, NEW_HIRE, "split", "Unknown ramp mode"),
        (MONTHLY, {"ghost": [D(1)] * 4}, "absorb", "'ghost', which has no monthly targets"),
        (MONTHLY, {"new": [D(1)] * 3}, "absorb", "4 monthly targets but 3 ramp factors"),
        (MONTHLY, {"new": [D(2)] * 4}, "absorb", "is not between 0 and 1"),
        ({"a": [D(-1)]}, {}, "absorb", "negative"),
        ({"a": [D(10)]}, {"a": [D(0)]}, "spread", "shortfall \\(10\\) has nowhere to go"),
    ],
)
def test_impossible_ramp_requests_raise_a_planning_error_naming_the_cause(
    monthly, factors, mode, cause
):
    with pytest.raises(PlanningError, match=cause):
        apply_ramp(monthly, factors, mode=mode)


ramp_case_st = st.dictionaries(
    st.text(max_size=3),
    st.tuples(
        st.lists(st.integers(0, 10_000), min_size=6, max_size=6),
        st.none() | st.lists(st.sampled_from([0, 25, 50, 75, 100]), min_size=6, max_size=6),
    ),
    min_size=1,
    max_size=6,
)


@FAST
@given(ramp_case_st, st.sampled_from([D(1), D("0.01")]))
def test_spread_keeps_the_grand_total_and_absorb_drops_it_by_the_shortfall(cases, unit):
    monthly = {k: [D(v) * unit for v in amounts] for k, (amounts, _) in cases.items()}
    factors = {k: [D(f) / 100 for f in fs] for k, (_, fs) in cases.items() if fs is not None}
    grand_total = sum((sum(row, D(0)) for row in monthly.values()), D(0))
    absorbed = apply_ramp(monthly, factors, mode="absorb", unit=unit)
    absorbed_total = sum((sum(row, D(0)) for row in absorbed.targets.values()), D(0))
    assert absorbed_total == grand_total - absorbed.shortfall
    assert absorbed.shortfall == sum(absorbed.shortfall_by_key.values(), D(0))
    for key, row in absorbed.targets.items():
        for month, value in enumerate(row):
            factor = factors.get(key, [D(1)] * 6)[month]
            assert abs(value - monthly[key][month] * factor) <= unit / 2
            assert value % unit == 0
    if any(v for row in absorbed.targets.values() for v in row) or absorbed.shortfall == 0:
        spread = apply_ramp(monthly, factors, mode="spread", unit=unit)
        spread_total = sum((sum(row, D(0)) for row in spread.targets.values()), D(0))
        assert spread_total == grand_total
        for key, row in spread.targets.items():
            for month, value in enumerate(row):
                assert value >= absorbed.targets[key][month]
                if absorbed.targets[key][month] == 0:
                    assert value == 0


# --------------------------------------------------------------------------- weighting methods


def test_equal_weighting_gives_every_rep_a_weight_of_one():
    assert weights_for(Method.EQUAL, ["ann", "bob"]) == {"ann": D(1), "bob": D(1)}


def test_data_driven_weighting_takes_the_data_and_weighs_missing_reps_zero():
    result = weights_for("history", ["ann", "bob", "cy"], history={"ann": D(500), "zed": D(9)})
    assert result == {"ann": D(500), "bob": D(0), "cy": D(0)}


def test_methods_are_string_enums():
    assert Method("pipeline") is Method.PIPELINE
    assert Method.POTENTIAL == "potential"


@pytest.mark.parametrize(
    ("method", "data", "cause"),
    [
        ("history", {"history": {}}, "No won revenue in the history window for any of ann, bob"),
        ("potential", {"potential": {"ann": 0}}, "No account potential recorded"),
        ("pipeline", {"pipeline": {}}, "No open pipeline"),
        ("manual", {"manual": {"ann": 0, "bob": 0}}, "Every manual weight is zero"),
        ("pipeline", {}, "The pipeline method needs pipeline data"),
        ("history", {"history": {"ann": D(-1)}}, "history weight for ann is negative"),
        ("gut feeling", {}, "Unknown weighting method 'gut feeling'"),
    ],
)
def test_unusable_weighting_data_is_refused_with_a_clear_message(method, data, cause):
    with pytest.raises(PlanningError, match=cause):
        weights_for(method, ["ann", "bob"], **data)


def test_the_all_zero_history_message_tells_the_user_to_choose_another_method():
    with pytest.raises(PlanningError, match="; choose another method\\.$"):
        weights_for(Method.HISTORY, [f"rep{i}" for i in range(8)], history={})


# --------------------------------------------------------------------------- capacity


def test_padding_adds_the_percentage_on_top_of_the_total():
    assert padded(D(1000), 10) == D(1100)
    assert padded(D(1000), 0) == D(1000)


def test_padding_rounds_up_to_the_unit():
    # 999 x 1.125 = 1123.875 -> 1124 whole, 1123.88 in cents.
    assert padded(D(999), D("12.5")) == D(1124)
    assert padded(D(999), D("12.5"), unit=D("0.01")) == D("1123.88")
    # 1001 x 1.1 = 1101.1: rounding to nearest would give 1101, below the requested padding.
    assert padded(D(1001), 10) == D(1102)


def test_negative_padding_is_refused():
    with pytest.raises(PlanningError, match="padding percentage cannot be negative"):
        padded(D(1000), -5)


def test_reps_needed_rounds_the_rep_count_up():
    # capacity = 1,000,000 x 0.8 x (1 - 0.2 x 0.25) = 760,000; 10,000,000 / 760,000 = 13.16 -> 14
    assert (
        reps_needed(
            D(10_000_000),
            avg_productivity_per_rep=D(1_000_000),
            expected_attainment=D("0.8"),
            ramp_months_lost=D("0.25"),
            attrition=D("0.2"),
        )
        == 14
    )


def test_reps_needed_is_exact_when_the_target_is_a_multiple_of_capacity():
    # 760,000 x 2 = 1,520,000 needs exactly 2 reps, not 3.
    assert (
        reps_needed(
            D(1_520_000),
            avg_productivity_per_rep=D(1_000_000),
            expected_attainment=D("0.8"),
            ramp_months_lost=D("0.25"),
            attrition=D("0.2"),
        )
        == 2
    )


def test_without_attrition_capacity_is_productivity_times_attainment():
    # 500,000 x 0.5 = 250,000 per rep; 1,000,001 needs 5 reps.
    kwargs = {"avg_productivity_per_rep": 500_000, "expected_attainment": D("0.5")}
    assert reps_needed(1_000_001, **kwargs, ramp_months_lost=D("0.5"), attrition=0) == 5
    assert reps_needed(0, **kwargs, ramp_months_lost=0, attrition=0) == 0


@pytest.mark.parametrize(
    ("changes", "cause"),
    [
        ({"target": -1}, "target cannot be negative"),
        ({"avg_productivity_per_rep": 0}, "productivity per rep must be positive"),
        ({"expected_attainment": 0}, "expected attainment must be positive"),
        ({"ramp_months_lost": D("1.5")}, "lost to ramp must be between 0 and 1"),
        ({"attrition": D("-0.1")}, "attrition rate must be between 0 and 1"),
        ({"attrition": 1, "ramp_months_lost": 1}, "no rep adds any capacity"),
    ],
)
def test_impossible_capacity_inputs_are_refused_naming_the_input(changes, cause):
    kwargs = {
        "target": D(1000),
        "avg_productivity_per_rep": D(100),
        "expected_attainment": D("0.8"),
        "ramp_months_lost": D("0.25"),
        "attrition": D("0.2"),
    } | changes
    target = kwargs.pop("target")
    with pytest.raises(PlanningError, match=cause):
        reps_needed(target, **kwargs)
