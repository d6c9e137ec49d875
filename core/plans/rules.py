"""Who may do what to a target plan, and in which status.

Business rules:
- Everyone signed in reads a plan's header; reps read their own targets only; a manager sees
  the regions of their subtree, directors and administrators every region.
- Directors and administrators set the company figure and allocate it, approve, return a
  submitted plan to draft, lock, upload a plan file into a draft and start new versions.
- Managers (and directors) submit a draft for approval and compare versions.
- A manager changes targets in their own subtree, and only while the plan is a draft; a
  director changes any region of an open (draft or submitted) plan. A director's change to an
  approved or locked plan starts a new draft version, which only the newest version can do.
- Bottom-up figures (commitments to the plan): a rep enters their own, a manager those of the
  regions they manage and the reps in them, directors and administrators anyone's.

Each rule is a function that returns the refusal (the error the write service raises) or
None. The write services raise it with `ensure`; the read models turn it into a flag, so the
page never decides a rule of its own.
"""

from __future__ import annotations

from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from core.errors import DomainError, PermissionDenied, ValidationFailed
from core.i18n import N_, _
from core.models import Actor, PlanStatus, Role
from core.org.access import ensure_active, ensure_role, in_scope

OPEN = (PlanStatus.DRAFT, PlanStatus.SUBMITTED)
CLOSED = (PlanStatus.APPROVED, PlanStatus.LOCKED)
"""A change to a closed plan starts a new version; an open plan is changed in place."""


class PlanState(NamedTuple):
    """What the rules need to know about one plan version."""

    fiscal_year: int
    version: int
    status: PlanStatus
    newest_version: int

    @property
    def label(self) -> str:
        return f"FY{self.fiscal_year} v{self.version}"

    @property
    def newest(self) -> bool:
        return self.version == self.newest_version


def ensure(refusal: DomainError | None) -> None:
    """Raise the refusal a rule returned, if any."""
    if refusal is not None:
        raise refusal


def _refused(check, *args, **kwargs) -> DomainError | None:
    try:
        check(*args, **kwargs)
    except DomainError as exc:
        return exc
    return None


def active_refusal(actor: Actor) -> DomainError | None:
    return _refused(ensure_active, actor)


def director_refusal(actor: Actor, action: str) -> DomainError | None:
    """Only directors and administrators may `action`."""
    return _refused(ensure_role, actor, Role.DIRECTOR, action=action)


def manager_refusal(actor: Actor, action: str) -> DomainError | None:
    """Managers, directors and administrators may `action`."""
    return _refused(ensure_role, actor, Role.MANAGER, action=action)


def view_region_refusal(actor: Actor, region_id: int) -> DomainError | None:
    """A region's targets: directors see all, a manager their own subtree."""
    if refusal := active_refusal(actor):
        return refusal
    if actor.sees_everything or (actor.role == Role.MANAGER and in_scope(actor, region_id)):
        return None
    return PermissionDenied(_("You can only see the targets of regions you manage."))


def edit_region_refusal(actor: Actor, state: PlanState, region_id: int) -> DomainError | None:
    """Changing a region of the plan in place: directors any region; a manager only their
    own subtree and only while the plan is a draft; reps change no targets."""
    if refusal := active_refusal(actor):
        return refusal
    if actor.sees_everything:
        return None
    if actor.role != Role.MANAGER:
        return PermissionDenied(
            _("Only managers and directors change targets; you can read yours.")
        )
    if not in_scope(actor, region_id):
        return PermissionDenied(_("You can only change targets in the regions you manage."))
    if state.status != PlanStatus.DRAFT:
        return PermissionDenied(
            _(
                "{label} is {value}; managers change targets only while the plan is a "
                "draft. Ask the director to return it to draft."
            ).format(label=state.label, value=state.status.value)
        )
    return None


def new_version_refusal(actor: Actor, state: PlanState) -> DomainError | None:
    """A new draft version is copied from the newest version, when it is approved or locked."""
    if refusal := director_refusal(actor, _("start a new plan version")):
        return refusal
    if state.status not in CLOSED:
        return ValidationFailed(
            _(
                "{label} is still {value}; change it directly instead of starting a new version."
            ).format(label=state.label, value=state.status.value)
        )
    if not state.newest:
        return ValidationFailed(
            f"FY{state.fiscal_year} already has a newer version (v{state.newest_version}); "
            "change that one."
        )
    return None


def grid_edit_refusal(actor: Actor, state: PlanState, region_id: int) -> DomainError | None:
    """Saving changes to a region's grid: in place while the plan is open; on a closed plan
    a director's change starts a new draft version."""
    if state.status in CLOSED:
        if refusal := director_refusal(actor, _("change an approved plan")):
            return refusal
        return new_version_refusal(actor, state)
    return edit_region_refusal(actor, state, region_id)


def resplit_refusal(actor: Actor, state: PlanState, region_id: int) -> DomainError | None:
    """Sharing a region's figure again by a method: only in an open plan."""
    if refusal := edit_region_refusal(actor, state, region_id):
        return refusal
    if state.status in CLOSED:
        return ValidationFailed(
            _("{label} is {value}; start a new version first.").format(
                label=state.label, value=state.status.value
            )
        )
    return None


