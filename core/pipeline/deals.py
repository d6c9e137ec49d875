"""Deals from lead to cash: moving through the standard stages, edits, deal teams, checklists.

Rules (decided here, not in the UI):
- Forwards a deal goes to the next stage only, and only when the exit checklist of its current
  stage is ticked and the roles the next stage needs are on the deal team. A manager (or above)
  may override that, or skip stages, with a reason; a rep may not.
- Backwards moves are allowed with a reason. Reopening a won or lost deal needs a manager.
- Won needs a closed-on date and the final amount; lost needs a lost reason. Closing freezes the
  region credited: the owner's region on that day.
- Every move writes stage history (who, when, from, to, amount, reason).
- Moving the expected close later counts a slip; a deal that slipped twice or more is slipping.
- Concurrent edits: every save names the version the user saw; if someone saved in between, the
  save is refused with a message naming who changed the deal. Nothing is overwritten.
- After won: contract signed -> invoiced -> paid, each with a date and an amount.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.models import (
    Actor,
    CashStatus,
    DealStatus,
    ForecastCategory,
    Money,
    Role,
)
from core.org import audit
from core.org.access import (
    ensure_active,
    ensure_can_edit_record,
    ensure_can_view_person,
    in_scope,
    scope_filter,
)
from core.org.company import fiscal_start_month
from core.org.regions import load_region_tree
from core.periods import parse_period
from db.schema import (
    Activity,
    Customer,
    Deal,
    DealStageHistory,
    DealTeamMember,
    Person,
    Stage,
)

SLIPPING_AFTER = 2
"""A deal whose expected close moved later this many times (or more) is slipping."""

OVERRIDERS = frozenset({Role.MANAGER, Role.DIRECTOR, Role.ADMIN})
CASH_STEPS = (CashStatus.CONTRACT_SIGNED, CashStatus.INVOICED, CashStatus.PAID)


class EditConflict(DomainError):
    """Someone else saved the deal after this user loaded it."""


# --- pure stage rules ---------------------------------------------------------------------


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
    done, roles = set(checklist_done), set(team_roles)
    blockers: list[str] = []
    for leaving in [current, *path[:-1]]:
        missing = [item for item in leaving.exit_checklist if item not in done]
        if missing:
            blockers.append(f"Exit checklist of {leaving.name} not ticked: {', '.join(missing)}")
    for entering in path:
        missing = [role for role in entering.required_roles if role not in roles]
        if missing:
            blockers.append(f"{entering.name} needs on the deal team: {', '.join(missing)}")
    if len(path) > 1:
        skipped = ", ".join(s.name for s in path[:-1])
        blockers.append(f"Moving to {target.name} skips {skipped}")
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
    today = today or date.today()
    reason = (reason or "").strip() or None
    if target.id == current.id:
        raise ValidationFailed(f"The deal is already in {current.name}.")
    if not current.is_open:
        if not target.is_open:
            raise ValidationFailed(
                f"The deal is {current.name.lower()}; reopen it to an open stage first."
            )
        if actor_role not in OVERRIDERS:
            raise PermissionDenied("Only a manager or above may reopen a won or lost deal.")
        if not reason:
            raise ValidationFailed("Give a reason for reopening the deal.")
        return "reopen"
    if target.is_lost:
        if not (lost_reason or "").strip():
            raise ValidationFailed("A lost deal needs a lost reason.")
        return "lost"
    if target.position < current.position:
        if not reason:
            raise ValidationFailed(f"Give a reason for moving the deal back to {target.name}.")
        return "backward"
    if target.is_won:
        if closed_on is None:
            raise ValidationFailed("A won deal needs the date it closed on.")
        if closed_on > today:
            raise ValidationFailed("The closed-on date cannot be in the future.")
        if amount is None or amount <= 0:
            raise ValidationFailed("A won deal needs its final amount (more than zero).")
    blockers = move_blockers(stages, current, target, checklist_done, team_roles)
    if not blockers:
        return "won" if target.is_won else "forward"
    if not override:
        raise ValidationFailed(
            f"Cannot move to {target.name} yet. "
            + "; ".join(blockers)
            + ". A manager can override with a reason."
        )
    if actor_role not in OVERRIDERS:
        raise PermissionDenied("Only a manager or above may override the stage rules.")
    if not reason:
        raise ValidationFailed("An override needs a reason.")
    return "won" if target.is_won else "override"


def counts_as_slip(old_close: date, new_close: date) -> bool:
    """Moving the expected close later is a slip; earlier is not."""
    return new_close > old_close


def is_slipping(close_date_changes: int) -> bool:
    return close_date_changes >= SLIPPING_AFTER


def ensure_current_version(
    seen_version: int, current_version: int, changed_by: str | None, changed_at: datetime | None
) -> None:
    """Refuse a save based on an old copy of the deal, naming who saved in between."""
    if seen_version == current_version:
        return
    who = changed_by or "Someone else"
    when = f" at {changed_at:%H:%M on %d %b %Y}" if changed_at else ""
    raise EditConflict(
        f"{who} changed this deal{when} after you opened it; your change was not saved. "
        "Reload the deal to see their change, then try again."
    )


def next_cash_step(cash_status: str | None) -> CashStatus | None:
    """The next lead-to-cash step after `cash_status` (None when paid)."""
    if cash_status is None:
        return CASH_STEPS[0]
    index = CASH_STEPS.index(CashStatus(cash_status))
    return CASH_STEPS[index + 1] if index + 1 < len(CASH_STEPS) else None


# --- loading and permissions --------------------------------------------------------------


def stage_rules(session: Session) -> list[StageRule]:
    return [
        StageRule(
            id=s.id,
            name=s.name,
            position=s.position,
            is_won=s.is_won,
            is_lost=s.is_lost,
            exit_checklist=tuple(s.exit_checklist or ()),
            required_roles=tuple(s.required_roles or ()),
        )
        for s in session.scalars(select(Stage).order_by(Stage.position))
    ]


def _deal(session: Session, deal_id: int) -> Deal:
    deal = session.get(Deal, deal_id)
    if deal is None:
        raise NotFound(f"No deal with id {deal_id}.")
    return deal


def _team_person_ids(session: Session, deal_id: int) -> set[int]:
    return set(
        session.scalars(select(DealTeamMember.person_id).where(DealTeamMember.deal_id == deal_id))
    )


def _team_roles(session: Session, deal_id: int) -> list[str]:
    return list(
        session.scalars(select(DealTeamMember.role).where(DealTeamMember.deal_id == deal_id))
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
    raise PermissionDenied("You can only open your own deals, deals you work on, or your area's.")


def _check_version(session: Session, deal: Deal, seen_version: int) -> None:
    changed_by = session.get(Person, deal.updated_by_id) if deal.updated_by_id else None
    ensure_current_version(
        seen_version, deal.version, changed_by.name if changed_by else None, deal.updated_at
    )


def _save(session: Session, actor: Actor, deal: Deal) -> None:
    """Stamp who changed the deal and flush; a concurrent save in between is refused."""
    deal.updated_by_id = actor.id
    deal.updated_at = datetime.now().replace(microsecond=0)
    try:
        session.flush()
    except StaleDataError as exc:
        raise EditConflict(
            "Someone else saved this deal a moment ago; your change was not saved. "
            "Reload the deal and try again."
        ) from exc


def _snapshot(deal: Deal) -> dict:
    return {
        "stage_id": deal.stage_id,
        "status": deal.status,
        "amount": deal.amount,
        "expected_close": deal.expected_close,
        "closed_on": deal.closed_on,
        "lost_reason": deal.lost_reason,
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
    lost_reason: str | None = Field(default=None, max_length=200)


def move_deal(
    session: Session, actor: Actor, deal_id: int, move: DealMove, *, today: date | None = None
) -> str:
    """Move a deal to another stage under the stage rules; returns the kind of move."""
    today = today or date.today()
    deal = _deal(session, deal_id)
    ensure_can_edit_deal(actor, deal)
    _check_version(session, deal, move.seen_version)
    rules = stage_rules(session)
    by_id = {rule.id: rule for rule in rules}
    if move.to_stage_id not in by_id:
        raise ValidationFailed(f"No stage with id {move.to_stage_id}.")
    current, target = by_id[deal.stage_id], by_id[move.to_stage_id]
    kind = check_move(
        stages=rules,
        current=current,
        target=target,
        actor_role=actor.role,
        checklist_done=deal.checklist_done or [],
        team_roles=_team_roles(session, deal.id),
        override=move.override,
        reason=move.reason,
        closed_on=move.closed_on,
        amount=move.amount,
        lost_reason=move.lost_reason,
        today=today,
    )
    before = _snapshot(deal)
    deal.stage_id = target.id
    deal.stage_entered_on = today
    if target.is_won or target.is_lost:
        owner_region = session.scalar(select(Person.region_id).where(Person.id == deal.owner_id))
        deal.region_id = owner_region or deal.region_id
    if target.is_won:
        deal.status = DealStatus.WON
        deal.closed_on = move.closed_on
        deal.amount = move.amount
        deal.lost_reason = None
    elif target.is_lost:
        deal.status = DealStatus.LOST
        deal.closed_on = move.closed_on or today
        deal.lost_reason = (move.lost_reason or "").strip()
    else:
        deal.status = DealStatus.OPEN
        deal.closed_on = None
        deal.lost_reason = None
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
    _save(session, actor, deal)
    audit.record(
        session, actor, f"deal.move.{kind}", "deal", deal.id, before=before, after=_snapshot(deal)
    )
    return kind


class DealUpdate(BaseModel):
    """Fields of an open deal a rep keeps current; only the fields given are changed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    amount: Money | None = None
    expected_close: date | None = None
    next_step: str | None = Field(default=None, max_length=300)
    forecast_category: ForecastCategory | None = None


