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
