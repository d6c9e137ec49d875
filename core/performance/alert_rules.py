"""How each alert rule finds its subjects, in SQL over the live data (see core.performance.alerts
for the rules in words).

Each rule function takes (session, actor, today, limits, names, limit, subjects=None) and
returns the actor's alerts of that rule; `subjects` (ids of deals, customers, reps or
follow-ups; currency codes) keeps only those subjects, without a limit. Each rule's condition
is written once (`_stalled_where`, `_missing_role_where`...) and read both by the list and by
its count in `RULE_COUNTS` (a COUNT query with the same filters, no Alert built), so the
navigation's number and the Alerts page cannot disagree (the deal rules are counted in one
pass over the open deals, a COUNT(CASE WHEN condition) per rule). Stalled deals and missing
roles are listed largest first (the partial index of open deals by company amount), the deals
not priced last."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from core.i18n import _, is_chinese
from core.models import Actor
from core.org.access import scope_filter
from core.performance.alert_pace import (
    RepPace,
    measure_pace_alerts,
    rep_alert_counts,
    rep_alerts,
    rep_pace,
)
from core.performance.alert_pricing import not_priced_alerts, not_priced_count
from core.performance.alert_settings import RULES, Alert, AlertThresholds
from core.pipeline.flags import (
    days_in_stage_sql,
    overdue_sql,
    slipping_sql,
    slipping_threshold,
    stalled_sql,
)
from core.pipeline.follow_up_views import OPEN_STATES
from core.pipeline.rules import is_stalled
from core.pipeline.wording import listing, shown
from db.schema import (
    Customer,
    CustomerStatus,
    Deal,
    DealStatus,
    DealTeamMember,
    FollowUp,
    Person,
    Stage,
)

# --- scope ------------------------------------------------------------------------------------


def _deal_scope(actor: Actor) -> list:
    return scope_filter(actor, owner=Deal.owner_id, region=Deal.region_id)


def _customer_scope(actor: Actor) -> list:
    return scope_filter(actor, owner=Customer.owner_id, region=Customer.region_id)


# --- deal rules -------------------------------------------------------------------------------


def _open_deals(actor: Actor, subjects=None) -> list:
    """Open deals of the actor's area (and only `subjects`, when given)."""
    where = [Deal.status == DealStatus.OPEN, *_deal_scope(actor)]
    if subjects is not None:
        where.append(Deal.id.in_(sorted(subjects)))
    return where


def _deal_query(session: Session, actor: Actor, *columns, subjects=None):
    return (
        select(
            Deal.id,
            Deal.name,
            Deal.owner_id,
            Person.name,
            Deal.region_id,
            Deal.company_amount,
            Deal.stage_id,
            Stage.name,
            *columns,
        )
        .join(Stage, Stage.id == Deal.stage_id)
        .join(Person, Person.id == Deal.owner_id)
        .where(*_open_deals(actor, subjects))
    )


def _deal_counts(session: Session, actor: Actor, conditions: dict[str, Any]) -> dict[str, int]:
    """How many open deals of the actor's area meet each condition (the stage joined), in one
    pass over them: a COUNT(CASE WHEN condition THEN 1 END) per name."""
    columns = [func.count(case((condition, 1))) for condition in conditions.values()]
    query = (
        select(*columns)
        .select_from(Deal)
        .join(Stage, Stage.id == Deal.stage_id)
        .where(*_open_deals(actor))
    )
    row = session.execute(query).one()
    return {name: int(n or 0) for name, n in zip(conditions, row, strict=True)}


def _largest_first(session: Session, query, limit: int | None) -> list:
    """The rows of a deal query, largest company amount first (then
    by id), the deals not priced last, at most `limit`. The priced part matches the partial
    index of open deals by company amount, which PostgreSQL walks down and stops at `limit`
    (SQLite, without statistics, reads the open deals by status and sorts the matches)."""
    priced = (
        query.where(Deal.company_amount.is_not(None))
        .order_by(Deal.company_amount.desc(), Deal.id)
        .limit(limit)
    )
    rows = list(session.execute(priced).all())
    if limit is None or len(rows) < limit:
        rest = None if limit is None else limit - len(rows)
        rows += session.execute(
            query.where(Deal.company_amount.is_(None)).order_by(Deal.id).limit(rest)
        ).all()
    return rows


def big_deal_threshold(session: Session) -> Decimal | None:
    """The smallest company amount in the top decile of the open deals that are priced (None
    without any): a deal not priced has no size to compare."""
    priced = [Deal.status == DealStatus.OPEN, Deal.company_amount.is_not(None)]
    count = session.scalar(select(func.count()).where(*priced))
    if not count:
        return None
    position = math.ceil(count / 10) - 1
    return session.scalar(
        select(Deal.company_amount)
        .where(*priced)
        .order_by(Deal.company_amount.desc())
        .offset(position)
        .limit(1)
    )


