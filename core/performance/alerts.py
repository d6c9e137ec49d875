"""Early warnings of execution risk, computed in SQL from the live data.

Rules (thresholds in the app setting `alert_thresholds`; admins and directors change them):

- behind_pace (rep): after `pace_after_share` of the current fiscal quarter has passed, won to
  date / expected to date is below `pace_below`. Expected to date = the rep's monthly targets of
  the quarter, each month counted in full once over and pro rata for the current month.
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

Who sees what: a rep their own deals, customers and figures; a manager the regions they manage
with their subtree; directors and admins everything. Each person can acknowledge an alert or
snooze it until a date; that hides it from their open list only. An alert's key names the rule,
the subject and the fact behind it (stage, close date, changes...), so a new fact raises it anew.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from core.errors import ValidationFailed
from core.models import Actor, Period, Role
from core.org import audit
from core.org.access import ensure_active, ensure_role, scope_filter
from core.org.company import fiscal_start_month, get_setting, set_setting
from core.org.regions import load_region_tree
from core.periods import quarter_of
from core.pipeline.flags import (
    SLIPPING_RANGE,
    days_in_stage_sql,
    overdue_sql,
    slipping_sql,
    slipping_threshold,
    stalled_sql,
)
from core.pipeline.rules import DEFAULT_SLIPPING_CHANGES, is_stalled
from core.progress.attainment import rep_rows
from core.progress.forecast import elapsed_days
from db.schema import (
    Activity,
    AlertState,
    Customer,
    CustomerStatus,
    Deal,
    DealStatus,
    DealTeamMember,
    Person,
    Stage,
)

RULES: dict[str, str] = {
    "behind_pace": "Behind pace",
    "low_coverage": "Low coverage",
    "big_deal_at_risk": "Big deal at risk",
    "stalled_deal": "Stalled deal",
    "slipping_deal": "Slipping deal",
    "overdue_close": "Overdue close date",
    "missing_role": "Missing deal-team role",
    "neglected_customer": "Neglected customer",
}
"""Rules in the order alerts are listed."""

SETTING = "alert_thresholds"
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


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


def thresholds(session: Session) -> AlertThresholds:
    stored = get_setting(session, SETTING) or {}
    try:
        return AlertThresholds(**stored)
    except ValidationError:
        return AlertThresholds()


def set_thresholds(session: Session, actor: Actor, values: dict[str, Any]) -> AlertThresholds:
    """Change the thresholds (admins and directors); bad values are refused by name."""
    ensure_role(actor, Role.ADMIN, action="change alert thresholds")
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
    subject_type: str  # deal | customer | rep
    subject_id: int
    subject: str
    owner_id: int | None
    owner: str
    region: str
    message: str
    figures: dict[str, Any]
    state: str = "open"  # open | acknowledged | snoozed
    snoozed_until: date | None = None


# --- scope ------------------------------------------------------------------------------------


def _deal_scope(actor: Actor) -> list:
    return scope_filter(actor, owner=Deal.owner_id, region=Deal.region_id)


def _customer_scope(actor: Actor) -> list:
    return scope_filter(actor, owner=Customer.owner_id, region=Customer.region_id)


def _rep_scope(actor: Actor) -> list:
    base = [Person.role == Role.REP, Person.active.is_(True)]
    if actor.sees_everything:
        return base
    if actor.role == Role.REP:
        return [*base, Person.id == actor.id]
    return [*base, Person.region_id.in_(actor.scope_region_ids or ())]


# --- deal rules -------------------------------------------------------------------------------


def _deal_columns(session: Session, today: date):
    last_activity = (
        select(func.max(Activity.occurred_on))
        .where(Activity.deal_id == Deal.id)
        .correlate(Deal)
        .scalar_subquery()
    )
    days_in_stage = days_in_stage_sql(session, today)
    return last_activity, days_in_stage


def _deal_query(session: Session, actor: Actor, *columns):
    return (
        select(
            Deal.id,
            Deal.name,
            Deal.owner_id,
            Person.name,
            Deal.region_id,
            Deal.amount,
            Deal.stage_id,
            Stage.name,
            *columns,
        )
        .join(Stage, Stage.id == Deal.stage_id)
        .join(Person, Person.id == Deal.owner_id)
        .where(Deal.status == DealStatus.OPEN, *_deal_scope(actor))
    )


def big_deal_threshold(session: Session) -> Decimal | None:
    """The smallest amount in the top decile of all open deals (None without open deals)."""
    count = session.scalar(select(func.count()).where(Deal.status == DealStatus.OPEN))
    if not count:
        return None
    position = math.ceil(count / 10) - 1
    return session.scalar(
        select(Deal.amount)
        .where(Deal.status == DealStatus.OPEN)
        .order_by(Deal.amount.desc())
        .offset(position)
        .limit(1)
    )


def _stalled(session, actor, today, limits: AlertThresholds, names, limit) -> list[Alert]:
    last_activity, days_in_stage = _deal_columns(session, today)
    quiet_since = today - timedelta(days=limits.stalled_no_activity_days)
    too_long = stalled_sql(days_in_stage)
    quiet = and_(
        Deal.created_on <= quiet_since,
        (last_activity.is_(None)) | (last_activity < quiet_since),
    )
    rows = session.execute(
        _deal_query(
            session, actor, Stage.max_days, days_in_stage, last_activity, Deal.stage_entered_on
        )
        .where(too_long | quiet)
        .order_by(Deal.amount.desc(), Deal.id)
        .limit(limit)
    ).all()
    big = big_deal_threshold(session)
    out = []
    for row in rows:
        deal_id, name, owner_id, owner, region_id, amount, stage_id, stage = row[:8]
        max_days, days, last, entered = row[8:]
        days = int(round(float(days)))
        last = _as_date(last)
        reasons = []
        if is_stalled(days, max_days):
            reasons.append(f"{days} days in {stage} (maximum {max_days})")
        if last is None or last < quiet_since:
            idle = "no activity logged" if last is None else f"no activity since {last}"
            reasons.append(idle)
        figures = {
            "amount": str(amount),
            "stage": stage,
            "days_in_stage": days,
            "max_days": max_days,
            "last_activity": last.isoformat() if last else None,
        }
        common = dict(
            subject_type="deal",
            subject_id=deal_id,
            subject=name,
            owner_id=owner_id,
            owner=owner,
            region=names.get(region_id, ""),
            figures=figures,
        )
        out.append(
            Alert(
                key=f"stalled_deal:deal:{deal_id}:{stage_id}",
                rule="stalled_deal",
                rule_label=RULES["stalled_deal"],
                severity="medium",
                message="; ".join(reasons).capitalize() + ".",
                **common,
            )
        )
        if big is not None and amount >= big:
            out.append(
                Alert(
                    key=f"big_deal_at_risk:deal:{deal_id}:{stage_id}",
                    rule="big_deal_at_risk",
                    rule_label=RULES["big_deal_at_risk"],
                    severity="high",
                    message=(
                        f"Amount {amount:,.0f} is in the top 10 % of open deals "
                        f"(from {big:,.0f}) and the deal is stalled: " + "; ".join(reasons) + "."
                    ),
                    **{**common, "figures": {**figures, "top_decile_from": str(big)}},
                )
            )
    return out


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _simple_deal_alert(rule, row, names, key_suffix, severity, message, figures) -> Alert:
    deal_id, name, owner_id, owner, region_id, amount = row[:6]
    return Alert(
        key=f"{rule}:deal:{deal_id}:{key_suffix}",
        rule=rule,
        rule_label=RULES[rule],
        severity=severity,
        subject_type="deal",
        subject_id=deal_id,
        subject=name,
        owner_id=owner_id,
        owner=owner,
        region=names.get(region_id, ""),
        message=message,
        figures={"amount": str(amount), **figures},
    )


def _slipping(session, actor, today, limits, names, limit) -> list[Alert]:
    rows = session.execute(
        _deal_query(session, actor, Deal.close_date_changes, Deal.expected_close)
        .where(slipping_sql(slipping_threshold(session)))
        .order_by(Deal.close_date_changes.desc(), Deal.amount.desc(), Deal.id)
        .limit(limit)
    ).all()
    return [
        _simple_deal_alert(
            "slipping_deal",
            row,
            names,
            row[8],
            "medium",
            f"Expected close moved {row[8]} times; now {row[9]}.",
            {"close_date_changes": row[8], "expected_close": row[9].isoformat()},
        )
        for row in rows
    ]


def _overdue(session, actor, today, limits, names, limit) -> list[Alert]:
    rows = session.execute(
        _deal_query(session, actor, Deal.expected_close)
        .where(overdue_sql(today))
        .order_by(Deal.expected_close, Deal.id)
        .limit(limit)
    ).all()
    out = []
    for row in rows:
        expected = row[8]
        late = (today - expected).days
        out.append(
            _simple_deal_alert(
                "overdue_close",
                row,
                names,
                expected.isoformat(),
                "medium",
                f"Expected to close on {expected}, {late} days ago; still open.",
                {"expected_close": expected.isoformat(), "days_overdue": late},
            )
        )
    return out


def _missing_roles(session, actor, today, limits, names, limit) -> list[Alert]:
    stages = session.execute(
        select(Stage.id, Stage.name, Stage.required_roles).where(
            Stage.is_won.is_(False), Stage.is_lost.is_(False)
        )
    ).all()
    out: list[Alert] = []
    for stage_id, stage_name, required in stages:
        roles = [r for r in (required or []) if r]
        if not roles:
            continue
        has_role = [
            exists()
            .where(DealTeamMember.deal_id == Deal.id, DealTeamMember.role == role)
            .label(f"has_{i}")
            for i, role in enumerate(roles)
        ]
        lacking = [
            ~exists().where(DealTeamMember.deal_id == Deal.id, DealTeamMember.role == r)
            for r in roles
        ]
        query = (
            _deal_query(session, actor, *has_role)
            .where(Deal.stage_id == stage_id)
            .where(or_(*lacking))
            .order_by(Deal.amount.desc(), Deal.id)
            .limit(limit)
        )
        for row in session.execute(query):
            missing = [role for role, present in zip(roles, row[8:]) if not present]
            out.append(
                _simple_deal_alert(
                    "missing_role",
                    row,
                    names,
                    f"{stage_id}:{'+'.join(missing)}",
                    "low",
                    f"{stage_name} needs {', '.join(roles)}; missing: {', '.join(missing)}.",
                    {"stage": stage_name, "required": roles, "missing": missing},
                )
            )
    return out


# --- customers ----------------------------------------------------------------------------------


def _neglected(session, actor, today, limits, names, limit) -> list[Alert]:
    since = today - timedelta(days=limits.neglected_days)
    rows = session.execute(
        select(
            Customer.id,
            Customer.name,
            Customer.owner_id,
            Person.name,
            Customer.region_id,
            Customer.last_activity_on,
        )
        .join(Person, Person.id == Customer.owner_id)
        .where(
            Customer.status == CustomerStatus.ACTIVE,
            Customer.owner_id.is_not(None),
            (Customer.last_activity_on.is_(None)) | (Customer.last_activity_on < since),
            *_customer_scope(actor),
        )
        .order_by(Customer.last_activity_on, Customer.id)
        .limit(limit)
    ).all()
    out = []
    for customer_id, name, owner_id, owner, region_id, last in rows:
        days = None if last is None else (today - last).days
        message = (
            "No activity ever logged with this active customer."
            if last is None
            else f"No activity for {days} days (last on {last}); threshold "
            f"{limits.neglected_days} days."
        )
        out.append(
            Alert(
                key=f"neglected_customer:customer:{customer_id}:{last}",
                rule="neglected_customer",
                rule_label=RULES["neglected_customer"],
                severity="low",
                subject_type="customer",
                subject_id=customer_id,
                subject=name,
                owner_id=owner_id,
                owner=owner,
                region=names.get(region_id, ""),
                message=message,
                figures={"last_activity": last.isoformat() if last else None, "days": days},
            )
        )
    return out


# --- reps: pace and coverage ------------------------------------------------------------------


class RepPace(BaseModel):
    """A rep's quarter to date: the figures behind the pace and coverage rules."""

    person_id: int
    rep: str
    region_id: int | None
    period: str
    share_elapsed: float
    target: Decimal
    expected_to_date: Decimal
    won_to_date: Decimal
    pace: float | None
    remaining_gap: Decimal
    open_pipeline: Decimal
    coverage: float | None


