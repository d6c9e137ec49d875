"""The tree cascade and the month rebalancing behind plan edits: exact sums at every level.

Expected values are hand-computed or checked against exact fractions, never copied from the code.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.planning import PlanningError, cascade, padded_units, rebalance_month_cells

FAST = settings(max_examples=120, deadline=None)


def test_a_two_region_tree_splits_by_headcount_then_equally_among_reps():
    regions, reps = cascade(
        "company",
        [90] * 12,
        {"company": ["east", "west"]},
        {"east": ["a", "b"], "west": ["c"]},
        {"a": [1] * 12, "b": [1] * 12, "c": [1] * 12},
    )
    assert regions["east"].tolist() == [60] * 12
    assert regions["west"].tolist() == [30] * 12
    assert reps["a"].tolist() == reps["b"].tolist() == reps["c"].tolist() == [30] * 12


def test_a_rep_with_no_weight_in_a_month_gets_nothing_then_and_others_carry_it():
    ramp = [0, 0.5] + [1] * 10
    regions, reps = cascade(
        "c", [100] * 12, {}, {"c": ["new", "old"]}, {"new": ramp, "old": [1] * 12}
    )
    assert reps["new"][:3].tolist() == [0, 33, 50]
    assert reps["old"][:3].tolist() == [100, 67, 50]


def test_padding_gives_the_reps_the_region_share_plus_the_percentage_rounded_up():
    regions, reps = cascade("c", [101] * 12, {}, {"c": ["a"]}, {"a": [1] * 12}, padding_pct=10)
    assert reps["a"].tolist() == [112] * 12  # 101 x 1.1 = 111.1 -> 112
    assert padded_units(np.array([0, 10, 11]), 5).tolist() == [0, 11, 12]


def test_a_negative_padding_is_refused_with_the_percentage_given():
    with pytest.raises(PlanningError, match=r"cannot be negative \(got -2\.5\)"):
        padded_units(np.array([10]), -2.5)


def test_a_region_with_a_target_but_nobody_to_carry_it_is_refused_by_name():
    with pytest.raises(PlanningError, match="Empty team has a target in month 1"):
        cascade(
            "c",
            [10] + [0] * 11,
            {},
            {"c": ["a"]},
            {"a": [0] * 12},
            label=lambda node: "Empty team",
        )


@st.composite
def trees(draw):
    """A random region tree (up to 3 levels) with reps and positive monthly weights."""
    n_regions = draw(st.integers(1, 6))
    parents = {0: None}
    for node in range(1, n_regions):
        parents[node] = draw(st.integers(0, node - 1))
    children = {n: [c for c, p in parents.items() if p == n] for n in parents}
    reps_in: dict[int, list[str]] = {}
    weights: dict[str, list[int]] = {}
    for node in parents:
        for i in range(draw(st.integers(0 if children[node] else 1, 3))):
            rep = f"r{node}.{i}"
            reps_in.setdefault(node, []).append(rep)
            weights[rep] = draw(st.lists(st.integers(1, 50), min_size=12, max_size=12))
    months = draw(st.lists(st.integers(0, 10**7), min_size=12, max_size=12))
    padding = draw(st.sampled_from([0, 5, 12.5]))
    return parents, children, reps_in, weights, months, padding


@FAST
@given(trees())
def test_every_region_month_is_its_sub_regions_plus_its_padded_reps_exactly(case):
    parents, children, reps_in, weights, months, padding = case
    regions, reps = cascade(0, months, children, reps_in, weights, padding_pct=padding)
    assert regions[0].tolist() == months
    for node in parents:
        kids = sum((regions[k] for k in children[node]), np.zeros(12, np.int64))
        own = regions[node] - kids
        assert (own >= 0).all()
        if reps_in.get(node):
            carried = sum(reps[r] for r in reps_in[node])
            factor = 1 + Fraction(padding) / 100
            expected = [math.ceil(int(v) * factor) for v in own]
            assert carried.tolist() == expected
        else:
            assert not own.any()


@FAST
@given(trees())
def test_each_rep_month_is_within_one_unit_of_its_exact_share_of_the_region(case):
    parents, children, reps_in, weights, months, _ = case
    regions, reps = cascade(0, months, children, reps_in, weights)
    for node, members in reps_in.items():
        own = regions[node] - sum((regions[k] for k in children[node]), np.zeros(12, np.int64))
        for month in range(12):
            total_weight = sum(weights[r][month] for r in members)
            for rep in members:
                exact = Fraction(int(own[month]) * weights[rep][month], total_weight)
                assert abs(reps[rep][month] - exact) < 1


def test_unfixed_rows_absorb_a_change_in_proportion_to_their_amounts():
    result = rebalance_month_cells(
        [100],
        {"edited": [40], "big": [60], "small": [20]},
        {"edited": [True]},
    )
    assert result["edited"].tolist() == [40]
    assert result["big"].tolist() == [45] and result["small"].tolist() == [15]


def test_rows_that_are_all_zero_share_what_is_left_equally():
    result = rebalance_month_cells([10], {"a": [0], "b": [0], "fixed": [4]}, {"fixed": [True]})
    assert (result["a"].tolist(), result["b"].tolist()) == ([3], [3])


@pytest.mark.parametrize(
    ("totals", "current", "fixed", "cause"),
    [
        ([10], {"a": [11], "b": [0]}, {"a": [True]}, "month 1 the fixed amounts add up to 11"),
        ([10], {"a": [4]}, {"a": [True]}, "every amount is fixed and they add up to 4"),
        ([10], {"a": [-1], "b": [3]}, {}, "cannot be negative"),
        ([10], {}, {}, "no parts"),
    ],
)
def test_impossible_rebalancing_is_refused_naming_the_month(totals, current, fixed, cause):
    with pytest.raises(PlanningError, match=cause):
        rebalance_month_cells(totals, current, fixed)


@FAST
@given(
    st.lists(st.integers(0, 10**6), min_size=1, max_size=6),
    st.integers(0, 5 * 10**6),
    st.data(),
)
def test_rebalancing_keeps_fixed_cells_and_sums_exactly_whenever_possible(values, total, data):
    keys = [f"k{i}" for i in range(len(values))]
    fixed = {k: [data.draw(st.booleans())] for k in keys}
    fixed_sum = sum(v for k, v in zip(keys, values) if fixed[k][0])
    free = [k for k in keys if not fixed[k][0]]
    current = {k: [v] for k, v in zip(keys, values)}
    if fixed_sum > total or (not free and fixed_sum != total):
        with pytest.raises(PlanningError):
            rebalance_month_cells([total], current, fixed)
        return
    result = rebalance_month_cells([total], current, fixed)
    assert sum(int(v[0]) for v in result.values()) == total
    for k, v in zip(keys, values):
        if fixed[k][0]:
            assert result[k][0] == v
    assert rebalance_month_cells([total], current, fixed).keys() == result.keys()


def test_a_company_of_50_regions_and_2000_reps_is_broken_down_well_under_a_second():
    import time

    rng = np.random.default_rng(3)
    children = {0: list(range(1, 51))}
    reps_in = {r: [i for i in range(2000) if 1 + i % 50 == r] for r in range(1, 51)}
    weights = {i: rng.uniform(0.1, 2.0, 12) for i in range(2000)}
    start = time.perf_counter()
    regions, reps = cascade(0, [1_000_003] * 12, children, reps_in, weights)
    elapsed = time.perf_counter() - start
    assert sum(int(v.sum()) for v in reps.values()) == 12_000_036
    assert elapsed < 0.5, f"{elapsed:.3f} s"