def update_deal(
    session: Session, actor: Actor, deal_id: int, seen_version: int, changes: DealUpdate
) -> None:
    """Change an open deal's next step, close date, amount or forecast category.
    Moving the expected close later counts as a slip."""
    deal = _deal(session, deal_id)
    ensure_can_edit_deal(actor, deal)
    _check_version(session, deal, seen_version)
    if deal.status != DealStatus.OPEN:
        raise ValidationFailed("Only open deals can be edited; reopen the deal first.")
    values = changes.model_dump(exclude_unset=True)
    if not values:
        return
    before = _snapshot(deal)
    if "expected_close" in values:
        new_close = values["expected_close"]
        if new_close is None:
            raise ValidationFailed("The expected close date cannot be empty.")
        if counts_as_slip(deal.expected_close, new_close):
            deal.close_date_changes = (deal.close_date_changes or 0) + 1
        deal.expected_close = new_close
    if values.get("amount") is not None:
        deal.amount = values["amount"]
    if "next_step" in values:
        deal.next_step = values["next_step"] or None
    if values.get("forecast_category") is not None:
        deal.forecast_category = values["forecast_category"]
    if values.get("name"):
        deal.name = values["name"]
    _save(session, actor, deal)
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
) -> None:
    """Tick (or untick) one exit-checklist item of the deal's current stage."""
    deal = _deal(session, deal_id)
    ensure_can_edit_deal(actor, deal)
    _check_version(session, deal, seen_version)
    stage = session.get(Stage, deal.stage_id)
    if item not in (stage.exit_checklist or []):
        raise ValidationFailed(f"'{item}' is not on the exit checklist of {stage.name}.")
    before = _snapshot(deal)
    ticked = [i for i in (deal.checklist_done or []) if i != item]
    deal.checklist_done = [*ticked, item] if done else ticked  # a new list: JSON change tracked
    _save(session, actor, deal)
    audit.record(
        session, actor, "deal.checklist", "deal", deal.id, before=before, after=_snapshot(deal)
    )


