"""Company-wide settings kept in the database (fiscal year start, demo-data flag...)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import ValidationFailed
from core.i18n import _
from core.models import Actor, Role
from core.org import audit
from core.org.access import ensure_role
from db.schema import AppSetting

DEFAULTS: dict[str, Any] = {
    "company_name": "Our company",
    "fiscal_start_month": 1,
    "demo_data": False,
    "ramp_schedule": [0, 25, 50, 75],
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


def set_fiscal_start_month(session: Session, actor: Actor, month: int) -> None:
    """The month the fiscal year starts in (1 = January); directors and administrators.

    Existing plans keep their months; new plans and period labels use the new start.
    """
    ensure_role(actor, Role.DIRECTOR, action=_("set the fiscal year start"))
    if not isinstance(month, int) or not 1 <= month <= 12:
        raise ValidationFailed(
            _("The fiscal year starts in a month from 1 to 12 (got {month}).").format(month=month)
        )
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


def ramp_schedule(session: Session) -> list:
    """Share of a full quota a new hire carries by month of tenure (1st, 2nd, ...), as
    fractions; full quota after the last step. Stored as percentages."""
    return [Decimal(str(p)) / 100 for p in get_setting(session, "ramp_schedule")]


def set_ramp_schedule(session: Session, actor: Actor, percentages: list) -> None:
    """The new-hire ramp used by the next plans (directors and administrators): up to 24
    monthly percentages of a full quota, each from 0 to 100."""
    ensure_role(actor, Role.DIRECTOR, action=_("set the new-hire ramp"))
    if len(percentages) > 24:
        raise ValidationFailed(_("A ramp has at most 24 monthly steps."))
    steps = []
    for month, raw in enumerate(percentages, 1):
        try:
            value = Decimal(str(raw).strip().rstrip("%"))
        except InvalidOperation:
            raise ValidationFailed(
                _("Ramp month {month}: '{raw}' is not a percentage.").format(month=month, raw=raw)
            ) from None
        if not value.is_finite() or not 0 <= value <= 100:
            raise ValidationFailed(
                _("Ramp month {month}: {raw} is not between 0 and 100.").format(
                    month=month, raw=raw
                )
            )
        steps.append(float(value) if value != value.to_integral_value() else int(value))
    before = get_setting(session, "ramp_schedule")
    set_setting(session, "ramp_schedule", steps)
    audit.record(
        session,
        actor,
        "set",
        "app_setting",
        None,
        before={"ramp_schedule": before},
        after={"ramp_schedule": steps},
    )
    session.flush()
