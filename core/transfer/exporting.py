"""Export each kind in its canonical import format, so export -> import gives the same data.

Conventions: the company itself (the root region) is written as an empty region; a deal without
an external_id is written as deal-<id> (and gets that external_id when imported elsewhere); a
customer is referred to by its external_id, else by its name. Targets are the active plan's
rows (newest approved or locked version) of every fiscal year, measure and product line, the
company's own rows left out (they are the sum of the regions again on import); counts (units,
visits, deals created) are written as whole numbers. Seasonality profiles are written one row
per calendar month. A deal's currency is written beside its
amount, and its company amount after the other columns (read-only: the import ignores it).
Exchange rates are written with every decimal they have; credit splits one row per share of
each split deal (deals not split, 100 % to their owner, are left out).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal

import pandas as pd
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, aliased

from core.errors import PermissionDenied
from core.i18n import _
from core.models import COUNT_MEASURES, Actor, Measure, Role, measure_of
from core.org.access import ensure_active
from core.org.regions import RegionTree, load_region_tree
from core.pipeline.team import SEPARATOR
from core.plans.views import plan_series
from core.progress.figures import active_plan_id
from core.transfer.formats import Kind, columns
from db.schema import (
    Activity,
    CreditSplit,
    Customer,
    Deal,
    ExchangeRate,
    Person,
    Product,
    SeasonalityPercent,
    Stage,
    Target,
    TargetPlan,
)

SCOPED = {Kind.PEOPLE, Kind.CUSTOMERS, Kind.DEALS, Kind.CREDIT_SPLITS, Kind.ACTIVITIES}


def ensure_can_export(actor: Actor, kind: Kind) -> None:
    """Directors and admins export everything; managers people, customers, deals, credit
    splits and activities of their own area."""
    ensure_active(actor)
    if actor.sees_everything or (actor.role == Role.MANAGER and kind in SCOPED):
        return
    raise PermissionDenied(_("You may not export {kind}.").format(kind=kind))


def exportable_kinds(actor: Actor) -> list[Kind]:
    """The kinds the actor may export, in the import's order: what the export box offers (the
    same rule as ensure_can_export, asked kind by kind)."""
    allowed = []
    for kind in Kind:
        try:
            ensure_can_export(actor, kind)
        except PermissionDenied:
            continue
        allowed.append(kind)
    return allowed


Rows = Sequence[Sequence[object]]
"""One tuple of values per exported record, in the kind's canonical column order."""


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _frame(kind: Kind, rows: Rows) -> pd.DataFrame:
    data = [[_text(v) for v in row] for row in rows]
    return pd.DataFrame(data, columns=columns(kind), dtype=object)


def _scope(actor: Actor, column):
    if actor.sees_everything:
        return []
    return [column.in_(actor.scope_region_ids or frozenset())]


def _region_name(tree: RegionTree, region_id: int | None) -> str | None:
    """A region as a file names it: empty for the company itself."""
    return None if region_id is None or region_id == tree.root_id else tree.names[region_id]


def _regions(session: Session, actor: Actor, tree: RegionTree) -> Rows:
    return [
        (tree.names[r], _region_name(tree, tree.parents[r]))
        for r in sorted(tree.names, key=lambda r: (len(tree.path(r)), tree.names[r]))
        if r != tree.root_id
    ]


def _people(session: Session, actor: Actor, tree: RegionTree) -> Rows:
    boss = aliased(Person)
    query = (
        select(
            Person.email,
            Person.name,
            Person.role,
            Person.region_id,
            boss.email,
            Person.hire_date,
            Person.functions,
        )
        .outerjoin(boss, boss.id == Person.reports_to_id)
        .where(*_scope(actor, Person.region_id))
        .order_by(Person.id)
    )
    return [
        (e, n, ro, _region_name(tree, rid), b, h, f"{SEPARATOR} ".join(fs or []) or None)
        for e, n, ro, rid, b, h, fs in session.execute(query)
    ]


def _products(session: Session, actor: Actor, tree: RegionTree) -> Rows:
    query = select(Product.name, Product.product_line, Product.list_price).order_by(Product.id)
    return session.execute(query).all()


def _customers(session: Session, actor: Actor, tree: RegionTree) -> Rows:
    query = (
        select(
            Customer.external_id,
            Customer.name,
            Customer.region_id,
            Person.email,
            Customer.industry,
            Customer.segment,
            Customer.status,
            Customer.annual_potential,
        )
        .outerjoin(Person, Person.id == Customer.owner_id)
        .where(*_scope(actor, Customer.region_id))
        .order_by(Customer.id)
    )
    return [(x, n, _region_name(tree, r), *rest) for x, n, r, *rest in session.execute(query)]


def _customer_ref() -> ColumnElement[str]:
    return func.coalesce(Customer.external_id, Customer.name)


def _deal_ref() -> ColumnElement[str]:
    return func.coalesce(Deal.external_id, "deal-" + func.cast(Deal.id, Customer.name.type))


