"""Early warnings of execution risk, computed in SQL from the live data.

Rules (thresholds in the app setting `alert_thresholds`; admins and directors change them):

- behind_pace (rep): after `pace_after_share` of the current fiscal quarter has passed, won to
  date / expected to date is below `pace_below`. Expected to date = the rep's monthly targets of
  the quarter, each month counted in full once over and pro rata for the current month.
  The same rule, with the same thresholds, runs on every other series with an active plan in
  the quarter's fiscal year (units, visits, deals created, each product line's plan: achieved
  / expected to date of that measure, core.progress.measures), each with its own wording
  ("Visits behind pace: 12 of 30 expected by today (target 60 this quarter).") and severity
  medium (core.performance.alert_pace).
- low_coverage (rep): open pipeline expected to close between today and the quarter's end is
  below `coverage_below` x the remaining gap (quarter target - won to date), when there is a gap.
- stalled_deal: an open deal longer in its stage than the stage's `max_days`, or without any
  activity logged on it for `stalled_no_activity_days` days (deals younger than that are spared).
- slipping_deal: the expected close date of an open deal moved `slipping_changes` times or more.
- overdue_close: an open deal whose expected close date has passed.
- neglected_customer: an active customer with an owner and no activity for `neglected_days` days
  (customer.last_activity_on, or never).
- missing_role: an open deal whose team lacks a role its current stage requires
  (stage.required_roles vs deal_team_member).
- big_deal_at_risk: a stalled deal whose amount is in the top decile of all open deals.
- overdue_follow_up: a follow-up still open `follow_up_overdue_days` days or more after its due
  day (low; medium from a week late), about its deal or else its customer, for its owner and
  the managers above them.
- not_priced (administrators and directors only): one alert per currency whose deals have no
  rate in effect on their day (core.performance.alert_pricing).

Who sees what: a rep their own deals, customers and figures; a manager the regions they manage
with their subtree; directors and admins everything. Each person can acknowledge an alert or
snooze it until a date; that hides it from their open list only. An alert's key names the rule,
the subject and the fact behind it (stage, close date, changes...), so a new fact raises it anew.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.errors import ValidationFailed
from core.i18n import _
from core.models import Actor, Period
from core.org.access import ensure_active
from core.org.company import fiscal_start_month
from core.org.regions import load_region_tree
from core.performance.alert_pace import RepPace, rep_pace
from core.performance.alert_rules import (
    RULE_COUNTS,
    RULE_FUNCTIONS,
    RULE_SEVERITIES,
    RULE_SUBJECTS,
    big_deal_threshold,
)
from core.performance.alert_settings import (
    RULES,
    SETTING,
    SEVERITY_ORDER,
    Alert,
    AlertThresholds,
    set_thresholds,
    thresholds,
)
from core.periods import quarter_of
from db.schema import (
    AlertState,
)

__all__ = [
    "RULES",
    "SETTING",
    "Alert",
    "AlertThresholds",
    "RepPace",
    "acknowledge",
    "alerts_period",
    "big_deal_threshold",
    "current_alerts",
    "open_alert_count",
    "rep_pace",
    "reopen",
    "rule_counts",
    "set_thresholds",
    "snooze",
    "thresholds",
]


# --- the service ------------------------------------------------------------------------------


def current_alerts(
    session: Session,
    actor: Actor,
    *,
    today: date | None = None,
    include_hidden: bool = False,
    limit_per_rule: int | None = 1000,
    severities: Collection[str] | None = None,
) -> list[Alert]:
    """The alerts in the actor's area, most severe first; acknowledged and snoozed ones only
    with `include_hidden` (each carries its state). With `limit_per_rule` each deal rule keeps
    its first alerts in its own order (the largest deals first for stalled deals and missing
    roles); None keeps every alert. With `severities`, only alerts of those severities (the
    rules that cannot raise them are not evaluated)."""
    ensure_active(actor)
    today = today or clock.today()
    limits = thresholds(session)
    names = load_region_tree(session).names
    alerts: list[Alert] = []
    for rule_function in RULE_FUNCTIONS:
        if severities is not None and not RULE_SEVERITIES[rule_function] & set(severities):
            continue
        found = rule_function(session, actor, today, limits, names, limit_per_rule)
        alerts.extend(a for a in found if severities is None or a.severity in severities)
    states = _states(session, actor)
    shown = []
    for alert in alerts:
        acknowledged, until = states.get(alert.key, (None, None))
        if acknowledged is not None:
            alert.state = "acknowledged"
        elif until is not None and until >= today:
            alert.state, alert.snoozed_until = "snoozed", until
        if include_hidden or alert.state == "open":
            shown.append(alert)
    order = list(RULES)
    shown.sort(key=lambda a: (SEVERITY_ORDER[a.severity], order.index(a.rule)))
    return shown


def open_alert_count(session: Session, actor: Actor, *, today: date | None = None) -> int:
    """How many open alerts the actor has (for the navigation badge): every alert of the
    actor's area, without a limit, less the ones the actor acknowledged or snoozed. Each rule
    is counted with the list's own condition, no alert built (COUNT queries over deals,
    customers and follow-ups; grouped sums of the figures the pace and coverage rules compare,
    for all the reps at once), and the hidden ones by checking only their subjects against the
    rules."""
    ensure_active(actor)
    today = today or clock.today()
    total = sum(rule_counts(session, actor, today=today).values())
    return total - _hidden_alive(session, actor, today, thresholds(session))


def rule_counts(session: Session, actor: Actor, *, today: date | None = None) -> dict[str, int]:
    """How many alerts each rule raises in the actor's area (acknowledged and snoozed ones
    included), with the rules' own conditions (core.performance.alert_rules.RULE_COUNTS)."""
    ensure_active(actor)
    today = today or clock.today()
    limits = thresholds(session)
    counts: dict[str, int] = {}
    for count in RULE_COUNTS:
        counts.update(count(session, actor, today, limits))
    return counts


