"""The deal flags in SQL, and the one slipping setting, shared by the deal views and the alerts.

Rules (the same as the pure functions in `core.pipeline.rules`):
- stalled: an open deal longer in its stage than the stage's maximum days;
- overdue: an open deal whose expected close date is before today;
- slipping: an open deal whose expected close moved later at least `slipping_threshold` times.

The slipping threshold is one setting: "Slipping deal" of the alert thresholds, which
administrators edit on the Alerts page. My deals, the pipeline, the deal page and the alerts
all read it through `slipping_threshold`. `flag_columns` and `with_flags` put the flags on the
rows of a deal list.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import and_, literal
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from core.models import DealStatus
from core.org.company import get_setting
from core.pipeline.rules import DEFAULT_SLIPPING_CHANGES, next_is_won
from core.pipeline.stages import stage_rules
from db.schema import Deal, Stage
from db.sql_dates import days_between

THRESHOLDS_SETTING = "alert_thresholds"
SLIPPING_FIELD = "slipping_changes"
SLIPPING_RANGE = (1, 20)


def slipping_threshold(session: Session) -> int:
    """How many times a deal's expected close must move later before the deal is slipping."""
    stored = get_setting(session, THRESHOLDS_SETTING) or {}
    value = stored.get(SLIPPING_FIELD) if isinstance(stored, dict) else None
    low, high = SLIPPING_RANGE
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    return DEFAULT_SLIPPING_CHANGES


def days_in_stage_sql(session: Session, today: date) -> ColumnElement:
    """Days since the deal entered its current stage (needs the deal row)."""
    return days_between(session, literal(today), Deal.stage_entered_on)


def stalled_sql(days_in_stage: ColumnElement) -> ColumnElement[bool]:
    """Open and longer in its stage than the stage's maximum days (needs the stage joined)."""
    return and_(
        Deal.status == DealStatus.OPEN,
        Stage.max_days.is_not(None),
        days_in_stage > Stage.max_days,
    )


def overdue_sql(today: date) -> ColumnElement[bool]:
    """Open and expected to close before today."""
    return and_(Deal.status == DealStatus.OPEN, Deal.expected_close < today)


def slipping_sql(threshold: int) -> ColumnElement[bool]:
    """Open and its expected close moved later at least `threshold` times."""
    return and_(Deal.status == DealStatus.OPEN, Deal.close_date_changes >= threshold)


FLAGS = ("stalled", "overdue", "slipping")


def flag_columns(session: Session, today: date) -> list:
    """Days in stage and the stalled, overdue and slipping flags as SQL columns (the deal and
    its stage must be in the query)."""
    days = days_in_stage_sql(session, today)
    return [
        days.label("days_in_stage"),
        stalled_sql(days).label("stalled"),
        overdue_sql(today).label("overdue"),
        slipping_sql(slipping_threshold(session)).label("slipping"),
    ]


def with_flags(session: Session, frame: pd.DataFrame) -> pd.DataFrame:
    """Type the columns of `flag_columns` and replace the frame's `stage_id` by `next_is_won`
    (whether the deal's next stage is won)."""
    rules = stage_rules(session)
    won_next = {rule.id: next_is_won(rules, rule) for rule in rules}
    frame["days_in_stage"] = frame["days_in_stage"].map(lambda d: int(round(float(d))))
    for flag in FLAGS:
        frame[flag] = frame[flag].astype(bool)
    frame["next_is_won"] = frame.pop("stage_id").map(lambda s: won_next.get(s, False)).astype(bool)
    return frame