def add_team_member(session: Session, actor: Actor, deal_id: int, person_id: int, role: str) -> int:
    """Put a person on the deal team in a role (pre-sales engineer, executive sponsor...)."""
    deal = _deal(session, deal_id)
    ensure_can_edit_deal(actor, deal)
    role = (role or "").strip()
    if not role or len(role) > 60:
        raise ValidationFailed("Give the team role (at most 60 characters).")
    person = session.get(Person, person_id)
    if person is None or not person.active:
        raise ValidationFailed("Pick an active person for the deal team.")
    clash = session.scalar(
        select(DealTeamMember.id).where(
            DealTeamMember.deal_id == deal.id,
            DealTeamMember.person_id == person_id,
            DealTeamMember.role == role,
        )
    )
    if clash:
        raise ValidationFailed(f"{person.name} is already on the team as {role}.")
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
        raise NotFound("That team member is no longer on the deal.")
    deal = _deal(session, member.deal_id)
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
    today = today or date.today()
    deal = _deal(session, deal_id)
    ensure_can_edit_deal(actor, deal)
    _check_version(session, deal, data.seen_version)
    if deal.status != DealStatus.WON:
        raise ValidationFailed("Contract, invoice and payment are recorded on won deals only.")
    expected = next_cash_step(deal.cash_status)
    if expected is None:
        raise ValidationFailed("This deal is already paid.")
    if data.step != expected:
        raise ValidationFailed(
            f"The next step is {expected.value.replace('_', ' ')}, "
            f"not {data.step.value.replace('_', ' ')}."
        )
    if data.on > today:
        raise ValidationFailed("The date cannot be in the future.")
    if data.amount <= 0:
        raise ValidationFailed("The amount must be more than zero.")
    previous = {CashStatus.INVOICED: deal.contract_signed_on, CashStatus.PAID: deal.invoiced_on}
    earlier = previous.get(data.step)
    if earlier is not None and data.on < earlier:
        raise ValidationFailed(f"The date cannot be before the previous step ({earlier}).")
    before = _snapshot(deal)
    if data.step == CashStatus.CONTRACT_SIGNED:
        deal.contract_signed_on, deal.contract_amount = data.on, data.amount
    elif data.step == CashStatus.INVOICED:
        deal.invoiced_on, deal.invoiced_amount = data.on, data.amount
    else:
        deal.paid_on, deal.paid_amount = data.on, data.amount
    deal.cash_status = data.step
    _save(session, actor, deal)
    audit.record(
        session, actor, f"deal.cash.{data.step.value}", "deal", deal.id, before=before,
        after={**_snapshot(deal), "on": data.on, "amount": data.amount},
    )  # fmt: skip


