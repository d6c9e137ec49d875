"""Ownership: handing customers to another owner, and merging a duplicate into its survivor.

Only managers (within the regions they manage) and above hand customers over or merge them;
every customer and deal moved gets an audit entry in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.customers.archive import get_customer
from core.customers.editing import active_owner, audited_profile
from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.i18n import _
from core.models import Actor, DealStatus, Role
from core.org import audit
from core.org.access import ensure_role, in_scope
from db.base import Base
from db.results import affected_rows
from db.schema import Activity, Contact, Customer, Deal, FollowUp, FollowUpStatus, Person

_CHUNK = 500  # ids per IN (...) list: well inside every driver's parameter limit


class ReassignResult(BaseModel):
    customers: int
    deals: int


class MergeResult(BaseModel):
    survivor_id: int
    contacts: int
    deals: int
    activities: int


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _ensure_can_move(actor: Actor, customers: Sequence[tuple[int, int]]) -> None:
    outside = [cid for cid, region_id in customers if not in_scope(actor, region_id)]
    if outside:
        raise PermissionDenied(
            _(
                "{count} of these customers are outside the regions you manage; "
                "nothing was reassigned."
            ).format(count=len(outside))
        )


def reassign_customers(
    session: Session,
    actor: Actor,
    customer_ids: Sequence[int],
    new_owner_id: int,
    *,
    with_open_deals: bool = False,
    reason: str | None = None,
) -> ReassignResult:
    """Hand customers to another owner (managers within own subtree, directors anywhere). With
    `with_open_deals`, the open deals the former owner held on them move too, credited from
    then on to the new owner's region. Every customer and deal moved gets an audit entry with
    from and to. All or nothing."""
    ensure_role(actor, Role.MANAGER, action=_("reassign customers"))
    ids = sorted(set(customer_ids))
    if not ids:
        raise ValidationFailed(_("Choose at least one customer to reassign."))
    new_owner = active_owner(session, new_owner_id)
    if not in_scope(actor, new_owner.region_id):
        raise PermissionDenied(
            _("{name} works outside the regions you manage.").format(name=new_owner.name)
        )
    rows: list[tuple[int, int, int | None]] = []
    for chunk in _chunks(ids):
        rows.extend(
            session.execute(
                select(Customer.id, Customer.region_id, Customer.owner_id).where(
                    Customer.id.in_(chunk)
                )
            ).all()
        )
    if len(rows) != len(ids):
        missing = sorted(set(ids) - {r[0] for r in rows})
        raise NotFound(_("No customer with id {map}.").format(map=", ".join(map(str, missing[:5]))))
    _ensure_can_move(actor, [(r[0], r[1]) for r in rows])
    moving = [r for r in rows if r[2] != new_owner.id]
    names = dict(session.execute(select(Person.id, Person.name)).all())
    now = datetime.now()
    moved_deals = 0
    by_former: dict[int | None, list[int]] = {}
    for cid, __, former in moving:
        by_former.setdefault(former, []).append(cid)
    for former, cids in by_former.items():
        for chunk in _chunks(cids):
            session.execute(
                update(Customer)
                .where(Customer.id.in_(chunk))
                .values(owner_id=new_owner.id)
                .execution_options(synchronize_session=False)
            )
            for cid in chunk:
                audit.record(
                    session,
                    actor,
                    "reassign",
                    "customer",
                    cid,
                    before={
                        "owner_id": former,
                        "owner": names.get(former) if former is not None else None,
                    },
                    after={
                        "owner_id": new_owner.id,
                        "owner": new_owner.name,
                        "with_open_deals": with_open_deals,
                        "reason": reason,
                    },
                )
            moved_ids: list[int] = []
            if with_open_deals and former is not None:
                deals = session.execute(
                    select(Deal.id, Deal.region_id).where(
                        Deal.customer_id.in_(chunk),
                        Deal.status == DealStatus.OPEN.value,
                        Deal.owner_id == former,
                    )
                ).all()
                if deals:
                    session.execute(
                        update(Deal)
                        .where(Deal.id.in_([d[0] for d in deals]))
                        .values(
                            owner_id=new_owner.id,
                            region_id=new_owner.region_id,
                            version=Deal.version + 1,
                            updated_at=now,
                            updated_by_id=actor.id,
                        )
                        .execution_options(synchronize_session=False)
                    )
                for deal_id, old_region in deals:
                    audit.record(
                        session,
                        actor,
                        "reassign",
                        "deal",
                        deal_id,
                        before={"owner_id": former, "region_id": old_region},
                        after={"owner_id": new_owner.id, "region_id": new_owner.region_id},
                    )
                moved_deals += len(deals)
                moved_ids = [d[0] for d in deals]
            if former is not None:
                _move_open_follow_ups(session, former, new_owner.id, chunk, moved_ids)
    session.expire_all()
    return ReassignResult(customers=len(moving), deals=moved_deals)


def _move_open_follow_ups(
    session: Session,
    former: int,
    new_owner_id: int,
    customer_ids: Sequence[int],
    deal_ids: list[int],
) -> None:
    """The former owner's open follow-ups go with what is handed over: those on the moved
    deals and those on the handed-over customers themselves (not on a deal that stays)."""
    on_customer = (FollowUp.deal_id.is_(None)) & FollowUp.customer_id.in_(customer_ids)
    handed_over = (on_customer | FollowUp.deal_id.in_(deal_ids)) if deal_ids else on_customer
    session.execute(
        update(FollowUp)
        .where(
            FollowUp.owner_id == former,
            FollowUp.status != FollowUpStatus.DONE.value,
            handed_over,
        )
        .values(owner_id=new_owner_id)
        .execution_options(synchronize_session=False)
    )


def customer_ids_of_owner(session: Session, owner_id: int) -> list[int]:
    """Every customer a person owns: the book handed over when they leave."""
    return list(
        session.scalars(
            select(Customer.id).where(Customer.owner_id == owner_id).order_by(Customer.id)
        )
    )


def reassign_book(
    session: Session,
    actor: Actor,
    former_owner_id: int,
    new_owner_id: int,
    *,
    with_open_deals: bool = True,
    reason: str | None = None,
) -> ReassignResult:
    """Hand every customer of one person (e.g. a rep who leaves) to another, in one action."""
    if former_owner_id == new_owner_id:
        raise ValidationFailed(_("Choose a different person to hand the customers to."))
    ids = customer_ids_of_owner(session, former_owner_id)
    if not ids:
        raise ValidationFailed(_("This person owns no customers; there is nothing to hand over."))
    return reassign_customers(
        session, actor, ids, new_owner_id, with_open_deals=with_open_deals, reason=reason
    )


def merge_customers(
    session: Session, actor: Actor, survivor_id: int, duplicate_id: int
) -> MergeResult:
    """Fold a duplicate into the surviving customer: its contacts, deals and activities move
    over, empty profile fields are filled from it, and the duplicate is deleted. Managers
    (both customers in own subtree) and above only; one audit entry keeps the duplicate."""
    ensure_role(actor, Role.MANAGER, action=_("merge customers"))
    if survivor_id == duplicate_id:
        raise ValidationFailed(_("Choose two different customers to merge."))
    survivor, duplicate = get_customer(session, survivor_id), get_customer(session, duplicate_id)
    _ensure_can_move(
        actor, [(survivor.id, survivor.region_id), (duplicate.id, duplicate.region_id)]
    )
    gone = {"id": duplicate.id, "external_id": duplicate.external_id, **audited_profile(duplicate)}
    moved: dict[type[Base], int] = {}
    for table in (Contact, Activity, FollowUp):
        moved[table] = affected_rows(
            session.execute(
                update(table)
                .where(table.customer_id == duplicate.id)
                .values(customer_id=survivor.id)
                .execution_options(synchronize_session=False)
            )
        )
    moved[Deal] = affected_rows(
        session.execute(
            update(Deal)
            .where(Deal.customer_id == duplicate.id)
            .values(customer_id=survivor.id, version=Deal.version + 1)
            .execution_options(synchronize_session=False)
        )
    )
    for field in ("industry", "segment"):
        if getattr(survivor, field) is None:
            setattr(survivor, field, getattr(duplicate, field))
    survivor.annual_potential = max(survivor.annual_potential, duplicate.annual_potential)
    days = [d for d in (survivor.last_activity_on, duplicate.last_activity_on) if d]
    survivor.last_activity_on = max(days) if days else None
    external_id = duplicate.external_id
    session.delete(duplicate)
    session.flush()
    if survivor.external_id is None and external_id:
        survivor.external_id = external_id
    audit.record(
        session,
        actor,
        "merge",
        "customer",
        survivor.id,
        before=gone,
        after={"contacts": moved[Contact], "deals": moved[Deal], "activities": moved[Activity]},
    )
    session.flush()
    return MergeResult(
        survivor_id=survivor.id,
        contacts=moved[Contact],
        deals=moved[Deal],
        activities=moved[Activity],
    )
