"""Progress against target, aggregated in SQL: target, won, attainment and open pipeline.

Rules:
- Target is the sum of the active plan's monthly targets (the newest approved or locked version
  of the fiscal year's plan). A region's target is its own rows; a rep's, the rep's rows.
- Won is the amount of deals won with a close date in the period, credited to the region stored
  on the deal (the owner's region at close) or to the owner.
- Attainment = won / target, undefined without a target.
- Open pipeline: open deals expected to close in the period; weighted by stage probability.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from core.errors import PermissionDenied
from core.models import Actor, BreakdownRow, Period, Role, ScopeFigures
from core.org import RegionTree, load_region_tree
from core.permissions import ensure_can_view_person, in_scope
from db.schema import Deal, DealStatus, Person, PlanStatus, Stage, Target, TargetPlan

CENT = Decimal("0.01")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Scope:
    """Whose figures: a set of regions (None = the whole company) or one rep."""

    label: str
    region_ids: frozenset[int] | None = None
    top_region_ids: tuple[int, ...] = ()
    person_id: int | None = None


def default_scope(session: Session, actor: Actor) -> Scope:
    """Rep: self; manager: the regions they manage; director and admin: the company."""
    tree = load_region_tree(session)
    if actor.role == Role.REP:
        return Scope(label=actor.name, person_id=actor.id)
    if actor.role == Role.MANAGER:
        ids = actor.scope_region_ids or frozenset()
        tops = tuple(r for r in ids if tree.parents.get(r) not in ids)
        label = ", ".join(sorted(tree.names[r] for r in tops)) or "No region"
        return Scope(label=label, region_ids=ids, top_region_ids=tops)
    root = tree.root_id
    return Scope(label=tree.names.get(root, "Company"), top_region_ids=(root,) if root else ())


def region_scope(session: Session, actor: Actor, region_id: int) -> Scope:
    """A region with its subtree, if the actor may see it."""
    if not in_scope(actor, region_id) or actor.role == Role.REP:
        raise PermissionDenied("You can only see figures of regions you manage.")
    tree = load_region_tree(session)
    return Scope(
        label=tree.names[region_id],
        region_ids=frozenset(tree.subtree(region_id)),
        top_region_ids=(region_id,),
    )


def rep_scope(session: Session, actor: Actor, person_id: int) -> Scope:
    person = session.get(Person, person_id)
    if person is None:
        raise PermissionDenied("No such person.")
    ensure_can_view_person(actor, person_id=person_id, region_id=person.region_id)
    return Scope(label=person.name, person_id=person_id)


def active_plan_id(session: Session, fiscal_year: int) -> int | None:
    """The newest approved or locked version of the fiscal year's plan."""
    return session.scalar(
        select(TargetPlan.id)
        .where(
            TargetPlan.fiscal_year == fiscal_year,
            TargetPlan.status.in_([PlanStatus.APPROVED, PlanStatus.LOCKED]),
        )
        .order_by(TargetPlan.version.desc())
        .limit(1)
    )


def _deal_filter(scope: Scope) -> list:
    if scope.person_id is not None:
        return [Deal.owner_id == scope.person_id]
    if scope.region_ids is not None:
        return [Deal.region_id.in_(scope.region_ids)]
    return []


def _target_total(session: Session, scope: Scope, period: Period) -> Decimal | None:
    plan_id = active_plan_id(session, period.fiscal_year)
    if plan_id is None:
        return None
    in_period = and_(Target.plan_id == plan_id, Target.month.between(period.start, period.end))
    if scope.person_id is not None:
        where = and_(in_period, Target.person_id == scope.person_id)
    else:
        where = and_(
            in_period, Target.person_id.is_(None), Target.region_id.in_(scope.top_region_ids)
        )
    total, rows = session.execute(select(func.sum(Target.amount), func.count()).where(where)).one()
    return _money(total) if rows else None


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def _ratio(part: Decimal, whole: Decimal | None) -> Decimal | None:
    if not whole:
        return None
    return (part / whole).quantize(Decimal("0.0001"))


def scope_figures(session: Session, scope: Scope, period: Period) -> ScopeFigures:
    """Target, won, attainment and open pipeline of one scope for one period."""
    filters = _deal_filter(scope)
    won, won_deals = session.execute(
        select(func.sum(Deal.amount), func.count()).where(
            Deal.status == DealStatus.WON,
            Deal.closed_on.between(period.start, period.end),
            *filters,
        )
    ).one()
    open_amount, weighted, open_deals = session.execute(
        select(func.sum(Deal.amount), func.sum(Deal.amount * Stage.probability), func.count())
        .join(Stage, Stage.id == Deal.stage_id)
        .where(
            Deal.status == DealStatus.OPEN,
            Deal.expected_close.between(period.start, period.end),
            *filters,
        )
    ).one()
    target = _target_total(session, scope, period)
    won = _money(won)
    return ScopeFigures(
        scope=scope.label,
        period=period.label,
        target=target,
        won=won,
        attainment=_ratio(won, target),
        open_pipeline=_money(open_amount),
        weighted_pipeline=_money(weighted),
        open_deals=open_deals,
        won_deals=won_deals,
    )