# --- queries ------------------------------------------------------------------------------


def _visible_deals(actor: Actor) -> list:
    """Which deals a list shows: a rep's own, a manager's subtree, everything for the rest."""
    return scope_filter(actor, owner=Deal.owner_id, region=Deal.region_id)


def my_open_deals(
    session: Session, actor: Actor, *, owner_id: int | None = None, limit: int = 300
) -> pd.DataFrame:
    """Open deals of the actor (or of a rep the actor may see), soonest expected close first,
    with what a rep needs on a phone."""
    ensure_active(actor)
    owner_id = actor.id if owner_id is None else owner_id
    if owner_id != actor.id:
        owner = session.get(Person, owner_id)
        if owner is None:
            raise NotFound(f"No person with id {owner_id}.")
        ensure_can_view_person(actor, person_id=owner.id, region_id=owner.region_id)
    query = (
        select(
            Deal.id,
            Deal.name,
            Customer.name.label("customer"),
            Stage.name.label("stage"),
            Deal.amount,
            Deal.expected_close,
            Deal.next_step,
            Deal.close_date_changes,
            Deal.version,
        )
        .join(Customer, Customer.id == Deal.customer_id)
        .join(Stage, Stage.id == Deal.stage_id)
        .where(Deal.owner_id == owner_id, Deal.status == DealStatus.OPEN)
        .order_by(Deal.expected_close, Deal.id)
        .limit(limit)
    )
    frame = pd.DataFrame(session.execute(query).all(), columns=list(query.selected_columns.keys()))
    frame["slipping"] = frame["close_date_changes"].map(lambda n: is_slipping(int(n)))
    return frame


