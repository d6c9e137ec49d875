"""The deal rules as plain functions over plain data (no database): which stage comes next,
what blocks a move, who may override, slips, stalled and overdue deals, versions, lead to cash.

Rules:
- Forwards a deal goes to the next stage only, and only when the exit checklist of its current
  stage is ticked and the roles the next stage needs are on the deal team, each filled by a
  member who has that function (`roles_met`). A manager (or above) may override that, or skip
  stages, with a reason; a rep may not.
- Backwards moves are allowed with a reason. Reopening a won or lost deal needs a manager.
- Won needs a closed-on date and the final amount; lost needs a lost reason.
- Moving the expected close later counts a slip; a deal that slipped the slipping threshold
  (one setting, see `core.pipeline.flags`) times or more is slipping.
- An open deal longer in its stage than the stage's maximum days is stalled; an open deal whose
  expected close is before today is overdue.
- After won: contract signed -> invoiced -> paid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from core import clock
from core.errors import DomainError, PermissionDenied, ValidationFailed
from core.i18n import _, day
from core.models import CashStatus, Role
from core.pipeline.wording import listing, shown

DEFAULT_SLIPPING_CHANGES = 2
"""The slipping threshold until an administrator sets another one."""

OVERRIDERS = frozenset({Role.MANAGER, Role.DIRECTOR, Role.ADMIN})
CASH_STEPS = (CashStatus.CONTRACT_SIGNED, CashStatus.INVOICED, CashStatus.PAID)


class EditConflict(DomainError):
    """Someone else saved the deal after this user loaded it."""


@dataclass(frozen=True)
class StageRule:
    """What the move rules need to know about one stage."""

    id: int
    name: str
    position: int
    is_won: bool = False
    is_lost: bool = False
    exit_checklist: tuple[str, ...] = ()
    required_roles: tuple[str, ...] = ()

    @property
    def is_open(self) -> bool:
        return not (self.is_won or self.is_lost)


@dataclass(frozen=True)
class TeamSeat:
    """One member of a deal team: the role they sit in and the functions they have."""

    person_id: int
    role: str
    functions: tuple[str, ...] = ()


def roles_met(team: Sequence[TeamSeat]) -> list[str]:
    """The team roles that count for the stage rules: those held by a member who has that
    function (compared ignoring case). A role someone sits in without the function is not met."""
    return [
        seat.role
        for seat in team
        if seat.role.casefold() in {function.casefold() for function in seat.functions}
    ]


def next_stage(stages: Sequence[StageRule], current: StageRule) -> StageRule | None:
    """The stage after `current` on the way to won (the lost stage is never "next")."""
    later = sorted(
        (s for s in stages if s.position > current.position and not s.is_lost),
        key=lambda s: s.position,
    )
    return later[0] if later and current.is_open else None


def move_blockers(
    stages: Sequence[StageRule],
    current: StageRule,
    target: StageRule,
    checklist_done: Sequence[str],
    team_roles: Sequence[str],
) -> list[str]:
    """What stands in the way of a forward move (empty when the move is allowed as it is):
    unticked exit items of the stages left, roles missing for the stages entered, skipped stages."""
    if target.is_lost or target.position <= current.position or not current.is_open:
        return []
    path = sorted(
        (s for s in stages if current.position < s.position <= target.position and not s.is_lost),
        key=lambda s: s.position,
    )
    done, roles = set(checklist_done), {role.casefold() for role in team_roles}
    blockers: list[str] = []
    for leaving in [current, *path[:-1]]:
        missing = [item for item in leaving.exit_checklist if item not in done]
        if missing:
            blockers.append(
                _("Exit checklist of {stage} not ticked: {items}").format(
                    stage=shown(leaving.name), items=listing(shown(i) for i in missing)
                )
            )
    for entering in path:
        missing = [role for role in entering.required_roles if role.casefold() not in roles]
        if missing:
            blockers.append(
                _("{stage} needs on the deal team: {roles}").format(
                    stage=shown(entering.name), roles=listing(shown(r) for r in missing)
                )
            )
    if len(path) > 1:
        skipped = listing(shown(s.name) for s in path[:-1])
        blockers.append(
            _("Moving to {stage} skips {skipped}").format(stage=shown(target.name), skipped=skipped)
        )
    return blockers


def check_move(
    *,
    stages: Sequence[StageRule],
    current: StageRule,
    target: StageRule,
    actor_role: Role,
    checklist_done: Sequence[str] = (),
    team_roles: Sequence[str] = (),
    override: bool = False,
    reason: str | None = None,
    closed_on: date | None = None,
    amount: Decimal | None = None,
    lost_reason: str | None = None,
    today: date | None = None,
) -> str:
    """Decide whether a deal may move from `current` to `target`; raise with the reason if not.

    Returns the kind of move: "forward", "override", "backward", "reopen", "won" or "lost"
    ("won" also covers an overridden move to won)."""
    today = today or clock.today()
    reason = (reason or "").strip() or None
    if target.id == current.id:
        raise ValidationFailed(_("The deal is already in {name}.").format(name=shown(current.name)))
    if not current.is_open:
        if not target.is_open:
            raise ValidationFailed(
                _("The deal is {lower}; reopen it to an open stage first.").format(
                    lower=shown(current.name).lower()
                )
            )
        if actor_role not in OVERRIDERS:
            raise PermissionDenied(_("Only a manager or above may reopen a won or lost deal."))
        if not reason:
            raise ValidationFailed(_("Give a reason for reopening the deal."))
        return "reopen"
    if target.is_lost:
        if not (lost_reason or "").strip():
            raise ValidationFailed(_("A lost deal needs a lost reason."))
        return "lost"
    if target.position < current.position:
        if not reason:
            raise ValidationFailed(
                _("Give a reason for moving the deal back to {name}.").format(
                    name=shown(target.name)
                )
            )
        return "backward"
    if target.is_won:
        if closed_on is None:
            raise ValidationFailed(_("A won deal needs the date it closed on."))
        if closed_on > today:
            raise ValidationFailed(_("The closed-on date cannot be in the future."))
        if amount is None or amount <= 0:
            raise ValidationFailed(_("A won deal needs its final amount (more than zero)."))
    blockers = move_blockers(stages, current, target, checklist_done, team_roles)
    if not blockers:
        return "won" if target.is_won else "forward"
    if not override:
        raise ValidationFailed(
            _(
                "Cannot move to {stage} yet. {blockers}. A manager can override with a reason."
            ).format(stage=shown(target.name), blockers=listing(blockers, "; "))
        )
    if actor_role not in OVERRIDERS:
        raise PermissionDenied(_("Only a manager or above may override the stage rules."))
    if not reason:
        raise ValidationFailed(_("An override needs a reason."))
    return "won" if target.is_won else "override"


def counts_as_slip(old_close: date, new_close: date) -> bool:
    """Moving the expected close later is a slip; earlier is not."""
    return new_close > old_close


def is_slipping(close_date_changes: int, threshold: int, *, is_open: bool = True) -> bool:
    """An open deal whose expected close moved later `threshold` times or more is slipping (the
    threshold is the one setting read by `core.pipeline.flags.slipping_threshold`)."""
    return is_open and close_date_changes >= threshold


def next_is_won(stages: Sequence[StageRule], current: StageRule) -> bool:
    """Whether the next stage of an open deal is won (the page then asks for date and amount)."""
    following = next_stage(stages, current)
    return following is not None and following.is_won


def days_in_stage(stage_entered_on: date, today: date) -> int:
    """Whole days since the deal entered its current stage."""
    return (today - stage_entered_on).days


def is_stalled(days: int, max_days: int | None, *, is_open: bool = True) -> bool:
    """An open deal is stalled when it has been in its stage longer than the stage's maximum
    days (stages without a maximum never stall a deal)."""
    return is_open and max_days is not None and days > max_days


def is_overdue(expected_close: date, today: date, *, is_open: bool = True) -> bool:
    """An open deal is overdue when its expected close date is before today."""
    return is_open and expected_close < today


def ensure_current_version(
    seen_version: int,
    current_version: int,
    changed_by: str | None,
    changed_at: datetime | None,
    *,
    by_you: bool = False,
) -> None:
    """Refuse a save based on an old copy of the deal, naming who saved in between (or saying
    it was the person themselves, from another window)."""
    if seen_version == current_version:
        return
    when = f"{day(changed_at)} {changed_at:%H:%M}" if changed_at else ""
    if by_you:
        text = (
            _(
                "You saved this deal in another window at {when}, after this page opened it; "
                "this change was not saved. Reload the deal, then try again."
            )
            if changed_at
            else _(
                "You saved this deal in another window after this page opened it; this "
                "change was not saved. Reload the deal, then try again."
            )
        )
        raise EditConflict(text.format(when=when))
    who = changed_by or _("Someone else")
    if changed_at:
        text = _(
            "{who} changed this deal at {when} after you opened it; your change was "
            "not saved. Reload the deal to see their change, then try again."
        )
    else:
        text = _(
            "{who} changed this deal after you opened it; your change was "
            "not saved. Reload the deal to see their change, then try again."
        )
    raise EditConflict(text.format(who=who, when=when))


def next_cash_step(cash_status: str | None) -> CashStatus | None:
    """The next lead-to-cash step after `cash_status` (None when paid)."""
    if cash_status is None:
        return CASH_STEPS[0]
    index = CASH_STEPS.index(CashStatus(cash_status))
    return CASH_STEPS[index + 1] if index + 1 < len(CASH_STEPS) else None