def _hidden(session: Session, actor: Actor, today: date) -> set[str]:
    """The keys the actor acknowledged, or snoozed until today or later."""
    return {
        key
        for key, (acknowledged, until) in _states(session, actor).items()
        if acknowledged is not None or (until is not None and until >= today)
    }


def _hidden_alive(session: Session, actor: Actor, today: date, limits: AlertThresholds) -> int:
    """How many of the actor's hidden keys a rule raises today (the rest name facts that are
    gone: a deal moved on, a customer visited)."""
    hidden = _hidden(session, actor, today)
    if not hidden:
        return 0
    subjects: dict = {}
    for key in hidden:
        rule, _type, subject = (key.split(":") + ["", ""])[:3]
        for function in RULE_SUBJECTS.get(rule, ()):
            subjects.setdefault(function, set()).add(
                subject if rule == "not_priced" else _as_id(subject)
            )
    names = load_region_tree(session).names
    alive: set[str] = set()
    for function, ids in subjects.items():
        ids.discard(None)
        chunk = sorted(ids, key=str)
        for start in range(0, len(chunk), 500):
            part = set(chunk[start : start + 500])
            found = function(session, actor, today, limits, names, None, subjects=part)
            alive |= {alert.key for alert in found} & hidden
    return len(alive)


def _as_id(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _states(session: Session, actor: Actor) -> dict[str, tuple[datetime | None, date | None]]:
    if actor.id is None:
        return {}
    rows = session.execute(
        select(AlertState.alert_key, AlertState.acknowledged_at, AlertState.snoozed_until).where(
            AlertState.person_id == actor.id
        )
    )
    return {key: (ack, until) for key, ack, until in rows}


def _check_keys(keys: list[str]) -> list[str]:
    if not keys:
        raise ValidationFailed(_("Choose at least one alert."))
    for key in keys:
        if key.split(":", 1)[0] not in RULES or len(key) > 200:
            raise ValidationFailed(_("'{key}' is not an alert.").format(key=key))
    return list(dict.fromkeys(keys))


def _state_row(session: Session, actor: Actor, key: str) -> AlertState:
    row = session.scalar(
        select(AlertState).where(AlertState.alert_key == key, AlertState.person_id == actor.id)
    )
    if row is None:
        row = AlertState(alert_key=key, person_id=actor.id)
        session.add(row)
    return row


def acknowledge(session: Session, actor: Actor, keys: list[str]) -> int:
    """Mark alerts as seen and handled by the actor: they leave the actor's open list."""
    ensure_active(actor)
    keys = _check_keys(keys)
    now = datetime.now()
    for key in keys:
        row = _state_row(session, actor, key)
        row.acknowledged_at, row.snoozed_until = now, None
    session.flush()
    return len(keys)


def snooze(session: Session, actor: Actor, keys: list[str], until: date, *, today=None) -> int:
    """Hide alerts from the actor until a date (at most 90 days ahead)."""
    ensure_active(actor)
    keys = _check_keys(keys)
    today = today or clock.today()
    if until <= today:
        raise ValidationFailed(_("Snooze until a date after today."))
    if until > today + timedelta(days=90):
        raise ValidationFailed(_("Snooze for at most 90 days."))
    for key in keys:
        row = _state_row(session, actor, key)
        row.acknowledged_at, row.snoozed_until = None, until
    session.flush()
    return len(keys)


def reopen(session: Session, actor: Actor, keys: list[str]) -> int:
    """Undo an acknowledgement or snooze."""
    ensure_active(actor)
    keys = _check_keys(keys)
    for key in keys:
        row = _state_row(session, actor, key)
        row.acknowledged_at, row.snoozed_until = None, None
    session.flush()
    return len(keys)


def alerts_period(session: Session, today: date | None = None) -> Period:
    """The quarter the pace and coverage rules look at."""
    return quarter_of(today or clock.today(), fiscal_start_month(session))
