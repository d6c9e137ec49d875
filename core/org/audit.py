"""The audit log: every change says who made it, when, and the values before and after.

Only directors and administrators read it (the rule comes from core.org.access)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Actor, Role
from core.org.access import ensure_role
from db.schema import AuditLog


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
    ensure_role(actor, Role.DIRECTOR, action="read the audit log")
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