class PipelineFilter(BaseModel):
    """Filters of the pipeline page; empty means everything the actor may see."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    region_id: int | None = None
    owner_id: int | None = None
    stage_ids: tuple[int, ...] = ()
    close_period: str | None = None
    forecast_categories: tuple[ForecastCategory, ...] = ()
    statuses: tuple[DealStatus, ...] = (DealStatus.OPEN,)


def _pipeline_where(session: Session, actor: Actor, filters: PipelineFilter) -> list:
    ensure_active(actor)
    where = _visible_deals(actor)
    if filters.region_id is not None:
        if actor.role == Role.REP or not in_scope(actor, filters.region_id):
            raise PermissionDenied("You can only filter on regions you manage.")
        where.append(Deal.region_id.in_(load_region_tree(session).subtree(filters.region_id)))
    if filters.owner_id is not None:
        where.append(Deal.owner_id == filters.owner_id)
    if filters.stage_ids:
        where.append(Deal.stage_id.in_(filters.stage_ids))
    if filters.close_period:
        period = parse_period(filters.close_period, fiscal_start_month(session))
        close = func.coalesce(Deal.closed_on, Deal.expected_close)
        where.append(close.between(period.start, period.end))
    if filters.forecast_categories:
        where.append(Deal.forecast_category.in_([c.value for c in filters.forecast_categories]))
    if filters.statuses:
        where.append(Deal.status.in_([s.value for s in filters.statuses]))
    return where


def pipeline_board(session: Session, actor: Actor, filters: PipelineFilter) -> pd.DataFrame:
    """One row per stage (all stages, in order): deals, amount and weighted amount."""
    where = _pipeline_where(session, actor, filters)
    totals = (
        select(
            Deal.stage_id,
            func.count().label("deals"),
            func.sum(Deal.amount).label("amount"),
        )
        .where(*where)
        .group_by(Deal.stage_id)
        .subquery()
    )
    query = (
        select(
            Stage.id.label("stage_id"),
            Stage.name.label("stage"),
            Stage.probability,
            func.coalesce(totals.c.deals, 0).label("deals"),
            func.coalesce(totals.c.amount, 0).label("amount"),
        )
        .outerjoin(totals, totals.c.stage_id == Stage.id)
        .order_by(Stage.position)
    )
    frame = pd.DataFrame(session.execute(query).all(), columns=list(query.selected_columns.keys()))
    frame["amount"] = frame["amount"].map(lambda v: Decimal(v).quantize(Decimal("0.01")))
    frame["weighted"] = [
        (Decimal(a) * Decimal(p)).quantize(Decimal("0.01"))
        for a, p in zip(frame["amount"], frame["probability"])
    ]
    frame["deals"] = frame["deals"].astype(int)
    return frame


def pipeline_deals(
    session: Session, actor: Actor, filters: PipelineFilter, *, limit: int = 2000
) -> pd.DataFrame:
    """The filtered deals as a table, soonest close first (at most `limit` rows)."""
    where = _pipeline_where(session, actor, filters)
    # Open deals have no closed-on date: ordering by the expected close alone lets the database
    # walk its (status, expected close) index instead of sorting every open deal.
    only_open = filters.statuses == (DealStatus.OPEN,)
    close = Deal.expected_close if only_open else func.coalesce(Deal.closed_on, Deal.expected_close)
    query = (
        select(
            Deal.id,
            Deal.name.label("deal"),
            Customer.name.label("customer"),
            Person.name.label("owner"),
            Stage.name.label("stage"),
            Deal.status,
            Deal.forecast_category,
            Deal.amount,
            (Deal.amount * Stage.probability).label("weighted"),
            Deal.expected_close,
            Deal.closed_on,
            Deal.close_date_changes.label("slips"),
            Deal.stage_entered_on,
            Deal.next_step,
            Deal.cash_status,
        )
        .join(Customer, Customer.id == Deal.customer_id)
        .join(Person, Person.id == Deal.owner_id)
        .join(Stage, Stage.id == Deal.stage_id)
        .where(*where)
        .order_by(close, Deal.id)
        .limit(limit)
    )
    frame = pd.DataFrame(session.execute(query).all(), columns=list(query.selected_columns.keys()))
    frame["weighted"] = frame["weighted"].map(lambda v: Decimal(v).quantize(Decimal("0.01")))
    return frame


def pipeline_top_deals(
    session: Session, actor: Actor, filters: PipelineFilter, *, per_stage: int = 5
) -> pd.DataFrame:
    """The largest deals of each stage (for the board's cards), ranked in SQL."""
    where = _pipeline_where(session, actor, filters)
    rank = (
        func.row_number()
        .over(partition_by=Deal.stage_id, order_by=(Deal.amount.desc(), Deal.id))
        .label("rank")
    )
    ranked = select(Deal.id, Deal.stage_id, rank).where(*where).subquery()
    query = (
        select(
            Deal.id,
            Stage.name.label("stage"),
            Deal.name.label("deal"),
            Customer.name.label("customer"),
            Deal.amount,
        )
        .join(ranked, ranked.c.id == Deal.id)
        .join(Stage, Stage.id == Deal.stage_id)
        .join(Customer, Customer.id == Deal.customer_id)
        .where(ranked.c.rank <= per_stage)
        .order_by(Stage.position, ranked.c.rank)
    )
    return pd.DataFrame(session.execute(query).all(), columns=list(query.selected_columns.keys()))


def pipeline_filter_options(session: Session, actor: Actor) -> dict[str, list[tuple[int, str]]]:
    """Regions (the actor's subtree) and reps a manager or director can filter on."""
    tree = load_region_tree(session)
    region_ids = set(tree.names) if actor.sees_everything else set(actor.scope_region_ids or ())
    regions = sorted(((r, tree.names[r]) for r in region_ids), key=lambda r: tree.path(r))
    labels = [(r, "· " * (len(tree.path(r)) - 1) + name) for r, name in regions]
    rep_query = select(Person.id, Person.name).where(Person.role == Role.REP).order_by(Person.name)
    if not actor.sees_everything:
        rep_query = rep_query.where(Person.region_id.in_(region_ids))
    reps = [(pid, name) for pid, name in session.execute(rep_query)]
    return {"regions": labels, "reps": reps}


class TeamMemberRow(BaseModel):
    id: int
    person_id: int
    person: str
    role: str


class HistoryRow(BaseModel):
    changed_at: datetime
    from_stage: str | None
    to_stage: str
    changed_by: str | None
    amount: Decimal
    reason: str | None


class ActivityRow(BaseModel):
    occurred_on: date
    type: str
    person: str
    outcome: str | None
    notes: str | None


class ChecklistItem(BaseModel):
    item: str
    done: bool


class DealDetail(BaseModel):
    """Everything the deal page shows: the deal, team, checklist, history, activities, cash."""

    id: int
    name: str
    customer_id: int
    customer: str
    owner_id: int
    owner: str
    region: str
    stage_id: int
    stage: str
    probability: Decimal
    status: DealStatus
    forecast_category: ForecastCategory
    amount: Decimal
    expected_close: date
    closed_on: date | None
    lost_reason: str | None
    next_step: str | None
    stage_entered_on: date
    max_days: int | None
    close_date_changes: int
    slipping: bool
    version: int
    updated_by: str | None
    updated_at: datetime | None
    next_stage_id: int | None
    next_stage: str | None
    blockers: list[str]
    checklist: list[ChecklistItem]
    team: list[TeamMemberRow]
    history: list[HistoryRow]
    activities: list[ActivityRow]
    cash_status: CashStatus | None
    next_cash_step: CashStatus | None
    contract_signed_on: date | None
    contract_amount: Decimal | None
    invoiced_on: date | None
    invoiced_amount: Decimal | None
    paid_on: date | None
    paid_amount: Decimal | None
    can_edit: bool


def deal_detail(
    session: Session, actor: Actor, deal_id: int, *, activities: int = 50
) -> DealDetail:
    """One deal with its team, checklist, stage history, latest activities and lead-to-cash."""
    deal = _deal(session, deal_id)
    ensure_can_view_deal(session, actor, deal)
    rules = stage_rules(session)
    by_id = {rule.id: rule for rule in rules}
    stage = session.get(Stage, deal.stage_id)
    current = by_id[deal.stage_id]
    following = next_stage(rules, current)
    team = [
        TeamMemberRow(id=mid, person_id=pid, person=name, role=role)
        for mid, pid, name, role in session.execute(
            select(DealTeamMember.id, Person.id, Person.name, DealTeamMember.role)
            .join(Person, Person.id == DealTeamMember.person_id)
            .where(DealTeamMember.deal_id == deal.id)
            .order_by(DealTeamMember.id)
        )
    ]
    done = list(deal.checklist_done or [])
    blockers = (
        move_blockers(rules, current, following, done, [m.role for m in team]) if following else []
    )
    changer = Person.__table__.alias("changer")
    history = [
        HistoryRow(
            changed_at=row.changed_at,
            from_stage=by_id[row.from_stage_id].name if row.from_stage_id in by_id else None,
            to_stage=by_id[row.to_stage_id].name if row.to_stage_id in by_id else "?",
            changed_by=row.name,
            amount=row.amount,
            reason=row.reason,
        )
        for row in session.execute(
            select(
                DealStageHistory.changed_at,
                DealStageHistory.from_stage_id,
                DealStageHistory.to_stage_id,
                DealStageHistory.amount,
                DealStageHistory.reason,
                changer.c.name,
            )
            .outerjoin(changer, changer.c.id == DealStageHistory.changed_by_id)
            .where(DealStageHistory.deal_id == deal.id)
            .order_by(DealStageHistory.changed_at.desc(), DealStageHistory.id.desc())
        )
    ]
    recent = [
        ActivityRow(occurred_on=a, type=t, person=p, outcome=o, notes=n)
        for a, t, p, o, n in session.execute(
            select(
                Activity.occurred_on, Activity.type, Person.name, Activity.outcome, Activity.notes
            )
            .join(Person, Person.id == Activity.person_id)
            .where(Activity.deal_id == deal.id)
            .order_by(Activity.occurred_on.desc(), Activity.id.desc())
            .limit(activities)
        )
    ]
    owner = session.get(Person, deal.owner_id)
    updater = session.get(Person, deal.updated_by_id) if deal.updated_by_id else None
    customer = session.get(Customer, deal.customer_id)
    tree = load_region_tree(session)
    try:
        ensure_can_edit_deal(actor, deal)
        can_edit = True
    except PermissionDenied:
        can_edit = False
    return DealDetail(
        id=deal.id,
        name=deal.name,
        customer_id=deal.customer_id,
        customer=customer.name,
        owner_id=deal.owner_id,
        owner=owner.name,
        region=tree.names.get(deal.region_id, "?"),
        stage_id=deal.stage_id,
        stage=stage.name,
        probability=stage.probability,
        status=DealStatus(deal.status),
        forecast_category=ForecastCategory(deal.forecast_category),
        amount=deal.amount,
        expected_close=deal.expected_close,
        closed_on=deal.closed_on,
        lost_reason=deal.lost_reason,
        next_step=deal.next_step,
        stage_entered_on=deal.stage_entered_on,
        max_days=stage.max_days,
        close_date_changes=deal.close_date_changes or 0,
        slipping=is_slipping(deal.close_date_changes or 0),
        version=deal.version,
        updated_by=updater.name if updater else None,
        updated_at=deal.updated_at,
        next_stage_id=following.id if following else None,
        next_stage=following.name if following else None,
        blockers=blockers,
        checklist=[ChecklistItem(item=i, done=i in done) for i in (stage.exit_checklist or [])],
        team=team,
        history=history,
        activities=recent,
        cash_status=CashStatus(deal.cash_status) if deal.cash_status else None,
        next_cash_step=next_cash_step(deal.cash_status) if deal.status == DealStatus.WON else None,
        contract_signed_on=deal.contract_signed_on,
        contract_amount=deal.contract_amount,
        invoiced_on=deal.invoiced_on,
        invoiced_amount=deal.invoiced_amount,
        paid_on=deal.paid_on,
        paid_amount=deal.paid_amount,
        can_edit=can_edit,
    )


def team_candidates(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """Active people who can join a deal team (everyone active: teams cross regions)."""
    ensure_active(actor)
    return [
        (pid, f"{name} ({role})")
        for pid, name, role in session.execute(
            select(Person.id, Person.name, Person.role)
            .where(Person.active.is_(True))
            .order_by(Person.name)
        )
    ]


__all__ = [
    "CASH_STEPS",
    "CashStep",
    "DealDetail",
    "DealMove",
    "DealUpdate",
    "EditConflict",
    "PipelineFilter",
    "StageRule",
    "add_team_member",
    "check_move",
    "counts_as_slip",
    "deal_detail",
    "ensure_can_edit_deal",
    "ensure_can_view_deal",
    "ensure_current_version",
    "is_slipping",
    "move_blockers",
    "move_deal",
    "my_open_deals",
    "next_cash_step",
    "next_stage",
    "pipeline_board",
    "pipeline_deals",
    "pipeline_filter_options",
    "pipeline_top_deals",
    "record_cash_step",
    "remove_team_member",
    "stage_rules",
    "tick_checklist_item",
    "update_deal",
]