def _rows(keys_labels, targets: dict, won: dict) -> list[BreakdownRow]:
    out = []
    for key, label in keys_labels:
        target = targets.get(key)
        amount = won.get(key, ZERO)
        out.append(
            BreakdownRow(
                key=str(key),
                label=label,
                target=target,
                won=amount,
                attainment=_ratio(amount, target),
            )
        )
    return out


def _won_by_region(session: Session, period: Period, region_ids) -> dict[int, Decimal]:
    query = (
        select(Deal.region_id, func.sum(Deal.amount))
        .where(Deal.status == DealStatus.WON, Deal.closed_on.between(period.start, period.end))
        .group_by(Deal.region_id)
    )
    if region_ids is not None:
        query = query.where(Deal.region_id.in_(region_ids))
    return {region: _money(total) for region, total in session.execute(query)}


def won_vs_target_by_region(
    session: Session, parent_ids: tuple[int, ...], period: Period, tree: RegionTree | None = None
) -> list[BreakdownRow]:
    """Each child region of `parent_ids` (with its subtree) for the period."""
    tree = tree or load_region_tree(session)
    children = [c for p in parent_ids for c in tree.children.get(p, [])] or list(parent_ids)
    subtree = {c: tree.subtree(c) for c in children}
    won_by_node = _won_by_region(session, period, frozenset().union(*subtree.values()))
    won = {c: sum((won_by_node.get(r, ZERO) for r in ids), ZERO) for c, ids in subtree.items()}
    targets: dict[int, Decimal] = {}
    plan_id = active_plan_id(session, period.fiscal_year)
    if plan_id is not None:
        query = (
            select(Target.region_id, func.sum(Target.amount))
            .where(
                Target.plan_id == plan_id,
                Target.person_id.is_(None),
                Target.region_id.in_(children),
                Target.month.between(period.start, period.end),
            )
            .group_by(Target.region_id)
        )
        targets = {region: _money(total) for region, total in session.execute(query)}
    return _rows([(c, tree.names[c]) for c in children], targets, won)


def won_vs_target_by_rep(
    session: Session, region_ids: frozenset[int] | None, period: Period
) -> list[BreakdownRow]:
    """Each rep with a target or a win in the regions, for the period."""
    won_query = (
        select(Deal.owner_id, func.sum(Deal.amount))
        .where(Deal.status == DealStatus.WON, Deal.closed_on.between(period.start, period.end))
        .group_by(Deal.owner_id)
    )
    if region_ids is not None:
        won_query = won_query.where(Deal.region_id.in_(region_ids))
    won = {owner: _money(total) for owner, total in session.execute(won_query)}
    targets: dict[int, Decimal] = {}
    plan_id = active_plan_id(session, period.fiscal_year)
    if plan_id is not None:
        target_query = (
            select(Target.person_id, func.sum(Target.amount))
            .where(
                Target.plan_id == plan_id,
                Target.person_id.is_not(None),
                Target.month.between(period.start, period.end),
            )
            .group_by(Target.person_id)
        )
        if region_ids is not None:
            target_query = target_query.where(Target.region_id.in_(region_ids))
        targets = {person: _money(total) for person, total in session.execute(target_query)}
    ids = set(won) | set(targets)
    names = dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all())
    ordered = sorted(ids, key=lambda pid: names.get(pid, ""))
    return _rows([(pid, names.get(pid, f"#{pid}")) for pid in ordered], targets, won)


def won_vs_target_by_month(session: Session, person_id: int, period: Period) -> list[BreakdownRow]:
    """One rep's months in the period."""
    year, month_no = func.extract("year", Deal.closed_on), func.extract("month", Deal.closed_on)
    won_query = (
        select(year, month_no, func.sum(Deal.amount))
        .where(
            Deal.status == DealStatus.WON,
            Deal.closed_on.between(period.start, period.end),
            Deal.owner_id == person_id,
        )
        .group_by(year, month_no)
    )
    won = {(int(y), int(m)): _money(total) for y, m, total in session.execute(won_query)}
    targets: dict = {}
    plan_id = active_plan_id(session, period.fiscal_year)
    if plan_id is not None:
        target_query = (
            select(Target.month, func.sum(Target.amount))
            .where(
                Target.plan_id == plan_id,
                Target.person_id == person_id,
                Target.month.between(period.start, period.end),
            )
            .group_by(Target.month)
        )
        targets = {(m.year, m.month): _money(t) for m, t in session.execute(target_query)}
    keys = [((m.year, m.month), m.strftime("%b %Y")) for m in period.months()]
    return _rows(keys, targets, won)


def breakdown(session: Session, scope: Scope, period: Period) -> list[BreakdownRow]:
    """The natural split of a scope: company -> regions, manager's area -> reps, rep -> months."""
    if scope.person_id is not None:
        return won_vs_target_by_month(session, scope.person_id, period)
    if scope.region_ids is not None:
        return won_vs_target_by_rep(session, scope.region_ids, period)
    return won_vs_target_by_region(session, scope.top_region_ids, period)