def company_target_refusal(actor: Actor, state: PlanState) -> DomainError | None:
    """The company figure of an existing plan (a closed plan gets a new version)."""
    if refusal := director_refusal(actor, _("set the company target")):
        return refusal
    if state.status in CLOSED:
        return new_version_refusal(actor, state)
    return None


def allocate_refusal(actor: Actor) -> DomainError | None:
    """Setting the company target and allocating it (again): directors."""
    return director_refusal(actor, _("set the company target"))


def upload_refusal(actor: Actor, state: PlanState) -> DomainError | None:
    """A plan file is uploaded by a director into a draft."""
    if refusal := director_refusal(actor, _("upload a plan")):
        return refusal
    if state.status != PlanStatus.DRAFT:
        return ValidationFailed(
            _("{label} is {value}; upload into a draft plan (start a new version first).").format(
                label=state.label, value=state.status.value
            )
        )
    return None


TRANSITIONS: dict[str, tuple[tuple[PlanStatus, ...], PlanStatus, str]] = {
    "submit": ((PlanStatus.DRAFT,), PlanStatus.SUBMITTED, N_("submit a plan")),
    "return_to_draft": ((PlanStatus.SUBMITTED,), PlanStatus.DRAFT, N_("return a plan to draft")),
    "approve": (
        (PlanStatus.DRAFT, PlanStatus.SUBMITTED),
        PlanStatus.APPROVED,
        N_("approve a plan"),
    ),
    "lock": ((PlanStatus.APPROVED,), PlanStatus.LOCKED, N_("lock a plan")),
}
"""Each status change: the statuses it starts from, where it leads, and what it is called."""


def transition_refusal(actor: Actor, state: PlanState, action: str) -> DomainError | None:
    """A status change: managers submit; directors return to draft, approve and lock."""
    allowed_from, to, what = TRANSITIONS[action]
    what = _(what)
    refusal = manager_refusal(actor, what) if action == "submit" else director_refusal(actor, what)
    if refusal:
        return refusal
    if state.status not in allowed_from:
        names = " or ".join(s.value for s in allowed_from)
        done = "approved" if to == PlanStatus.APPROVED else to.value
        return ValidationFailed(
            _("{label} is {value}; only a {names} plan can be {done}.").format(
                label=state.label, value=state.status.value, names=names, done=done
            )
        )
    return None


def commit_refusal(actor: Actor, person_id: int | None, region_id: int) -> DomainError | None:
    """Whose bottom-up figures the actor may enter: a rep their own; a manager the regions
    they manage and the reps in them; directors and administrators anyone's."""
    if refusal := active_refusal(actor):
        return refusal
    if actor.sees_everything:
        return None
    if actor.role == Role.REP:
        if person_id is None or person_id != actor.id:
            return PermissionDenied(_("A rep enters commitments to the plan for themselves only."))
        return None
    if actor.role == Role.MANAGER and in_scope(actor, region_id):
        return None
    return PermissionDenied(
        _("You can only enter commitments to the plan for the regions you manage.")
    )


class PlanPermissions(BaseModel):
    """What the acting user may do with one plan version, decided by the rules above."""

    model_config = ConfigDict(frozen=True)

    can_allocate: bool
    """Set the company target and allocate it again (a closed plan: as a new version)."""
    can_submit: bool
    can_approve: bool
    can_return_to_draft: bool
    can_lock: bool
    can_new_version: bool
    can_upload: bool
    can_compare: bool
    can_edit: bool
    """Change targets somewhere in this plan (a manager: in their own subtree)."""
    edit_starts_new_version: bool
    """Saving a change makes a new draft version (the plan is approved or locked)."""
    allocate_starts_new_version: bool
    """Allocating again makes a new draft version instead of replacing this one's figures."""


def plan_permissions(actor: Actor, state: PlanState) -> PlanPermissions:
    """The flags of one plan version for the acting user."""
    own_region = next(iter(sorted(actor.scope_region_ids or ())), None)
    if actor.sees_everything:
        can_edit = grid_edit_refusal(actor, state, 0) is None
    elif actor.role == Role.MANAGER and own_region is not None:
        can_edit = grid_edit_refusal(actor, state, own_region) is None
    else:
        can_edit = False
    return PlanPermissions(
        can_allocate=allocate_refusal(actor) is None,
        can_submit=transition_refusal(actor, state, "submit") is None,
        can_approve=transition_refusal(actor, state, "approve") is None,
        can_return_to_draft=transition_refusal(actor, state, "return_to_draft") is None,
        can_lock=transition_refusal(actor, state, "lock") is None,
        can_new_version=new_version_refusal(actor, state) is None,
        can_upload=upload_refusal(actor, state) is None,
        can_compare=manager_refusal(actor, _("compare plan versions")) is None,
        can_edit=can_edit,
        edit_starts_new_version=can_edit and state.status in CLOSED,
        allocate_starts_new_version=state.status in CLOSED,
    )
