"""Company-wide settings kept in the database (fiscal year start, demo-data flag...)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.schema import AppSetting

DEFAULTS: dict[str, Any] = {
    "company_name": "Our company",
    "fiscal_start_month": 1,
    "demo_data": False,
}


def get_setting(session: Session, key: str) -> Any:
    value = session.scalar(select(AppSetting.value).where(AppSetting.key == key))
    return DEFAULTS.get(key) if value is None else value


def set_setting(session: Session, key: str, value: Any) -> None:
    row = session.get(AppSetting, key)
    if row is None:
        session.add(AppSetting(key=key, value=value))
    else:
        row.value = value


def fiscal_start_month(session: Session) -> int:
    return int(get_setting(session, "fiscal_start_month"))


def set_fiscal_start_month(session: Session, actor, month: int) -> None:
    """The month the fiscal year starts in (1 = January); directors and administrators.

    Existing plans keep their months; new plans and period labels use the new start.
    """
    from core import audit
    from core.errors import ValidationFailed
    from core.models import Role
    from core.permissions import ensure_role

    ensure_role(actor, Role.DIRECTOR, action="set the fiscal year start")
    if not isinstance(month, int) or not 1 <= month <= 12:
        raise ValidationFailed(f"The fiscal year starts in a month from 1 to 12 (got {month}).")
    before = fiscal_start_month(session)
    set_setting(session, "fiscal_start_month", month)
    audit.record(
        session,
        actor,
        "set",
        "app_setting",
        None,
        before={"fiscal_start_month": before},
        after={"fiscal_start_month": month},
    )
    session.flush()