def _deals(session: Session, actor: Actor, tree: RegionTree) -> Rows:
    query = (
        select(
            _deal_ref(),
            _customer_ref(),
            Person.email,
            Product.name,
            Deal.name,
            Deal.amount,
            Deal.currency,
            Deal.quantity,
            Stage.name,
            Deal.created_on,
            Deal.expected_close,
            Deal.closed_on,
            Deal.lost_reason,
            Deal.company_amount,
        )
        .join(Customer, Customer.id == Deal.customer_id)
        .join(Person, Person.id == Deal.owner_id)
        .join(Stage, Stage.id == Deal.stage_id)
        .outerjoin(Product, Product.id == Deal.product_id)
        .where(*_scope(actor, Deal.region_id))
        .order_by(Deal.id)
    )
    return session.execute(query).all()


def rate_text(rate: Decimal) -> str:
    """A rate with every decimal it has and no trailing zeros (1.0842, 150)."""
    return format(Decimal(rate).normalize(), "f")


def _exchange_rates(session: Session, actor: Actor, tree: RegionTree) -> Rows:
    query = select(ExchangeRate.currency, ExchangeRate.valid_from, ExchangeRate.rate).order_by(
        ExchangeRate.currency, ExchangeRate.valid_from
    )
    return [(code, day, rate_text(rate)) for code, day, rate in session.execute(query)]


def _credit_splits(session: Session, actor: Actor, tree: RegionTree) -> Rows:
    """One row per share of each split deal in the actor's area."""
    query = (
        select(_deal_ref(), Person.email, CreditSplit.percent)
        .select_from(CreditSplit)
        .join(Deal, Deal.id == CreditSplit.deal_id)
        .join(Person, Person.id == CreditSplit.person_id)
        .where(Deal.credit_shared.is_(True), *_scope(actor, Deal.region_id))
        .order_by(Deal.id, CreditSplit.percent.desc(), Person.email)
    )
    return session.execute(query).all()


def _activities(session: Session, actor: Actor, tree: RegionTree) -> Rows:
    query = (
        select(
            Activity.type,
            Activity.occurred_on,
            Person.email,
            _customer_ref(),
            _deal_ref(),
            Activity.outcome,
            Activity.notes,
        )
        .join(Person, Person.id == Activity.person_id)
        .join(Customer, Customer.id == Activity.customer_id)
        .outerjoin(Deal, Deal.id == Activity.deal_id)
        .where(*_scope(actor, Person.region_id))
        .order_by(Activity.id)
    )
    return session.execute(query).all()


def _targets(session: Session, actor: Actor, tree: RegionTree) -> Rows:
    """The active plan of every fiscal year and series (measure, product line), the company's
    own rows left out: revenue first, then the other measures, then product lines."""
    years = session.scalars(
        select(TargetPlan.fiscal_year).distinct().order_by(TargetPlan.fiscal_year)
    ).all()
    by_year = {year: plan_series(session, year) for year in years}
    every = sorted({s for found in by_year.values() for s in found}, key=_series_order)
    order = {series: i for i, series in enumerate(every)}
    rows: list[tuple[int, str, str | None, str | None, object, str, str | None]] = []
    for year, found in by_year.items():
        for measure, line in found:
            plan_id = active_plan_id(session, year, measure, line)
            if plan_id is None:
                continue
            whole = measure_of(measure) in COUNT_MEASURES
            query = (
                select(Target.month, Target.region_id, Person.email, Target.amount)
                .outerjoin(Person, Person.id == Target.person_id)
                .where(Target.plan_id == plan_id)
            )
            for month, region_id, email, amount in session.execute(query):
                if email is None and region_id == tree.root_id:
                    continue
                region = None if email else tree.names[region_id]
                value = str(int(amount)) if whole else amount
                rows.append(
                    (
                        order[(measure, line)],
                        month.strftime("%Y-%m"),
                        region,
                        email,
                        value,
                        measure,
                        line or None,
                    )
                )
    rows.sort(key=lambda r: (r[0], r[1], r[3] is not None, r[2] or "", r[3] or ""))
    return [row[1:] for row in rows]


def _series_order(series: tuple[str, str]) -> tuple[bool, int, str]:
    """The company's plans first (revenue, then the other measures), then product lines."""
    measure, line = series
    return (line != "", [m.value for m in Measure].index(measure), line)


def _seasonality(session: Session, actor: Actor, tree: RegionTree) -> Rows:
    """One row per profile and calendar month, profiles by name."""
    query = select(
        SeasonalityPercent.name, SeasonalityPercent.month, SeasonalityPercent.percent
    ).order_by(SeasonalityPercent.name, SeasonalityPercent.month)
    return session.execute(query).all()


_EXPORTS: dict[Kind, Callable[[Session, Actor, RegionTree], Rows]] = {
    Kind.REGIONS: _regions,
    Kind.PEOPLE: _people,
    Kind.PRODUCTS: _products,
    Kind.CUSTOMERS: _customers,
    Kind.EXCHANGE_RATES: _exchange_rates,
    Kind.DEALS: _deals,
    Kind.CREDIT_SPLITS: _credit_splits,
    Kind.ACTIVITIES: _activities,
    Kind.TARGETS: _targets,
    Kind.SEASONALITY: _seasonality,
}


def export_frame(session: Session, actor: Actor, kind: Kind | str) -> pd.DataFrame:
    """The rows of `kind` as text in canonical columns (what `manage.py export` writes)."""
    kind = Kind(kind)
    ensure_can_export(actor, kind)
    return _frame(kind, _EXPORTS[kind](session, actor, load_region_tree(session)))
