"""Deal services: moving through the standard stages, edits, deal teams, checklists, cash.

Rules (decided here and in `core.pipeline.rules`, not in the UI):
- A move is checked by the stage rules (`rules.check_move`): next stage only, exit checklist
  ticked, roles on the team filled by people who have those functions; a manager may override
  with a reason. Closing freezes the region credited: the owner's region on that day.
- A deal-team role that is a known function (`core.pipeline.team`) is given only to a person
  who has that function, and a rep cannot put herself on her own deal's team in one: the rule
  asks for a second person. Other roles are labels that meet no stage rule.
- Every move writes stage history (who, when, from, to, amount, reason).
- Lost: the reason is picked from the administrator's list (`core.pipeline.lost_reasons`), with
  an optional note; the reason's name is kept on the deal as worded that day.
- Reopening a lost deal (`reopen_lost_deal`): a manager or above for deals in their area, with
  a reason; the deal goes back to the open stage it was lost from (the first stage when that
  stage is not an open stage any more) and the reopen is in the stage history and audit log.
- Moving the expected close later counts a slip.
- Concurrent edits: every save names the version the user saw; if someone saved in between, the
  save is refused with a message naming who changed the deal. Nothing is overwritten.
- After won: contract signed -> invoiced -> paid, each with a date and an amount.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from core import clock
from core.currency import currency_code
from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.i18n import _
from core.models import Actor, CashStatus, DealStatus, ForecastCategory, Money, Role
from core.org import audit
from core.org.access import ensure_can_edit_record, in_scope
from core.pipeline import shares, stage_stays
from core.pipeline.lost_reasons import offered_reason
from core.pipeline.rules import (
    EditConflict,
    check_move,
    counts_as_slip,
    ensure_current_version,
    next_cash_step,
    roles_met,
)
from core.pipeline.stages import stage_rules
from core.pipeline.team import canonical_function, team_seats
from db.schema import Deal, DealStageHistory, DealTeamMember, Person, Stage

# --- loading and permissions --------------------------------------------------------------


def load_deal(session: Session, deal_id: int) -> Deal:
    """The deal row (for the services and views of this package); refused when missing."""
    deal = session.get(Deal, deal_id)
    if deal is None:
        raise NotFound(_("No deal with id {deal_id}.").format(deal_id=deal_id))
    return deal


def _team_person_ids(session: Session, deal_id: int) -> set[int]:
    return set(
        session.scalars(select(DealTeamMember.person_id).where(DealTeamMember.deal_id == deal_id))
    )


def ensure_can_edit_deal(actor: Actor, deal: Deal) -> None:
    """Reps edit own deals, managers deals in their subtree, directors and admins all."""
    ensure_can_edit_record(actor, owner_id=deal.owner_id, region_id=deal.region_id, what="deal")


def ensure_can_view_deal(session: Session, actor: Actor, deal: Deal) -> None:
    """Owner, deal-team members, managers of the deal's region, directors and admins."""
    if actor.sees_everything or deal.owner_id == actor.id:
        return
    if actor.role == Role.MANAGER and in_scope(actor, deal.region_id):
        return
    if actor.id in _team_person_ids(session, deal.id):
        return
    if deal.credit_shared and shares.credited_to(session, deal.id, actor.id):
        return
    raise PermissionDenied(
        _("You can only open your own deals, deals you work on, or your area's.")
    )


def check_version(session: Session, actor: Actor, deal: Deal, seen_version: int) -> None:
    """Refuse an edit made on an older copy of the deal, naming who changed it since (the
    actor themselves, from another window, is told so)."""
    if seen_version == deal.version:
        return  # the usual case: no lookup of who saved last
    changed_by = session.get(Person, deal.updated_by_id) if deal.updated_by_id else None
    ensure_current_version(
        seen_version,
        deal.version,
        changed_by.name if changed_by else None,
        deal.updated_at,
        by_you=deal.updated_by_id is not None and deal.updated_by_id == actor.id,
    )


def save_deal(session: Session, by_id: int | None, deal: Deal) -> None:
    """Stamp who changed the deal and flush; every save versions the deal (even a second one
    within the same second), and a concurrent save in between is refused. The caller has
    checked the permission."""
    deal.updated_by_id = by_id
    deal.updated_at = datetime.now().replace(microsecond=0)
    flag_modified(deal, "updated_at")
    try:
        session.flush()
    except StaleDataError as exc:
        raise EditConflict(
            _(
                "Someone else saved this deal a moment ago; your change was not saved. "
                "Reload the deal and try again."
            )
        ) from exc


