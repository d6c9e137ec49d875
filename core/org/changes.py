"""Changes to the organisation: regions, their managers, hire dates and moving people.

Directors and administrators make them; every change is audited in the same transaction.
A person's move dated in a later month is scheduled: nothing changes until its month starts,
then `apply_due_changes` (run at the start of every page view and command) carries it out.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from core import clock
from core.errors import NotFound, ValidationFailed
from core.i18n import _
from core.models import Actor, Role
from core.org import audit
from core.org.access import ensure_role
from core.org.regions import load_region_tree
from db.results import affected_rows
from db.schema import (
    CreditSplit,
    Deal,
    DealStatus,
    Person,
    PlanStatus,
    Region,
    RegionManager,
    ScheduledOrgChange,
    Target,
    TargetPlan,
)

MOVE_PERSON = "move_person"
SCHEDULED, APPLIED, CANCELLED = "scheduled", "applied", "cancelled"

SCHEDULER = Actor(id=None, name="Scheduled change", username="scheduler", role=Role.ADMIN)
"""Who carries out a scheduled change on its date; the audit entry names who scheduled it."""


def _ensure_org_admin(actor: Actor, action: str) -> None:
    ensure_role(actor, Role.DIRECTOR, action=action)


def _region(session: Session, region_id: int) -> Region:
    region = session.get(Region, region_id)
    if region is None:
        raise NotFound(_("No region with id {region_id}.").format(region_id=region_id))
    return region


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed(_("A region needs a name."))
    if len(name) > 120:
        raise ValidationFailed(_("A region name has at most 120 characters."))
    return name


def _ensure_unique_name(session: Session, name: str, except_id: int | None = None) -> None:
    clash = session.scalar(select(Region.id).where(func.lower(Region.name) == name.lower()))
    if clash is not None and clash != except_id:
        raise ValidationFailed(_("There is already a region called '{name}'.").format(name=name))


def add_region(session: Session, actor: Actor, name: str, parent_id: int) -> int:
    """A new region (or team) under an active parent."""
    _ensure_org_admin(actor, _("add regions"))
    name = _clean_name(name)
    parent = _region(session, parent_id)
    if not parent.active:
        raise ValidationFailed(
            _("{name} is retired; choose an active parent region.").format(name=parent.name)
        )
    _ensure_unique_name(session, name)
    region = Region(name=name, parent_id=parent.id, active=True)
    session.add(region)
    session.flush()
    audit.record(
        session, actor, "add", "region", region.id, after={"name": name, "parent": parent.name}
    )
    return region.id


def rename_region(session: Session, actor: Actor, region_id: int, name: str) -> None:
    _ensure_org_admin(actor, _("rename regions"))
    region = _region(session, region_id)
    name = _clean_name(name)
    _ensure_unique_name(session, name, except_id=region.id)
    audit.record(
        session,
        actor,
        "rename",
        "region",
        region.id,
        before={"name": region.name},
        after={"name": name},
    )
    region.name = name
    session.flush()


def move_region(session: Session, actor: Actor, region_id: int, new_parent_id: int) -> None:
    """Hang a region (with its subtree) under another parent; never under itself."""
    _ensure_org_admin(actor, _("move regions"))
    region = _region(session, region_id)
    parent = _region(session, new_parent_id)
    if region.parent_id is None:
        raise ValidationFailed(_("The company (the top of the tree) cannot be moved."))
    if parent.id in load_region_tree(session).subtree(region.id):
        raise ValidationFailed(
            _("{name} cannot move under {name2}: that region is part of its own subtree.").format(
                name=region.name, name2=parent.name
            )
        )
    if not parent.active:
        raise ValidationFailed(
            _("{name} is retired; choose an active parent region.").format(name=parent.name)
        )
    before = _region(session, region.parent_id).name
    region.parent_id = parent.id
    audit.record(
        session,
        actor,
        "move",
        "region",
        region.id,
        before={"parent": before},
        after={"parent": parent.name},
    )
    session.flush()


def retire_region(session: Session, actor: Actor, region_id: int) -> None:
    """Retire an empty region: no active sub-regions and no active people in it. Its history
    (targets, deals, customers) stays; new plans leave it out."""
    _ensure_org_admin(actor, _("retire regions"))
    region = _region(session, region_id)
    if region.parent_id is None:
        raise ValidationFailed(_("The company (the top of the tree) cannot be retired."))
    active_children = session.scalar(
        select(func.count()).where(Region.parent_id == region.id, Region.active.is_(True))
    )
    if active_children:
        raise ValidationFailed(
            _(
                "{name} still has {active_children} active sub-region(s); retire or "
                "move them first."
            ).format(name=region.name, active_children=active_children)
        )
    people = session.scalar(
        select(func.count()).where(Person.region_id == region.id, Person.active.is_(True))
    )
    if people:
        raise ValidationFailed(
            _("{name} still has {people} active people; move them to another region first.").format(
                name=region.name, people=people
            )
        )
    incoming = session.scalar(
        select(func.count()).where(
            ScheduledOrgChange.region_id == region.id, ScheduledOrgChange.status == SCHEDULED
        )
    )
    if incoming:
        raise ValidationFailed(
            _(
                "{incoming} scheduled move(s) into {name} are still to come; cancel them first."
            ).format(incoming=incoming, name=region.name)
        )
    region.active = False
    audit.record(
        session,
        actor,
        "retire",
        "region",
        region.id,
        before={"active": True},
        after={"active": False},
    )
    session.flush()


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(_("No person with id {person_id}.").format(person_id=person_id))
    return person


def assign_manager(session: Session, actor: Actor, region_id: int, person_id: int) -> None:
    """Make an active manager (or director) responsible for a region and its subtree."""
    _ensure_org_admin(actor, _("assign managers"))
    region = _region(session, region_id)
    person = _person(session, person_id)
    if not person.active or person.role not in (Role.MANAGER, Role.DIRECTOR):
        raise ValidationFailed(
            _(
                "{name} is not an active manager; only managers and directors manage regions."
            ).format(name=person.name)
        )
    exists = session.get(RegionManager, (region.id, person.id))
    if exists is not None:
        raise ValidationFailed(
            _("{name} already manages {name2}.").format(name=person.name, name2=region.name)
        )
    session.add(RegionManager(region_id=region.id, person_id=person.id))
    audit.record(
        session, actor, "assign_manager", "region", region.id, after={"manager": person.name}
    )
    session.flush()


def remove_manager(session: Session, actor: Actor, region_id: int, person_id: int) -> None:
    _ensure_org_admin(actor, _("remove managers"))
    link = session.get(RegionManager, (region_id, person_id))
    if link is None:
        raise NotFound(_("That person does not manage that region."))
    name = _person(session, person_id).name
    session.delete(link)
    audit.record(session, actor, "remove_manager", "region", region_id, before={"manager": name})
    session.flush()


def set_hire_date(session: Session, actor: Actor, person_id: int, hire_date: date | None) -> None:
    """The hire date drives the new-hire ramp of the next plans."""
    _ensure_org_admin(actor, _("set hire dates"))
    person = _person(session, person_id)
    audit.record(
        session,
        actor,
        "set_hire_date",
        "person",
        person.id,
        before={"hire_date": person.hire_date},
        after={"hire_date": hire_date},
    )
    person.hire_date = hire_date
    session.flush()


def _first_of_month(day: date) -> date:
    return date(day.year, day.month, 1)


def _scheduled_move(session: Session, person_id: int) -> ScheduledOrgChange | None:
    return session.scalar(
        select(ScheduledOrgChange).where(
            ScheduledOrgChange.person_id == person_id, ScheduledOrgChange.status == SCHEDULED
        )
    )


def _carry_out_move(session: Session, person: Person, target: Region, start: date) -> dict:
    """The move itself, from the month `start` on (see move_person); returns what moved."""
    tree = load_region_tree(session)
    moved_rows = 0
    open_plans = select(TargetPlan.id).where(TargetPlan.status != PlanStatus.LOCKED)
    rows = session.execute(
        select(Target.id, Target.plan_id, Target.region_id, Target.month, Target.amount).where(
            Target.person_id == person.id,
            Target.month >= start,
            Target.region_id != target.id,
            Target.plan_id.in_(open_plans),
        )
    ).all()
    new_path = set(tree.path(target.id))
    for row_id, plan_id, old_region, month, amount in rows:
        old_path = set(tree.path(old_region))
        for region, sign in [(r, -1) for r in old_path - new_path] + [
            (r, 1) for r in new_path - old_path
        ]:
            region_row = session.scalar(
                select(Target).where(
                    Target.plan_id == plan_id,
                    Target.region_id == region,
                    Target.person_id.is_(None),
                    Target.month == month,
                )
            )
            if region_row is None:
                region_row = Target(
                    plan_id=plan_id,
                    region_id=region,
                    person_id=None,
                    month=month,
                    amount=Decimal(0),
                    locked=False,
                )
                session.add(region_row)
            region_row.amount = Decimal(region_row.amount) + sign * Decimal(amount)
        session.execute(update(Target).where(Target.id == row_id).values(region_id=target.id))
        moved_rows += 1
    deals = affected_rows(
        session.execute(
            update(Deal)
            .where(
                Deal.owner_id == person.id,
                Deal.region_id != target.id,
                or_(
                    Deal.status == DealStatus.OPEN,
                    and_(Deal.status == DealStatus.WON, Deal.closed_on >= start),
                ),
            )
            .values(region_id=target.id)
        )
    )
    moving_deals = select(Deal.id).where(
        or_(
            Deal.status == DealStatus.OPEN,
            and_(Deal.status == DealStatus.WON, Deal.closed_on >= start),
        )
    )
    session.execute(  # the person's shares of split deals follow them, like their own deals
        update(CreditSplit)
        .where(CreditSplit.person_id == person.id, CreditSplit.deal_id.in_(moving_deals))
        .values(region_id=target.id)
    )
    before = _region(session, person.region_id).name if person.region_id else None
    person.region_id = target.id
    session.flush()
    return {"region_before": before, "target_rows": moved_rows, "deals": deals}


def move_person(
    session: Session,
    actor: Actor,
    person_id: int,
    region_id: int,
    from_month: date,
    *,
    today: date | None = None,
) -> dict[str, int | None]:
    """Move a person to another region from a given month on.

    - A move from this month or an earlier one happens at once. A move from a later month is
      scheduled: until that month starts the person keeps their region, open deals and
      targets; the first page view or command on or after its first day carries it out.
      One move per person can wait at a time; cancel it to schedule another.
    - Monthly target rows before that month keep the old region; rows from that month on
      carry the new one, and the region rows of both paths change by the same amounts, so every
      level still adds up (the rep takes their target with them). Locked plans are history
      and stay as they were.
    - Open deals follow the person, and so do deals won from that month on; deals won before
      stay credited to the old region.
    Returns how many target rows and deals moved, and the id of the scheduled change (None
    when the move happened at once).
    """
    _ensure_org_admin(actor, _("move people between regions"))
    person = _person(session, person_id)
    target = _region(session, region_id)
    if not target.active:
        raise ValidationFailed(
            _("{name} is retired; choose an active region.").format(name=target.name)
        )
    if person.region_id == target.id:
        raise ValidationFailed(
            _("{name} is already in {name2}.").format(name=person.name, name2=target.name)
        )
    waiting = _scheduled_move(session, person.id)
    if waiting is not None:
        raise ValidationFailed(
            _(
                "{name} already has a move scheduled from {effective_on:%B %Y}; cancel it first."
            ).format(name=person.name, effective_on=waiting.effective_on)
        )
    start = _first_of_month(from_month)
    if start > _first_of_month(today or clock.today()):
        change = ScheduledOrgChange(
            kind=MOVE_PERSON,
            person_id=person.id,
            region_id=target.id,
            effective_on=start,
            status=SCHEDULED,
            created_by_id=actor.id,
        )
        session.add(change)
        session.flush()
        audit.record(
            session,
            actor,
            "schedule_move",
            "person",
            person.id,
            after={"region": target.name, "from_month": start, "scheduled_change": change.id},
        )
        return {"target_rows": 0, "deals": 0, "scheduled_change": change.id}
    moved = _carry_out_move(session, person, target, start)
    audit.record(
        session,
        actor,
        "move",
        "person",
        person.id,
        before={"region": moved["region_before"]},
        after={
            "region": target.name,
            "from_month": start,
            "target_rows": moved["target_rows"],
            "deals": moved["deals"],
        },
    )
    session.flush()
    return {"target_rows": moved["target_rows"], "deals": moved["deals"], "scheduled_change": None}


def _settle(session: Session, change_id: int, status: str) -> bool:
    """Mark a waiting change applied or cancelled; False when another unit of work already
    settled it (so two page views at the same moment carry a change out once)."""
    result = session.execute(
        update(ScheduledOrgChange)
        .where(ScheduledOrgChange.id == change_id, ScheduledOrgChange.status == SCHEDULED)
        .values(status=status, settled_at=datetime.now())
    )
    return bool(affected_rows(result))


def apply_due_changes(session: Session, today: date) -> int:
    """Carry out every scheduled change whose date has come (on or before `today`), oldest
    first; returns how many were applied. Running it again applies nothing twice, and when
    nothing is due it only reads, so every page view and command may call it first."""
    due = session.execute(
        select(ScheduledOrgChange.id, ScheduledOrgChange.person_id, ScheduledOrgChange.region_id)
        .where(ScheduledOrgChange.status == SCHEDULED, ScheduledOrgChange.effective_on <= today)
        .order_by(ScheduledOrgChange.effective_on, ScheduledOrgChange.id)
    ).all()
    applied = 0
    for change_id, person_id, region_id in due:
        if not _settle(session, change_id, APPLIED):
            continue
        change = session.get_one(ScheduledOrgChange, change_id)
        person, target = _person(session, person_id), _region(session, region_id)
        moved = _carry_out_move(session, person, target, change.effective_on)
        scheduled_by = session.get(Person, change.created_by_id) if change.created_by_id else None
        audit.record(
            session,
            SCHEDULER,
            "move",
            "person",
            person.id,
            before={"region": moved["region_before"]},
            after={
                "region": target.name,
                "from_month": change.effective_on,
                "target_rows": moved["target_rows"],
                "deals": moved["deals"],
                "scheduled_change": change.id,
                "scheduled_by": scheduled_by.name if scheduled_by else None,
            },
        )
        applied += 1
    session.flush()
    return applied


def cancel_scheduled_move(session: Session, actor: Actor, change_id: int) -> None:
    """Withdraw a move that has not happened yet: nothing about the person changes."""
    _ensure_org_admin(actor, _("cancel scheduled moves"))
    change = session.get(ScheduledOrgChange, change_id)
    if change is None:
        raise NotFound(_("No scheduled change with id {change_id}.").format(change_id=change_id))
    if not _settle(session, change.id, CANCELLED):
        raise ValidationFailed(_("This move is no longer waiting: it was applied or cancelled."))
    audit.record(
        session,
        actor,
        "cancel_move",
        "person",
        change.person_id,
        before={
            "region": _region(session, change.region_id).name,
            "from_month": change.effective_on,
            "scheduled_change": change.id,
        },
    )
    session.flush()