def _quiet_since(today: date, limits: AlertThresholds) -> date:
    return today - timedelta(days=limits.stalled_no_activity_days)


def _stalled_where(session: Session, today: date, limits: AlertThresholds):
    """Stalled: longer in its stage than the stage allows, or created before the quiet day and
    no activity on it since (the deal's stored last activity day, core.pipeline.last_activity)."""
    quiet_since = _quiet_since(today, limits)
    quiet = and_(
        Deal.created_on <= quiet_since,
        or_(Deal.last_activity_on.is_(None), Deal.last_activity_on < quiet_since),
    )
    return or_(stalled_sql(days_in_stage_sql(session, today)), quiet)


def _stalled(session, actor, today, limits: AlertThresholds, names, limit, subjects=None):
    quiet_since = _quiet_since(today, limits)
    days_in_stage = days_in_stage_sql(session, today)
    stalled = _stalled_where(session, today, limits)
    columns = (Stage.max_days, days_in_stage, Deal.last_activity_on, Deal.stage_entered_on)
    query = _deal_query(session, actor, *columns, subjects=subjects).where(stalled)
    rows = _largest_first(session, query, limit)
    big = big_deal_threshold(session)
    out = []
    for row in rows:
        deal_id, name, owner_id, owner, region_id, amount, stage_id, stage = row[:8]
        max_days, days, last, entered = row[8:]
        days = int(round(float(days)))
        last = _as_date(last)
        reasons = []
        if is_stalled(days, max_days):
            reasons.append(
                _("{days} days in {stage} (maximum {max_days})").format(
                    days=days, stage=shown(stage), max_days=max_days
                )
            )
        if last is None or last < quiet_since:
            if last is None:
                reasons.append(_("no activity logged"))
            else:
                reasons.append(_("no activity since {last}").format(last=last))
        joined = listing(reasons, "; ")
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
                rule_label=_(RULES["stalled_deal"]),
                severity="medium",
                message=_("{reasons}.").format(
                    reasons=joined if is_chinese() else joined.capitalize()
                ),
                **common,
            )
        )
        if big is not None and amount is not None and amount >= big:  # not priced: no size
            out.append(
                Alert(
                    key=f"big_deal_at_risk:deal:{deal_id}:{stage_id}",
                    rule="big_deal_at_risk",
                    rule_label=_(RULES["big_deal_at_risk"]),
                    severity="high",
                    message=_(
                        "Amount {amount} is in the top 10 % of open deals (from {big}) and the "
                        "deal is stalled: {reasons}."
                    ).format(amount=f"{amount:,.0f}", big=f"{big:,.0f}", reasons=joined),
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
        rule_label=_(RULES[rule]),
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


def _slipping_where(session: Session):
    return slipping_sql(slipping_threshold(session))


def _slipping(session, actor, today, limits, names, limit, subjects=None) -> list[Alert]:
    rows = session.execute(
        _deal_query(session, actor, Deal.close_date_changes, Deal.expected_close, subjects=subjects)
        .where(_slipping_where(session))
        .order_by(Deal.close_date_changes.desc(), Deal.company_amount.desc().nulls_last(), Deal.id)
        .limit(limit)
    ).all()
    return [
        _simple_deal_alert(
            "slipping_deal",
            row,
            names,
            row[8],
            "medium",
            _("Expected close moved {changes} times; now {expected}.").format(
                changes=row[8], expected=row[9]
            ),
            {"close_date_changes": row[8], "expected_close": row[9].isoformat()},
        )
        for row in rows
    ]


def _overdue(session, actor, today, limits, names, limit, subjects=None) -> list[Alert]:
    rows = session.execute(
        _deal_query(session, actor, Deal.expected_close, subjects=subjects)
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
                _("Expected to close on {expected}, {late} days ago; still open.").format(
                    expected=expected, late=late
                ),
                {"expected_close": expected.isoformat(), "days_overdue": late},
            )
        )
    return out


def _has_role(role: str):
    return exists().where(DealTeamMember.deal_id == Deal.id, DealTeamMember.role == role)


def _role_stages(session: Session) -> list[tuple[int, str, list[str]]]:
    """The open stages that require deal-team roles, with those roles."""
    stages = session.execute(
        select(Stage.id, Stage.name, Stage.required_roles).where(
            Stage.is_won.is_(False), Stage.is_lost.is_(False)
        )
    ).all()
    out = []
    for stage_id, stage_name, required in stages:
        roles = [r for r in (required or []) if r]
        if roles:
            out.append((stage_id, stage_name, roles))
    return out


def _missing_role_where(stage_id: int, roles: list[str]):
    """In the stage, and its team lacks at least one of the stage's roles."""
    return and_(Deal.stage_id == stage_id, or_(*[~_has_role(r) for r in roles]))


def _missing_roles(session, actor, today, limits, names, limit, subjects=None) -> list[Alert]:
    out: list[Alert] = []
    for stage_id, stage_name, roles in _role_stages(session):
        has_role = [_has_role(role).label(f"has_{i}") for i, role in enumerate(roles)]
        query = _deal_query(session, actor, *has_role, subjects=subjects)
        query = query.where(_missing_role_where(stage_id, roles))
        for row in _largest_first(session, query, limit):
            missing = [role for role, present in zip(roles, row[8:]) if not present]
            out.append(
                _simple_deal_alert(
                    "missing_role",
                    row,
                    names,
                    f"{stage_id}:{'+'.join(missing)}",
                    "low",
                    _("{stage} needs {roles}; missing: {missing}.").format(
                        stage=shown(stage_name),
                        roles=listing(shown(r) for r in roles),
                        missing=listing(shown(r) for r in missing),
                    ),
                    {"stage": stage_name, "required": roles, "missing": missing},
                )
            )
    return out


# --- customers ----------------------------------------------------------------------------------


def _neglected_where(actor: Actor, today: date, limits: AlertThresholds, subjects=None) -> list:
    """Active, with an owner, in the actor's area, and no activity since the threshold day."""
    since = today - timedelta(days=limits.neglected_days)
    where = [
        Customer.status == CustomerStatus.ACTIVE,
        Customer.owner_id.is_not(None),
        (Customer.last_activity_on.is_(None)) | (Customer.last_activity_on < since),
        *_customer_scope(actor),
    ]
    if subjects is not None:
        where.append(Customer.id.in_(sorted(subjects)))
    return where


def _neglected(session, actor, today, limits, names, limit, subjects=None) -> list[Alert]:
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
        .where(*_neglected_where(actor, today, limits, subjects))
        .order_by(Customer.last_activity_on, Customer.id)
        .limit(limit)
    ).all()
    out = []
    for customer_id, name, owner_id, owner, region_id, last in rows:
        days = None if last is None else (today - last).days
        if last is None:
            message = _("No activity ever logged with this active customer.")
        else:
            message = _(
                "No activity for {days} days (last on {last}); threshold {threshold} days."
            ).format(days=days, last=last, threshold=limits.neglected_days)
        out.append(
            Alert(
                key=f"neglected_customer:customer:{customer_id}:{last}",
                rule="neglected_customer",
                rule_label=_(RULES["neglected_customer"]),
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


def _follow_up_where(actor: Actor, today: date, limits: AlertThresholds, subjects=None) -> list:
    """Still open `follow_up_overdue_days` or more after its due day, owned by a person of the
    actor's area (needs the owner joined)."""
    where = [
        FollowUp.status.in_(OPEN_STATES),
        FollowUp.due_on <= today - timedelta(days=limits.follow_up_overdue_days),
        *scope_filter(actor, owner=FollowUp.owner_id, region=Person.region_id),
    ]
    if subjects is not None:
        where.append(FollowUp.id.in_(sorted(subjects)))
    return where


def _overdue_follow_ups(session, actor, today, limits, names, limit, subjects=None):
    """Open follow-ups `follow_up_overdue_days` or more past their due day, of the people in
    the actor's area (a rep: her own); about the deal, else the customer. The oldest `limit`
    are chosen first, and only theirs get the deal's and customer's names (joining the names
    of every overdue follow-up before sorting read the whole customer table on PostgreSQL)."""
    chosen = (
        select(FollowUp.id)
        .join(Person, Person.id == FollowUp.owner_id)
        .where(*_follow_up_where(actor, today, limits, subjects))
        .order_by(FollowUp.due_on, FollowUp.id)
        .limit(limit)
        .subquery()
    )
    rows = session.execute(
        select(
            FollowUp.id,
            FollowUp.title,
            FollowUp.due_on,
            FollowUp.deal_id,
            Deal.name,
            FollowUp.customer_id,
            Customer.name,
            FollowUp.owner_id,
            Person.name,
            Person.region_id,
        )
        .join(chosen, chosen.c.id == FollowUp.id)
        .join(Person, Person.id == FollowUp.owner_id)
        .outerjoin(Deal, Deal.id == FollowUp.deal_id)
        .outerjoin(Customer, Customer.id == FollowUp.customer_id)
        .order_by(FollowUp.due_on, FollowUp.id)
    ).all()
    out = []
    for fid, title, due_on, deal_id, deal, customer_id, customer, owner_id, owner, region in rows:
        late = (today - due_on).days
        out.append(
            Alert(
                key=f"overdue_follow_up:follow_up:{fid}:{due_on.isoformat()}",
                rule="overdue_follow_up",
                rule_label=_(RULES["overdue_follow_up"]),
                severity="medium" if late >= 7 else "low",
                subject_type="deal" if deal_id is not None else "customer",
                subject_id=deal_id if deal_id is not None else customer_id,
                subject=deal if deal_id is not None else customer,
                owner_id=owner_id,
                owner=owner,
                region=names.get(region, ""),
                message=_(
                    'Follow-up "{title}" was due on {due_on}, {late} days ago; it is still open.'
                ).format(title=title, due_on=due_on, late=late),
                figures={"follow_up_id": fid, "due_on": due_on.isoformat(), "days_late": late},
            )
        )
    return out


# --- counts: the same conditions, COUNT(*) only -----------------------------------------------


def _count_deal_rules(session, actor, today, limits) -> dict[str, int]:
    """The deal rules (stalled, big deal at risk, slipping, overdue close, missing role),
    each with its list's condition, counted in one pass over the open deals of the area. A
    deal is in one stage, so its stage's missing roles raise at most one alert."""
    stalled = _stalled_where(session, today, limits)
    conditions: dict[str, Any] = {"stalled_deal": stalled}
    big = big_deal_threshold(session)
    if big is not None:  # the amount first: the stalled check only for the largest deals
        conditions["big_deal_at_risk"] = and_(Deal.company_amount >= big, stalled)
    conditions["slipping_deal"] = _slipping_where(session)
    conditions["overdue_close"] = overdue_sql(today)
    missing = [
        _missing_role_where(stage_id, roles) for stage_id, _name, roles in _role_stages(session)
    ]
    if missing:
        conditions["missing_role"] = or_(*missing)
    counts = {"big_deal_at_risk": 0, "missing_role": 0}
    counts.update(_deal_counts(session, actor, conditions))
    return counts


def _count_neglected(session, actor, today, limits) -> dict[str, int]:
    where = _neglected_where(actor, today, limits)
    query = select(func.count()).select_from(Customer).where(*where)
    return {"neglected_customer": int(session.scalar(query) or 0)}


def _count_follow_ups(session, actor, today, limits) -> dict[str, int]:
    query = (
        select(func.count())
        .select_from(FollowUp)
        .join(Person, Person.id == FollowUp.owner_id)
        .where(*_follow_up_where(actor, today, limits))
    )
    return {"overdue_follow_up": int(session.scalar(query) or 0)}


def _count_reps(session, actor, today, limits) -> dict[str, int]:
    return rep_alert_counts(session, actor, today, limits)


def _count_not_priced(session, actor, today, limits) -> dict[str, int]:
    return {"not_priced": not_priced_count(session, actor)}


__all__ = ["RULE_COUNTS", "RULE_FUNCTIONS", "RULE_SEVERITIES", "RULE_SUBJECTS", "RepPace"]
__all__ += ["big_deal_threshold"]
__all__ += ["rep_pace"]

RULE_COUNTS = (
    _count_reps,
    _count_deal_rules,
    _count_neglected,
    _count_follow_ups,
    _count_not_priced,
)
"""Each rule's number of alerts for the actor, by rule name, without a limit: the length of
the rule function's list with `limit=None`."""

RULE_FUNCTIONS = (
    rep_alerts,
    measure_pace_alerts,
    _stalled,
    _slipping,
    _overdue,
    _missing_roles,
    _neglected,
    _overdue_follow_ups,
    not_priced_alerts,
)

RULE_SEVERITIES: dict[object, frozenset[str]] = {
    rep_alerts: frozenset({"high"}),
    measure_pace_alerts: frozenset({"medium"}),
    _stalled: frozenset({"medium", "high"}),
    _slipping: frozenset({"medium"}),
    _overdue: frozenset({"medium"}),
    _missing_roles: frozenset({"low"}),
    _neglected: frozenset({"low"}),
    _overdue_follow_ups: frozenset({"medium", "low"}),
    not_priced_alerts: frozenset({"high"}),
}
"""The severities each rule function can raise: a list of only some severities (the weekly
digest's high-severity risks) skips the functions that cannot raise them."""

RULE_SUBJECTS: dict[str, tuple] = {
    "behind_pace": (rep_alerts, measure_pace_alerts),
    "low_coverage": (rep_alerts,),
    "stalled_deal": (_stalled,),
    "big_deal_at_risk": (_stalled,),
    "slipping_deal": (_slipping,),
    "overdue_close": (_overdue,),
    "missing_role": (_missing_roles,),
    "neglected_customer": (_neglected,),
    "overdue_follow_up": (_overdue_follow_ups,),
    "not_priced": (not_priced_alerts,),
}
"""The rule functions that raise each rule's alerts (to check named subjects only)."""
