"""Weighting methods: how the team target is weighted across reps (equal or by data)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import StrEnum

from core._allocation import K, Number, PlanningError, _fmt, _to_decimal
from core.i18n import N_, _


class Method(StrEnum):
    """How the team target is weighted across reps."""

    EQUAL = "equal"
    HISTORY = "history"
    POTENTIAL = "potential"
    PIPELINE = "pipeline"
    MANUAL = "manual"


_ALL_ZERO_MESSAGES = {
    Method.HISTORY: N_(
        "No won revenue in the history window for any of {keys}; choose another method."
    ),
    Method.POTENTIAL: N_("No account potential recorded for any of {keys}; choose another method."),
    Method.PIPELINE: N_("No open pipeline for any of {keys}; choose another method."),
    Method.MANUAL: N_(
        "Every manual weight is zero for {keys}; enter at least one positive weight."
    ),
}


def _names(keys: Sequence[object], limit: int = 5) -> str:
    shown = ", ".join(str(key) for key in keys[:limit])
    return (
        shown
        if len(keys) <= limit
        else _("{shown} and {value} more").format(shown=shown, value=len(keys) - limit)
    )


def weights_for(
    method: Method | str,
    keys: Sequence[K],
    *,
    history: Mapping[K, Number] | None = None,
    potential: Mapping[K, Number] | None = None,
    pipeline: Mapping[K, Number] | None = None,
    manual: Mapping[K, Number] | None = None,
) -> dict[K, Decimal]:
    """Weights for `keys` under a method: equal -> 1 each; otherwise the method's own data.

    Keys missing from the data weigh 0 and data for other keys is ignored. Raises when the
    data is missing, negative, or zero for every key (there is nothing to weight by).
    """
    try:
        chosen = Method(method)
    except ValueError:
        options = ", ".join(m.value for m in Method)
        raise PlanningError(
            _("Unknown weighting method {method!r}; choose one of {options}.").format(
                method=method, options=options
            )
        ) from None
    if chosen is Method.EQUAL:
        return {key: Decimal(1) for key in keys}
    data = {
        Method.HISTORY: history,
        Method.POTENTIAL: potential,
        Method.PIPELINE: pipeline,
        Method.MANUAL: manual,
    }[chosen]
    if data is None:
        raise PlanningError(_("The {value} method needs {value} data.").format(value=chosen.value))
    result: dict[K, Decimal] = {}
    for key in keys:
        value = _to_decimal(
            data.get(key, 0), _("The {value} weight for {key}").format(value=chosen.value, key=key)
        )
        if value < 0:
            raise PlanningError(
                _("The {value} weight for {key} is negative ({value2}).").format(
                    value=chosen.value, key=key, value2=_fmt(value)
                )
            )
        result[key] = value
    if keys and not any(result.values()):
        raise PlanningError(_(_ALL_ZERO_MESSAGES[chosen]).format(keys=_names(list(keys))))
    return result
