"""The lost reasons the administrator keeps: why deals are lost, from one list.

Rules:
- Only an administrator (or a director) adds, renames, retires, restores and reorders reasons.
- Names are unique, compared ignoring case and repeated spaces.
- A retired reason is offered no more (marking a deal lost, imports), but the deals lost for it
  keep it and the funnel still counts them under it. Reasons are never deleted, so a deal's
  reason always means what it meant when the deal was lost.
- A database whose list is still empty (no reason ever listed) starts it from the reasons of
  its first deal import (`core.transfer.kinds.deals`), as it gets the standard stages; after that
  an import maps its wording onto the list or is refused.
- Renaming a reason renames it in every figure (the funnel groups by the listed reason); the
  wording on the day a deal was lost stays on the deal (`Deal.lost_reason`).
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import NotFound, ValidationFailed
from core.i18n import _
from core.models import Actor, Role
from core.org import audit
from core.org.access import ensure_role
from core.pipeline.wording import listing
from db.schema import Deal, LostReason

STANDARD_LOST_REASONS = (
    "Price",
    "Competitor",
    "No decision",
    "Timing",
    "Product fit",
    "Budget cut",
)
"""A starting list for a database without one; the administrator adapts it."""

MAX_NAME = 200


class LostReasonRow(BaseModel):
    """One reason on the list, with how many deals were lost for it."""

    id: int
    name: str
    active: bool
    position: int
    deals: int = 0


def reason_key(name: str) -> str:
    """A reason's name compared ignoring case and repeated spaces."""
    return " ".join(name.split()).casefold()