def rep_pace(session: Session, actor: Actor, today: date) -> list[RepPace]:
    """Pace and coverage of the reps in the actor's area for the fiscal quarter of `today`:
    the same rows as the Attainment page (core.progress.attainment), every deal and target
    row of the rep counted."""
    period = quarter_of(today, fiscal_start_month(session))
    share = elapsed_days(period.start, period.end, today) / ((period.end - period.start).days + 1)
    reps = session.execute(
        select(Person.id, Person.name, Person.region_id).where(*_rep_scope(actor))
    ).all()
    if not reps:
        return []
    rows = {
        row.key: row
        for row in rep_rows(session, [r[0] for r in reps], period, today=today, simulate=False)
    }
    out = []
    for pid, name, region_id in reps:
        row = rows[f"rep:{pid}"]
        target = row.target or Decimal(0)
        expected = row.expected_to_date or Decimal(0)
        gap = max(target - row.won, Decimal(0))
        out.append(
            RepPace(
                person_id=pid,
                rep=name,
                region_id=region_id,
                period=period.label,
                share_elapsed=share,
                target=target,
                expected_to_date=expected,
                won_to_date=row.won,
                pace=float(row.pace) if row.pace is not None else None,
                remaining_gap=gap,
                open_pipeline=row.open_pipeline,
                coverage=float(row.coverage) if row.coverage is not None else None,
            )
        )
    return out


