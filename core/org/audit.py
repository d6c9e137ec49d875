"""The audit log: every change says who made it, when, and the values before and after.

Only directors and administrators read it (the rule comes from core.org.access). The viewer
filters by who, what (action and kind of record), which record and a date range, and pages
through every entry in the database (newest first); people and records are shown by name."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from core.errors import ValidationFailed
from core.i18n import _
from core.models import Actor, Role
from core.org.access import ensure_role
from db.schema import AuditLog, Customer, Deal, Person, Region


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(item) for item in value]
    return value


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add one audit entry to the current transaction (it commits or rolls back with it)."""
    session.add(
        AuditLog(
            at=datetime.now(),
            actor_id=actor.id,
            actor_label=actor.label,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=_jsonable(before),
            after=_jsonable(after),
        )
    )


def recent_entries(session: Session, actor: Actor, *, limit: int = 500) -> pd.DataFrame:
    """The newest audit entries (administrators and directors only)."""
    ensure_role(actor, Role.DIRECTOR, action=_("read the audit log"))
    rows = session.execute(
        select(
            AuditLog.at,
            AuditLog.actor_label,
            AuditLog.action,
            AuditLog.entity,
            AuditLog.entity_id,
            AuditLog.before,
            AuditLog.after,
        )
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit)
    ).all()
    return pd.DataFrame(rows, columns=["when", "who", "action", "entity", "id", "before", "after"])


# --- the viewer --------------------------------------------------------------------------------

COMMAND_LINE = 0
"""The `who` filter's value for changes made by the command line (manage.py), not a person."""
COLUMNS = ["when", "who", "action", "entity", "record", "before", "after"]
"""The viewer's columns: who and record are names (record also keeps its id); before and
after are the values as JSON text."""


class AuditFilter(BaseModel):
    """What the viewer shows: every filter is optional; dates are inclusive days."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    who: int | None = None
    """A person's id, or COMMAND_LINE for manage.py."""
    action: str | None = Field(default=None, max_length=60)
    """An action ("deal.move.won") or its start ("deal.move" covers every move)."""
    entity: str | None = Field(default=None, max_length=60)
    record_id: int | None = Field(default=None, ge=1)
    start: date | None = None
    end: date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> AuditFilter:
        if self.start and self.end and self.end < self.start:
            raise ValueError(_("the end date is before the start date"))
        return self


class AuditPage(BaseModel):
    """One page of the filtered entries, and how many there are in all."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    rows: pd.DataFrame
    total: int
    offset: int


def _conditions(filters: AuditFilter) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if filters.who == COMMAND_LINE:
        out.append(AuditLog.actor_id.is_(None))
    elif filters.who is not None:
        out.append(AuditLog.actor_id == filters.who)
    if filters.action:
        out.append(
            or_(AuditLog.action == filters.action, AuditLog.action.like(f"{filters.action}.%"))
        )
    if filters.entity:
        out.append(AuditLog.entity == filters.entity)
    if filters.record_id is not None:
        out.append(AuditLog.entity_id == filters.record_id)
    if filters.start:
        out.append(AuditLog.at >= datetime.combine(filters.start, datetime.min.time()))
    if filters.end:
        day_after = date.fromordinal(filters.end.toordinal() + 1)
        out.append(AuditLog.at < datetime.combine(day_after, datetime.min.time()))
    return out


def _entries_query(filters: AuditFilter) -> Select:
    """The filtered entries with the person's name and the record's name (people, customers,
    deals and regions are named; other records keep their id)."""
    who, subject = aliased(Person), aliased(Person)
    named = {
        "person": subject.name,
        "customer": Customer.name,
        "deal": Deal.name,
        "region": Region.name,
    }
    record_name = case(
        *((AuditLog.entity == entity, column) for entity, column in named.items()), else_=None
    )
    return (
        select(
            AuditLog.at,
            func.coalesce(who.name, AuditLog.actor_label).label("who"),
            AuditLog.action,
            AuditLog.entity,
            AuditLog.entity_id,
            record_name.label("record_name"),
            AuditLog.before,
            AuditLog.after,
        )
        .outerjoin(who, who.id == AuditLog.actor_id)
        .outerjoin(subject, and_(AuditLog.entity == "person", subject.id == AuditLog.entity_id))
        .outerjoin(Customer, and_(AuditLog.entity == "customer", Customer.id == AuditLog.entity_id))
        .outerjoin(Deal, and_(AuditLog.entity == "deal", Deal.id == AuditLog.entity_id))
        .outerjoin(Region, and_(AuditLog.entity == "region", Region.id == AuditLog.entity_id))
        .where(*_conditions(filters))
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
    )


def _record(entity_id: int | None, name: str | None) -> str:
    if entity_id is None:
        return ""
    return f"{name} (#{entity_id})" if name else f"#{entity_id}"


def _frame(rows) -> pd.DataFrame:
    return pd.DataFrame(
        [
            (
                at,
                who,
                action,
                entity,
                _record(entity_id, name),
                _as_json_text(before),
                _as_json_text(after),
            )
            for at, who, action, entity, entity_id, name, before, after in rows
        ],
        columns=COLUMNS,
    )


def audit_page(
    session: Session, actor: Actor, filters: AuditFilter, *, offset: int = 0, limit: int = 100
) -> AuditPage:
    """One page of the entries that match `filters`, newest first, paged in the database
    (LIMIT/OFFSET), with the number of matching entries (directors and administrators)."""
    ensure_role(actor, Role.DIRECTOR, action=_("read the audit log"))
    if offset < 0 or not 1 <= limit <= 1000:
        raise ValidationFailed(_("A page starts at 0 and holds 1 to 1,000 entries."))
    total = session.scalar(select(func.count()).select_from(AuditLog).where(*_conditions(filters)))
    rows = session.execute(_entries_query(filters).offset(offset).limit(limit)).all()
    return AuditPage(rows=_frame(rows), total=int(total or 0), offset=offset)


def audit_download(
    session: Session, actor: Actor, filters: AuditFilter, *, limit: int = 100_000
) -> pd.DataFrame:
    """Every entry that matches `filters` (up to `limit`), newest first, for a file."""
    ensure_role(actor, Role.DIRECTOR, action=_("read the audit log"))
    return _frame(session.execute(_entries_query(filters).limit(limit)).all())


def _as_json_text(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


class AuditChoices(BaseModel):
    """What the viewer's boxes offer: the people who made changes (by name), the actions and
    the kinds of record found in the log."""

    people: list[tuple[int, str]]
    actions: list[str]
    entities: list[str]


def audit_choices(session: Session, actor: Actor) -> AuditChoices:
    """The people, actions and record kinds in the log, each listed once (GROUP BY)."""
    ensure_role(actor, Role.DIRECTOR, action=_("read the audit log"))
    people = session.execute(
        select(Person.id, Person.name)
        .join(AuditLog, AuditLog.actor_id == Person.id)
        .group_by(Person.id, Person.name)
        .order_by(Person.name)
    ).all()
    actions = session.scalars(
        select(AuditLog.action).group_by(AuditLog.action).order_by(AuditLog.action)
    ).all()
    entities = session.scalars(
        select(AuditLog.entity).group_by(AuditLog.entity).order_by(AuditLog.entity)
    ).all()
    return AuditChoices(
        people=[(pid, name) for pid, name in people], actions=list(actions), entities=list(entities)
    )
