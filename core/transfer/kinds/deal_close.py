"""One close date and a separate status, as other systems write deals, onto our fields.

- `status` won or lost puts the deal in the Won or Lost stage, whatever its `stage` says
  (Pipedrive keeps a closed deal's last pipeline stage); `status` open with a Won or Lost
  stage is a contradiction and refused.
- `close_date` is the closing date of a won or lost deal (our closed_on) and the expected close
  of an open one (our expected_close). Given with closed_on or expected_close as well, the two
  must agree.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from core.i18n import _
from core.models import DealStatus
from core.transfer.formats import DealRow


class StageLike(Protocol):
    name: str
    is_won: bool
    is_lost: bool


S = TypeVar("S", bound=StageLike)


def stage_of_status(row: DealRow, stage: S, stages: list[S]) -> S | str:
    """The stage the row's status puts the deal in, or the reason it is refused."""
    if row.status is None:
        return stage
    if row.status == DealStatus.OPEN:
        if stage.is_won or stage.is_lost:
            return _("the status is open but the stage is {stage}").format(stage=stage.name)
        return stage
    wanted = [s for s in stages if (s.is_won if row.status == DealStatus.WON else s.is_lost)]
    if not wanted:
        return _("no configured stage is {status}").format(status=row.status.value)
    return wanted[0]


def apply_close_date(row: DealRow, stage: StageLike) -> tuple[str, str] | None:
    """Fill closed_on (won, lost) or expected_close (open) from close_date; on a conflict the
    (column, reason) to report."""
    if row.close_date is None:
        return None
    if stage.is_won or stage.is_lost:
        if row.closed_on is not None and row.closed_on != row.close_date:
            return "close_date", _("differs from closed_on ({day})").format(
                day=row.closed_on.isoformat()
            )
        row.closed_on = row.close_date
    else:
        if row.expected_close is not None and row.expected_close != row.close_date:
            return "close_date", _("differs from expected_close ({day})").format(
                day=row.expected_close.isoformat()
            )
        row.expected_close = row.close_date
    return None