def _snapshot(deal: Deal) -> dict:
    return {
        "stage_id": deal.stage_id,
        "status": deal.status,
        "amount": deal.amount,
        "currency": deal.currency,
        "expected_close": deal.expected_close,
        "closed_on": deal.closed_on,
        "lost_reason": deal.lost_reason,
        "lost_reason_id": deal.lost_reason_id,
        "lost_note": deal.lost_note,
        "quantity": deal.quantity,
        "next_step": deal.next_step,
        "forecast_category": deal.forecast_category,
        "close_date_changes": deal.close_date_changes,
        "checklist_done": list(deal.checklist_done or []),
        "cash_status": deal.cash_status,
        "region_id": deal.region_id,
    }


# --- services -----------------------------------------------------------------------------


class DealMove(BaseModel):
    """A request to move a deal to another stage."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    to_stage_id: int
    seen_version: int
    reason: str | None = Field(default=None, max_length=300)
    override: bool = False
    closed_on: date | None = None
    amount: Money | None = None
    lost_reason_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    """The reason from the administrator's list (a move to lost needs one)."""
    lost_note: str | None = Field(default=None, max_length=2000)


def _clear_lost(deal: Deal) -> None:
    deal.lost_reason = deal.lost_reason_id = deal.lost_note = None


def move_deal(
    session: Session, actor: Actor, deal_id: int, move: DealMove, *, today: date | None = None
) -> str:
    """Move a deal to another stage under the stage rules; returns the kind of move."""
    today = today or clock.today()
    deal = load_deal(session, deal_id)
    ensure_can_edit_deal(actor, deal)
    check_version(session, actor, deal, move.seen_version)
    rules = stage_rules(session)
    by_id = {rule.id: rule for rule in rules}
    if move.to_stage_id not in by_id:
        raise ValidationFailed(
            _("No stage with id {to_stage_id}.").format(to_stage_id=move.to_stage_id)
        )
    current, target = by_id[deal.stage_id], by_id[move.to_stage_id]
    lost_reason = None
    if target.is_lost and current.is_open:
        lost_reason = offered_reason(session, move.lost_reason_id)
    kind = check_move(
        stages=rules,
        current=current,
        target=target,
        actor_role=actor.role,
        checklist_done=deal.checklist_done or [],
        team_roles=roles_met(team_seats(session, deal.id)),
        override=move.override,
        reason=move.reason,
        closed_on=move.closed_on,
        amount=move.amount,
        lost_reason=lost_reason.name if lost_reason else None,
        today=today,
    )
    before = _snapshot(deal)
    deal.stage_id = target.id
    deal.stage_entered_on = today
    if target.is_won or target.is_lost or not current.is_open:  # closed, or open again
        owner_region = session.scalar(select(Person.region_id).where(Person.id == deal.owner_id))
        deal.region_id = owner_region or deal.region_id
        shares.freeze_regions(session, deal)
    if target.is_won:
        deal.status = DealStatus.WON
        deal.closed_on = move.closed_on
        if move.amount is not None:  # check_move refuses a won move without it
            deal.amount = move.amount
        _clear_lost(deal)
    elif target.is_lost and lost_reason is not None:  # check_move refuses lost without it
        deal.status = DealStatus.LOST
        deal.closed_on = move.closed_on or today
        deal.lost_reason, deal.lost_reason_id = lost_reason.name, lost_reason.id
        deal.lost_note = (move.lost_note or "").strip() or None
    else:
        deal.status = DealStatus.OPEN
        deal.closed_on = None
        _clear_lost(deal)
        deal.cash_status = None
    reason = move.reason
    if kind == "override" or (kind == "won" and move.override and reason):
        reason = f"Override: {reason}"
    elif kind == "lost":
        reason = reason or deal.lost_reason
    session.add(
        DealStageHistory(
            deal_id=deal.id,
            from_stage_id=current.id,
            to_stage_id=target.id,
            changed_by_id=actor.id,
            changed_at=datetime.now().replace(microsecond=0),
            amount=deal.amount,
            reason=reason,
        )
    )
    save_deal(session, actor.id, deal)
    stage_stays.refresh_stays(session.connection(), [deal.id])
    audit.record(
        session, actor, f"deal.move.{kind}", "deal", deal.id, before=before, after=_snapshot(deal)
    )
    return kind


