"""Cascades: a root's monthly targets broken down the region tree, and month rebalancing.

Every level is split by largest remainder in whole units, so every level sums exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np

from core._allocation import K, Number, PlanningError, _fmt, allocate_units
from core._capacity import padded_units
from core.i18n import _

N = TypeVar("N", bound=Hashable)  # a region
R = TypeVar("R", bound=Hashable)  # a rep


def cascade(
    root: N,
    root_units: Sequence[int] | np.ndarray,
    children: Mapping[N, Sequence[N]],
    reps_in: Mapping[N, Sequence[R]],
    rep_weights: Mapping[R, Sequence[Number] | np.ndarray],
    *,
    padding_pct: Number = 0,
    label: Callable[[N], str] = str,
) -> tuple[dict[N, np.ndarray], dict[R, np.ndarray]]:
    """Break a root's monthly targets down the region tree to every region and rep.

    Business rules:
    - Each region's month is shared among its child regions and its own reps, in proportion
      to their weights in that month (a region weighs the sum of its reps' weights), so a rep
      ramping up takes less and the others more.
    - Every region month equals its child regions' months plus its own reps' share; the reps
      of a region together carry that share x (1 + padding), rounded up (over-assignment).
    - Largest-remainder rounding in whole units at every level, so every level sums exactly.

    `rep_weights` holds one weight per month for every rep. Returns (region months, rep
    months), both int64 arrays of whole units. Raises naming the region and the month when a
    region has a target in a month where none of its reps carries any weight.
    """
    months = len(root_units)
    rep_keys = list(rep_weights)
    row_of = {rep: row for row, rep in enumerate(rep_keys)}
    matrix_all = (
        np.array([np.asarray(rep_weights[rep], dtype=np.float64) for rep in rep_keys])
        if rep_keys
        else np.zeros((0, months))
    )
    if matrix_all.shape != (len(rep_keys), months):
        raise PlanningError(_("Every rep needs {months} monthly weights.").format(months=months))
    bad = ~np.isfinite(matrix_all) | (matrix_all < 0)
    if bad.any():
        rep = rep_keys[int(np.argwhere(bad)[0][0])]
        raise PlanningError(_("Rep {rep!r} has a negative or non-finite weight.").format(rep=rep))
    rows_in = {node: [row_of[rep] for rep in reps] for node, reps in reps_in.items()}

    node_weight: dict[N, np.ndarray] = {}
    own_weight: dict[N, np.ndarray] = {}

    def weigh(node: N) -> np.ndarray:
        rows = rows_in.get(node, [])
        own = matrix_all[rows].sum(axis=0) if rows else np.zeros(months)
        own_weight[node] = own
        total = own.copy()
        for child in children.get(node, ()):
            total = total + weigh(child)
        node_weight[node] = total
        return total

    weigh(root)
    region_units: dict[N, np.ndarray] = {}
    rep_units: dict[R, np.ndarray] = {}
    stack: list[tuple[N, np.ndarray]] = [(root, np.asarray(root_units, dtype=np.int64))]
    while stack:
        node, units = stack.pop()
        region_units[node] = units
        kids = list(children.get(node, ()))
        reps = list(reps_in.get(node, ()))
        if not kids and not reps:
            continue
        columns = [node_weight[kid] for kid in kids] + [own_weight[node]]
        matrix = np.stack(columns, axis=1)  # months x parts
        starved = (units > 0) & (matrix.sum(axis=1) == 0)
        if starved.any():
            month = int(np.argmax(starved)) + 1
            raise PlanningError(
                _(
                    "{label} has a target in month {month} of the plan but nobody in it "
                    "carries any weight then (no reps, no history, or everyone still "
                    "ramping); choose another method or set that region's figure by hand."
                ).format(label=label(node), month=month)
            )
        split = allocate_units(units, matrix)
        for index, kid in enumerate(kids):
            stack.append((kid, split[:, index]))
        if reps:
            block = padded_units(split[:, -1], padding_pct)
            rep_split = allocate_units(block, matrix_all[rows_in[node]].T)
            rep_units.update(zip(reps, rep_split.T))
    return region_units, rep_units


def rebalance_month_cells(
    totals: Sequence[int] | np.ndarray,
    current: Mapping[K, Sequence[int] | np.ndarray],
    fixed: Mapping[K, Sequence[bool] | np.ndarray],
    *,
    label: Callable[[K], str] = str,
    month_label: Callable[[int], str] = lambda m: f"month {m + 1}",
    what: str = _("the region"),
) -> dict[K, np.ndarray]:
    """New monthly amounts of the parts of a region so each month adds up to `totals`.

    Fixed cells (edited or locked) keep their value; the other parts of the same month share
    what is left in proportion to their current amounts (equally when those are all zero).
    Raises naming the month when fixed cells exceed the month's total, or when every part is
    fixed and they do not add up to it.
    """
    totals = np.asarray(totals, dtype=np.int64)
    months = totals.shape[0]
    keys = list(current)
    if not keys:
        if totals.any():
            month = int(np.argmax(totals > 0))
            raise PlanningError(
                _("{what} has {totals} in {month_label} but no parts to share it among.").format(
                    what=what, totals=_fmt(int(totals[month])), month_label=month_label(month)
                )
            )
        return {}
    values = np.stack([np.asarray(current[k], dtype=np.int64) for k in keys], axis=1)
    mask = np.stack(
        [np.asarray(fixed.get(k, np.zeros(months, bool)), dtype=bool) for k in keys], axis=1
    )
    if (values < 0).any():
        row, col = (int(i) for i in np.argwhere(values < 0)[0])
        raise PlanningError(
            _("The amount for {label} in {month_label} cannot be negative.").format(
                label=label(keys[col]), month_label=month_label(row)
            )
        )
    fixed_sum = np.where(mask, values, 0).sum(axis=1)
    rest = totals - fixed_sum
    if (rest < 0).any():
        month = int(np.argmax(rest < 0))
        raise PlanningError(
            _(
                "In {month_label} the fixed amounts add up to {fixed_sum}, more than "
                "the {totals} of {what}."
            ).format(
                month_label=month_label(month),
                fixed_sum=_fmt(int(fixed_sum[month])),
                totals=_fmt(int(totals[month])),
                what=what,
            )
        )
    free = ~mask
    no_free = (free.sum(axis=1) == 0) & (rest != 0)
    if no_free.any():
        month = int(np.argmax(no_free))
        raise PlanningError(
            _(
                "In {month_label} every amount is fixed and they add up to "
                "{fixed_sum}, not the {totals} of {what}; change another cell or "
                "unlock one."
            ).format(
                month_label=month_label(month),
                fixed_sum=_fmt(int(fixed_sum[month])),
                totals=_fmt(int(totals[month])),
                what=what,
            )
        )
    weights = np.where(free, values, 0)
    equal = (weights.sum(axis=1) == 0)[:, None] & free
    weights = np.where(equal, 1, weights)
    split = allocate_units(rest, weights)
    result = np.where(mask, values, split)
    return {key: result[:, index] for index, key in enumerate(keys)}
