"""Breaking a company plan down by product line: one plan per line of the catalogue.

Business rules:
- A company revenue or units plan is cut between the lines by each line's share of the
  measure in the 12 months before the year (history), equally, or by the director's shares
  (percentages adding up to 100); the cut is the largest remainder, so the lines' figures add
  up to the company plan's.
- Each line's figure becomes a plan of its own, allocated to regions, reps and months with
  the company plan's method, seasonality, padding and ramp over that line's own history (a
  line whose reps have no history of their own is weighed equally). A region's line targets
  therefore add up to its company target for the year only in total, not month by month.
- Breaking down again replaces each line's draft, or starts a new version of an approved
  one; a line that had a plan and now gets no share is set to zero, so the lines keep adding
  up to the company plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from core import planning
from core.errors import ValidationFailed
from core.i18n import _
from core.models import Actor, Measure, measure_of, to_amount
from core.org import audit
from core.org.company import fiscal_start_month
from core.periods import add_months
from core.planning import Method
from core.plans.allocation import (
    HISTORY_MONTHS,
    compute_allocation,
    create_plan,
    span_of_months,
)
from core.plans.cells import PlanInfo, plan_by_id, plan_months, series_of
from core.plans.lines import LINE_MEASURES, product_lines
from core.plans.rules import allocate_refusal, ensure
from core.progress import counts

LINE_METHODS = ("history", "equal", "manual")
"""How a plan is broken down by product line."""


def line_shares(
    session: Session,
    fiscal_year: int,
    measure: object,
    method: str,
    shares: Mapping[str, object] | None = None,
) -> dict[str, Decimal]:
    """Each product line's weight for breaking a plan down: its share of the measure in the
    12 months before the year (history), 1 each (equal), or the director's shares (manual,
    percentages that add up to 100)."""
    lines = product_lines(session)
    if not lines:
        raise ValidationFailed(_("The catalogue has no product lines to break the plan down by."))
    if method == "equal":
        return {line: Decimal(1) for line in lines}
    if method == "history":
        start = plan_months(fiscal_year, fiscal_start_month(session))[0]
        period = span_of_months(add_months(start, -HISTORY_MONTHS), start)
        done = counts.achieved(session, period, measure, by="product_line")
        weights = {line: Decimal(done.get(line, 0)) for line in lines}
        if not any(weights.values()):
            raise ValidationFailed(
                _(
                    "No product line has any history in the 12 months before "
                    "FY{fiscal_year}; break the plan down equally or by your own shares."
                ).format(fiscal_year=fiscal_year)
            )
        return weights
    if method == "manual":
        given = {
            " ".join(str(k).split()): to_amount(v, _("The share of {k}").format(k=k))
            for k, v in (shares or {}).items()
        }
        unknown = sorted(set(given) - set(lines))
        if unknown:
            raise ValidationFailed(
                _("Unknown product line: {unknown}.").format(unknown=", ".join(unknown))
            )
        total = sum(given.values(), Decimal(0))
        if total != 100:
            raise ValidationFailed(
                _("The product-line shares add up to {total}, not 100.").format(total=total)
            )
        return {line: given.get(line, Decimal(0)) for line in lines}
    raise ValidationFailed(
        _("Unknown way to break down by product line '{method}': use {LINE_METHODS}.").format(
            method=method, LINE_METHODS=", ".join(LINE_METHODS)
        )
    )


def break_by_product_line(
    session: Session,
    actor: Actor,
    plan_id: int,
    method: str = "history",
    shares: Mapping[str, object] | None = None,
) -> list[PlanInfo]:
    """Break a company revenue or units plan down by product line (directors): each line gets
    a draft plan of its own whose company figure is its share of the plan's (largest
    remainder, so the lines add up to the plan), allocated to regions, reps and months with
    the plan's method, seasonality, padding and ramp. A line with no share gets no plan (or
    a zero figure when it had one); a line whose reps have no history of their own is
    weighed equally."""
    parent = plan_by_id(session, plan_id)
    ensure(allocate_refusal(actor))
    if parent.product_line:
        raise ValidationFailed(
            _("This is already a product line's plan; break down the company's.")
        )
    measure = measure_of(parent.measure)
    if measure not in LINE_MEASURES:
        raise ValidationFailed(_("Only revenue and units targets can be set by product line."))
    weights = line_shares(session, parent.fiscal_year, measure, method, shares)
    cut = planning.allocate(Decimal(parent.company_target), weights)
    inputs = parent.manual_inputs or {}
    out = []
    for line, amount in cut.items():
        if not amount and not _has_plan(session, parent.fiscal_year, measure, line):
            continue
        chosen = parent.method
        try:
            compute_allocation(
                session,
                fiscal_year=parent.fiscal_year,
                company_target=amount,
                method=chosen,
                seasonality=parent.seasonality or "flat",
                padding_pct=Decimal(parent.padding_pct),
                ramp_mode=parent.ramp_mode,  # type: ignore[arg-type]
                manual_weights=_weights_of(inputs),
                manual_season=inputs.get("season"),
                measure=measure,
                product_line=line,
            )
        except ValidationFailed:
            chosen = Method.EQUAL.value
        out.append(
            create_plan(
                session,
                actor,
                fiscal_year=parent.fiscal_year,
                company_target=amount,
                method=chosen,
                seasonality=parent.seasonality or "flat",
                padding_pct=Decimal(parent.padding_pct),
                ramp_mode=parent.ramp_mode,  # type: ignore[arg-type]
                manual_weights=_weights_of(inputs) if chosen == Method.MANUAL else None,
                manual_season=inputs.get("season"),
                measure=measure,
                product_line=line,
                stretch_levels=parent.stretch_levels,
            )
        )
    audit.record(
        session,
        actor,
        "break_by_product_line",
        "target_plan",
        parent.id,
        after={"method": method, "lines": {line: str(a) for line, a in cut.items()}},
    )
    session.flush()
    return out


def _has_plan(session: Session, fiscal_year: int, measure: Measure, line: str) -> bool:
    return bool(session.scalar(select(exists().where(*series_of(fiscal_year, measure, line)))))


def _weights_of(inputs: Mapping) -> dict[int, Decimal] | None:
    weights = inputs.get("weights")
    return {int(k): Decimal(v) for k, v in weights.items()} if weights else None