def _clean(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise ValidationFailed(_("Give the lost reason a name."))
    if len(cleaned) > MAX_NAME:
        raise ValidationFailed(
            _("A lost reason has at most {MAX_NAME} characters.").format(MAX_NAME=MAX_NAME)
        )
    return cleaned


def ensure_can_keep_lost_reasons(actor: Actor) -> None:
    """Administrators (and directors) keep the list."""
    ensure_role(actor, Role.ADMIN, action=_("change the list of lost reasons"))


def list_lost_reasons(session: Session, *, include_retired: bool = False) -> list[LostReasonRow]:
    """The list in its order (active reasons only unless `include_retired`), each with the
    number of deals lost for it. Everyone may read it: reps pick from it."""
    used = (
        select(Deal.lost_reason_id, func.count().label("n"))
        .where(Deal.lost_reason_id.is_not(None))
        .group_by(Deal.lost_reason_id)
        .subquery()
    )
    query = (
        select(
            LostReason.id,
            LostReason.name,
            LostReason.active,
            LostReason.position,
            func.coalesce(used.c.n, 0),
        )
        .outerjoin(used, used.c.lost_reason_id == LostReason.id)
        .order_by(LostReason.position, LostReason.id)
    )
    if not include_retired:
        query = query.where(LostReason.active.is_(True))
    return [
        LostReasonRow(id=i, name=n, active=bool(a), position=p, deals=int(c))
        for i, n, a, p, c in session.execute(query)
    ]


def reasons_on_offer(session: Session) -> list[tuple[int, str]]:
    """The active reasons as (id, name), in order: what a rep picks from when marking a deal
    lost (names only; the counts of deals are for the stages page)."""
    return [
        (i, n)
        for i, n in session.execute(
            select(LostReason.id, LostReason.name)
            .where(LostReason.active.is_(True))
            .order_by(LostReason.position, LostReason.id)
        )
    ]


def active_reason_names(session: Session) -> list[str]:
    """The names on offer, in order (for messages that list them)."""
    return list(
        session.scalars(
            select(LostReason.name)
            .where(LostReason.active.is_(True))
            .order_by(LostReason.position, LostReason.id)
        )
    )


def offered_list_text(session: Session) -> str:
    """The active reasons as a sentence part for refusals, or what to do when there are none."""
    names = active_reason_names(session)
    if not names:
        return _(
            "The list of lost reasons is empty; an administrator adds reasons on the Pipeline "
            "stages page."
        )
    return _("The lost reasons are: {names}.").format(names=listing(names))


def active_reasons_by_key(session: Session) -> dict[str, tuple[int, str]]:
    """Active reasons by their name compared ignoring case and spaces: (id, name)."""
    return {
        reason_key(name): (reason_id, name)
        for reason_id, name in session.execute(
            select(LostReason.id, LostReason.name).where(LostReason.active.is_(True))
        )
    }


def offered_reason(session: Session, reason_id: int | None) -> LostReason:
    """The active reason a deal is being marked lost for; refused when missing or retired,
    naming the list."""
    if reason_id is None:
        raise ValidationFailed(
            _("A lost deal needs a reason from the list. {offered}").format(
                offered=offered_list_text(session)
            )
        )
    reason = session.get(LostReason, reason_id)
    if reason is None or not reason.active:
        raise ValidationFailed(
            _("That lost reason is not on the list any more. {offered}").format(
                offered=offered_list_text(session)
            )
        )
    return reason


def _load(session: Session, reason_id: int) -> LostReason:
    reason = session.get(LostReason, reason_id)
    if reason is None:
        raise NotFound(
            _("No lost reason with id {reason_id}; reload the page.").format(reason_id=reason_id)
        )
    return reason


def _ensure_unique(session: Session, name: str, *, other_than: int | None = None) -> None:
    for reason_id, existing in session.execute(select(LostReason.id, LostReason.name)):
        if reason_id != other_than and reason_key(existing) == reason_key(name):
            raise ValidationFailed(
                _("'{existing}' is already on the list of lost reasons.").format(existing=existing)
            )


def add_lost_reason(session: Session, actor: Actor, name: str) -> int:
    """Add a reason at the end of the list; returns its id."""
    ensure_can_keep_lost_reasons(actor)
    cleaned = _clean(name)
    _ensure_unique(session, cleaned)
    last = session.scalar(select(func.max(LostReason.position))) or 0
    reason = LostReason(name=cleaned, active=True, position=last + 1)
    session.add(reason)
    session.flush()
    audit.record(
        session, actor, "lost_reason.add", "lost_reason", reason.id, after={"name": cleaned}
    )
    return reason.id


def rename_lost_reason(session: Session, actor: Actor, reason_id: int, name: str) -> None:
    """Rename a reason; the funnel shows the deals lost for it under the new name."""
    ensure_can_keep_lost_reasons(actor)
    reason = _load(session, reason_id)
    cleaned = _clean(name)
    if cleaned == reason.name:
        return
    _ensure_unique(session, cleaned, other_than=reason.id)
    before = {"name": reason.name}
    reason.name = cleaned
    session.flush()
    audit.record(
        session, actor, "lost_reason.rename", "lost_reason", reason.id,
        before=before, after={"name": cleaned},
    )  # fmt: skip


def _set_active(session: Session, actor: Actor, reason_id: int, active: bool) -> None:
    ensure_can_keep_lost_reasons(actor)
    reason = _load(session, reason_id)
    if reason.active == active:
        text = _("'{name}' is already on offer.") if active else _("'{name}' is already retired.")
        raise ValidationFailed(text.format(name=reason.name))
    reason.active = active
    session.flush()
    audit.record(
        session, actor, "lost_reason.restore" if active else "lost_reason.retire",
        "lost_reason", reason.id, before={"active": not active}, after={"active": active},
    )  # fmt: skip


def retire_lost_reason(session: Session, actor: Actor, reason_id: int) -> None:
    """Retire a reason: no longer offered, still on the deals lost for it."""
    _set_active(session, actor, reason_id, False)


def restore_lost_reason(session: Session, actor: Actor, reason_id: int) -> None:
    """Offer a retired reason again."""
    _set_active(session, actor, reason_id, True)


def reorder_lost_reasons(session: Session, actor: Actor, ordered_ids: list[int]) -> None:
    """Put the list in the order given; every reason, retired ones too, exactly once."""
    ensure_can_keep_lost_reasons(actor)
    reasons = {r.id: r for r in session.scalars(select(LostReason))}
    if len(ordered_ids) != len(set(ordered_ids)) or set(ordered_ids) != set(reasons):
        raise ValidationFailed(
            _(
                "The new order must name every lost reason exactly once; reload the "
                "page and try again."
            )
        )
    before = [r.id for r in sorted(reasons.values(), key=lambda r: (r.position, r.id))]
    for position, reason_id in enumerate(ordered_ids, start=1):
        reasons[reason_id].position = position
    session.flush()
    audit.record(
        session, actor, "lost_reason.reorder", "lost_reason",
        before={"order": before}, after={"order": list(ordered_ids)},
    )  # fmt: skip


def list_is_empty(session: Session) -> bool:
    """No reason was ever listed (retired ones count as listed)."""
    return not session.scalar(select(func.count()).select_from(LostReason))


def create_default_lost_reasons(session: Session, actor: Actor) -> int:
    """Start an empty list with the standard reasons; returns how many."""
    ensure_can_keep_lost_reasons(actor)
    if session.scalar(select(func.count()).select_from(LostReason)):
        raise ValidationFailed(_("The list of lost reasons is already set up; edit it instead."))
    for name in STANDARD_LOST_REASONS:
        add_lost_reason(session, actor, name)
    return len(STANDARD_LOST_REASONS)


__all__ = [
    "STANDARD_LOST_REASONS",
    "LostReasonRow",
    "active_reason_names",
    "active_reasons_by_key",
    "add_lost_reason",
    "create_default_lost_reasons",
    "ensure_can_keep_lost_reasons",
    "list_is_empty",
    "list_lost_reasons",
    "reasons_on_offer",
    "offered_list_text",
    "offered_reason",
    "rename_lost_reason",
    "reason_key",
    "reorder_lost_reasons",
    "restore_lost_reason",
    "retire_lost_reason",
]