class DealReopen(BaseModel):
    """A request to reopen a lost deal, with the reason it is worth pursuing again."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    seen_version: int
    reason: str = Field(max_length=300)


def reopen_stage_id(session: Session, deal: Deal) -> int:
    """The open stage a lost deal goes back to: the one it was lost from, else the first."""
    rules = stage_rules(session)
    open_ids = [rule.id for rule in sorted(rules, key=lambda r: r.position) if rule.is_open]
    if not open_ids:
        raise ValidationFailed(_("No open stage is set up; an administrator adds stages first."))
    lost_from = session.scalar(
        select(DealStageHistory.from_stage_id)
        .where(DealStageHistory.deal_id == deal.id, DealStageHistory.to_stage_id == deal.stage_id)
        .order_by(DealStageHistory.changed_at.desc(), DealStageHistory.id.desc())
        .limit(1)
    )
    return lost_from if lost_from in open_ids else open_ids[0]


def reopen_lost_deal(
    session: Session, actor: Actor, deal_id: int, request: DealReopen, *, today: date | None = None
) -> int:
    """Reopen a lost deal (a manager or above, in their area, with a reason); returns the id of
    the open stage it is back in. The lost reason and note stay in the audit log's before."""
    deal = load_deal(session, deal_id)
    ensure_can_edit_deal(actor, deal)
    if deal.status != DealStatus.LOST:
        raise ValidationFailed(_("Only a lost deal can be reopened."))
    if actor.role not in {Role.MANAGER, Role.DIRECTOR, Role.ADMIN}:
        raise PermissionDenied(_("Only a manager or above may reopen a lost deal."))
    if not request.reason:
        raise ValidationFailed(_("Give a reason for reopening the deal."))
    stage_id = reopen_stage_id(session, deal)
    move = DealMove(to_stage_id=stage_id, seen_version=request.seen_version, reason=request.reason)
    move_deal(session, actor, deal_id, move, today=today)
    return stage_id


class DealUpdate(BaseModel):
    """Fields of an open deal a rep keeps current; only the fields given are changed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    amount: Money | None = None
    expected_close: date | None = None
    next_step: str | None = Field(default=None, max_length=300)
    forecast_category: ForecastCategory | None = None
    currency: str | None = Field(default=None, max_length=3)
    """ISO 4217 code of the amount."""


def update_deal(
    session: Session, actor: Actor, deal_id: int, seen_version: int, changes: DealUpdate
) -> None:
    """Change an open deal's next step, close date, amount or forecast category.
    Moving the expected close later counts as a slip."""
    deal = load_deal(session, deal_id)
    ensure_can_edit_deal(actor, deal)
    check_version(session, actor, deal, seen_version)
    if deal.status != DealStatus.OPEN:
        raise ValidationFailed(_("Only open deals can be edited; reopen the deal first."))
    values = changes.model_dump(exclude_unset=True)
    if not values:
        return
    before = _snapshot(deal)
    if "expected_close" in values:
        new_close = values["expected_close"]
        if new_close is None:
            raise ValidationFailed(_("The expected close date cannot be empty."))
        if counts_as_slip(deal.expected_close, new_close):
            deal.close_date_changes = (deal.close_date_changes or 0) + 1
        deal.expected_close = new_close
    if values.get("amount") is not None:
        deal.amount = values["amount"]
    if values.get("currency"):
        deal.currency = currency_code(values["currency"])
    if "next_step" in values:
        deal.next_step = values["next_step"] or None
    if values.get("forecast_category") is not None:
        deal.forecast_category = values["forecast_category"]
    if values.get("name"):
        deal.name = values["name"]
    save_deal(session, actor.id, deal)
    slipped = deal.close_date_changes != before["close_date_changes"]
    audit.record(
        session,
        actor,
        "deal.slip" if slipped else "deal.update",
        "deal",
        deal.id,
        before=before,
        after=_snapshot(deal),
    )


def tick_checklist_item(
    session: Session, actor: Actor, deal_id: int, seen_version: int, item: str, done: bool
) -> int:
    """Tick (or untick) one exit-checklist item of the deal's current stage; returns the
    deal's new version."""
    deal = load_deal(session, deal_id)
    ensure_can_edit_deal(actor, deal)
    check_version(session, actor, deal, seen_version)
    stage = session.get_one(Stage, deal.stage_id)
    if item not in (stage.exit_checklist or []):
        raise ValidationFailed(
            _("'{item}' is not on the exit checklist of {name}.").format(item=item, name=stage.name)
        )
    before = _snapshot(deal)
    ticked = [i for i in (deal.checklist_done or []) if i != item]
    deal.checklist_done = [*ticked, item] if done else ticked  # a new list: JSON change tracked
    save_deal(session, actor.id, deal)
    audit.record(
        session, actor, "deal.checklist", "deal", deal.id, before=before, after=_snapshot(deal)
    )
    return deal.version


