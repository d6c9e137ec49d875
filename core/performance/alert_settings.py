"""The alert rules' names and thresholds (app setting `alert_thresholds`; admins and directors
change them) and the Alert read model."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from core.errors import ValidationFailed
from core.i18n import N_, _
from core.models import Actor, Role
from core.org import audit
from core.org.access import ensure_role
from core.org.company import get_setting, set_setting
from core.pipeline.flags import (
    SLIPPING_RANGE,
)
from core.pipeline.rules import DEFAULT_SLIPPING_CHANGES

RULES: dict[str, str] = {
    "behind_pace": N_("Behind pace"),
    "low_coverage": N_("Low coverage"),
    "big_deal_at_risk": N_("Big deal at risk"),
    "stalled_deal": N_("Stalled deal"),
    "slipping_deal": N_("Slipping deal"),
    "overdue_close": N_("Overdue close date"),
    "missing_role": N_("Missing deal-team role"),
    "neglected_customer": N_("Neglected customer"),
    "overdue_follow_up": N_("Overdue follow-up"),
    "not_priced": N_("Deals not priced"),
}
"""Rules in the order alerts are listed (labels marked for translation: show `_(label)`)."""

SETTING = "alert_thresholds"
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
SEVERITY_LABELS: dict[str, str] = {"high": N_("high"), "medium": N_("medium"), "low": N_("low")}
"""How a severity reads on screen (the value stays the English code): `_(SEVERITY_LABELS[s])`."""


class AlertThresholds(BaseModel):
    """The thresholds of the rules; every one has a sensible default."""

    model_config = ConfigDict(extra="ignore")

    pace_below: float = Field(
        0.8, gt=0, le=2, description="Behind pace: won / expected to date below this ratio"
    )
    pace_after_share: float = Field(
        0.25, ge=0, le=1, description="Behind pace: only once this share of the quarter passed"
    )
    coverage_below: float = Field(
        2.0, gt=0, le=20, description="Low coverage: open pipeline below this many x the gap"
    )
    stalled_no_activity_days: int = Field(
        45, ge=1, le=365, description="Stalled deal: no activity on the deal for this many days"
    )
    slipping_changes: int = Field(
        DEFAULT_SLIPPING_CHANGES,
        ge=SLIPPING_RANGE[0],
        le=SLIPPING_RANGE[1],
        description="Slipping deal (in Alerts and My deals): expected close moved at least "
        "this often",
    )
    neglected_days: int = Field(
        90, ge=1, le=1000, description="Neglected customer: no activity for this many days"
    )
    follow_up_overdue_days: int = Field(
        1,
        ge=1,
        le=90,
        description="Overdue follow-up: still open this many days after its due day",
    )


def thresholds(session: Session) -> AlertThresholds:
    stored = get_setting(session, SETTING) or {}
    try:
        return AlertThresholds(**stored)
    except ValidationError:
        return AlertThresholds()


def set_thresholds(session: Session, actor: Actor, values: dict[str, Any]) -> AlertThresholds:
    """Change the thresholds (admins and directors); bad values are refused by name."""
    ensure_role(actor, Role.ADMIN, action=_("change alert thresholds"))
    before = thresholds(session)
    try:
        new = AlertThresholds(**{**before.model_dump(), **values})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValidationFailed(f"{first['loc'][0]}: {first['msg']}.") from None
    set_setting(session, SETTING, new.model_dump())
    audit.record(
        session, actor, "set", "app_setting", before=before.model_dump(), after=new.model_dump()
    )
    return new


class Alert(BaseModel):
    """One warning: what it is about, which rule, the figures behind it and whose it is."""

    key: str
    rule: str
    rule_label: str
    severity: str
    subject_type: str  # deal | customer | rep | currency
    subject_id: int | None  # None for a currency (the subject is its code)
    subject: str
    owner_id: int | None
    owner: str
    region: str
    message: str
    figures: dict[str, Any]
    state: str = "open"  # open | acknowledged | snoozed
    snoozed_until: date | None = None