def _rep_alerts(session, actor, today, limits: AlertThresholds, names, limit) -> list[Alert]:
    out = []
    for rep in rep_pace(session, actor, today):
        common = dict(
            subject_type="rep",
            subject_id=rep.person_id,
            subject=rep.rep,
            owner_id=rep.person_id,
            owner=rep.rep,
            region=names.get(rep.region_id, ""),
        )
        figures = {
            "period": rep.period,
            "target": str(rep.target),
            "expected_to_date": str(rep.expected_to_date),
            "won_to_date": str(rep.won_to_date),
            "pace": None if rep.pace is None else round(rep.pace, 3),
            "remaining_gap": str(rep.remaining_gap),
            "open_pipeline": str(rep.open_pipeline),
            "coverage": None if rep.coverage is None else round(rep.coverage, 2),
        }
        if (
            rep.share_elapsed >= limits.pace_after_share
            and rep.pace is not None
            and rep.pace < limits.pace_below
        ):
            out.append(
                Alert(
                    key=f"behind_pace:rep:{rep.person_id}:{rep.period}",
                    rule="behind_pace",
                    rule_label=RULES["behind_pace"],
                    severity="high",
                    message=(
                        f"Won {rep.won_to_date:,.0f} of {rep.expected_to_date:,.0f} expected by "
                        f"today in {rep.period}: pace {rep.pace:.0%} (threshold "
                        f"{limits.pace_below:.0%}, {rep.share_elapsed:.0%} of the quarter gone)."
                    ),
                    figures=figures,
                    **common,
                )
            )
        if rep.coverage is not None and rep.coverage < limits.coverage_below:
            out.append(
                Alert(
                    key=f"low_coverage:rep:{rep.person_id}:{rep.period}",
                    rule="low_coverage",
                    rule_label=RULES["low_coverage"],
                    severity="high",
                    message=(
                        f"Open pipeline {rep.open_pipeline:,.0f} to close by the end of "
                        f"{rep.period} covers {rep.coverage:.1f} x the remaining gap of "
                        f"{rep.remaining_gap:,.0f} (threshold {limits.coverage_below:g} x)."
                    ),
                    figures=figures,
                    **common,
                )
            )
    return out[:limit] if limit else out