def add_team_member(session: Session, actor: Actor, deal_id: int, person_id: int, role: str) -> int:
    """Put a person on the deal team in a role (pre-sales engineer, executive sponsor...). A
    role that is a known function needs a person who has it, and never the rep herself."""
    deal = load_deal(session, deal_id)
    ensure_can_edit_deal(actor, deal)
    role = (role or "").strip()
    if not role or len(role) > 60:
        raise ValidationFailed(_("Give the team role (at most 60 characters)."))
    person = session.get(Person, person_id)
    if person is None or not person.active:
        raise ValidationFailed(_("Pick an active person for the deal team."))
    function = canonical_function(session, role)
    if function is not None:
        role = function
        if actor.role == Role.REP and person_id == actor.id:
            raise PermissionDenied(
                _(
                    "You cannot fill the {function} role on your own deal team; add a "
                    "colleague who has that function."
                ).format(function=function)
            )
        has = {f.casefold() for f in (person.functions or [])}
        if function.casefold() not in has:
            raise ValidationFailed(
                _(
                    "{name} does not have the {function} function, so cannot fill that "
                    "role on the deal team. An administrator sets people's functions on "
                    "the Organisation page."
                ).format(name=person.name, function=function)
            )
    clash = session.scalar(
        select(DealTeamMember.id).where(
            DealTeamMember.deal_id == deal.id,
            DealTeamMember.person_id == person_id,
            DealTeamMember.role == role,
        )
    )
    if clash:
        raise ValidationFailed(
            _("{name} is already on the team as {role}.").format(name=person.name, role=role)
        )
    member = DealTeamMember(deal_id=deal.id, person_id=person_id, role=role)
    session.add(member)
    session.flush()
    audit.record(
        session,
        actor,
        "deal.team.add",
        "deal",
        deal.id,
        after={"person_id": person_id, "person": person.name, "role": role},
    )
    return member.id


def remove_team_member(session: Session, actor: Actor, member_id: int) -> None:
    member = session.get(DealTeamMember, member_id)
    if member is None:
        raise NotFound(_("That team member is no longer on the deal."))
    deal = load_deal(session, member.deal_id)
    ensure_can_edit_deal(actor, deal)
    audit.record(
        session,
        actor,
        "deal.team.remove",
        "deal",
        deal.id,
        before={"person_id": member.person_id, "role": member.role},
    )
    session.delete(member)
    session.flush()


class CashStep(BaseModel):
    """One lead-to-cash step of a won deal: contract signed, invoiced or paid."""

    model_config = ConfigDict(extra="forbid")

    step: CashStatus
    on: date
    amount: Money
    seen_version: int


def record_cash_step(
    session: Session, actor: Actor, deal_id: int, data: CashStep, *, today: date | None = None
) -> None:
    """Record the next lead-to-cash step; steps come in order and their dates never go back."""
    today = today or clock.today()
    deal = load_deal(session, deal_id)
    ensure_can_edit_deal(actor, deal)
    check_version(session, actor, deal, data.seen_version)
    if deal.status != DealStatus.WON:
        raise ValidationFailed(_("Contract, invoice and payment are recorded on won deals only."))
    expected = next_cash_step(deal.cash_status)
    if expected is None:
        raise ValidationFailed(_("This deal is already paid."))
    if data.step != expected:
        raise ValidationFailed(
            _("The next step is {replace}, not {replace_2}.").format(
                replace=expected.value.replace("_", " "),
                replace_2=data.step.value.replace("_", " "),
            )
        )
    if data.on > today:
        raise ValidationFailed(_("The date cannot be in the future."))
    if data.amount <= 0:
        raise ValidationFailed(_("The amount must be more than zero."))
    previous = {CashStatus.INVOICED: deal.contract_signed_on, CashStatus.PAID: deal.invoiced_on}
    earlier = previous.get(data.step)
    if earlier is not None and data.on < earlier:
        raise ValidationFailed(
            _("The date cannot be before the previous step ({earlier}).").format(earlier=earlier)
        )
    before = _snapshot(deal)
    if data.step == CashStatus.CONTRACT_SIGNED:
        deal.contract_signed_on, deal.contract_amount = data.on, data.amount
    elif data.step == CashStatus.INVOICED:
        deal.invoiced_on, deal.invoiced_amount = data.on, data.amount
    else:
        deal.paid_on, deal.paid_amount = data.on, data.amount
    deal.cash_status = data.step
    save_deal(session, actor.id, deal)
    audit.record(
        session, actor, f"deal.cash.{data.step.value}", "deal", deal.id, before=before,
        after={**_snapshot(deal), "on": data.on, "amount": data.amount},
    )  # fmt: skip


__all__ = [
    "CashStep",
    "DealMove",
    "DealReopen",
    "DealUpdate",
    "add_team_member",
    "ensure_can_edit_deal",
    "ensure_can_view_deal",
    "load_deal",
    "move_deal",
    "record_cash_step",
    "remove_team_member",
    "reopen_lost_deal",
    "reopen_stage_id",
    "tick_checklist_item",
    "update_deal",
]