# --- the service ------------------------------------------------------------------------------

_RULE_FUNCTIONS = (_rep_alerts, _stalled, _slipping, _overdue, _missing_roles, _neglected)


def current_alerts(
    session: Session,
    actor: Actor,
    *,
    today: date | None = None,
    include_hidden: bool = False,
    limit_per_rule: int = 1000,
) -> list[Alert]:
    """The alerts in the actor's area, most severe first; acknowledged and snoozed ones only
    with `include_hidden` (each carries its state)."""
    ensure_active(actor)
    today = today or date.today()
    limits = thresholds(session)
    names = load_region_tree(session).names
    alerts: list[Alert] = []
    for rule_function in _RULE_FUNCTIONS:
        alerts.extend(rule_function(session, actor, today, limits, names, limit_per_rule))
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
    """How many open alerts the actor has (for the navigation badge)."""
    return len(current_alerts(session, actor, today=today))


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
        raise ValidationFailed("Choose at least one alert.")
    for key in keys:
        if key.split(":", 1)[0] not in RULES or len(key) > 200:
            raise ValidationFailed(f"'{key}' is not an alert.")
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
    today = today or date.today()
    if until <= today:
        raise ValidationFailed("Snooze until a date after today.")
    if until > today + timedelta(days=90):
        raise ValidationFailed("Snooze for at most 90 days.")
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
    return quarter_of(today or date.today(), fiscal_start_month(session))
