"""Export each kind in its canonical import format, so export -> import gives the same data.

Conventions: the company itself (the root region) is written as an empty region; a deal without
an external_id is written as deal-<id> (and gets that external_id when imported elsewhere); a
customer is referred to by its external_id, else by its name. Targets are the active plan's
rows (newest approved or locked version) of every fiscal year, the company's own rows left out
(they are the sum of the regions again on import).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from core.errors import PermissionDenied
from core.models import Actor, Role
from core.org.access import ensure_active
from core.org.regions import load_region_tree
from core.progress.figures import active_plan_id
from core.transfer.formats import Kind, columns
from db.schema import Activity, Customer, Deal, Person, Product, Stage, Target, TargetPlan

SCOPED = {Kind.PEOPLE, Kind.CUSTOMERS, Kind.DEALS, Kind.ACTIVITIES}


def ensure_can_export(actor: Actor, kind: Kind) -> None:
    """Directors and admins export everything; managers people, customers, deals and
    activities of their own area."""
    ensure_active(actor)
    if actor.sees_everything or (actor.role == Role.MANAGER and kind in SCOPED):
        return
    raise PermissionDenied(f"You may not export {kind}.")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _frame(kind: Kind, rows) -> pd.DataFrame:
    data = [[_text(v) for v in row] for row in rows]
    return pd.DataFrame(data, columns=columns(kind), dtype=object)


def _scope(actor: Actor, column):
    if actor.sees_everything:
        return []
    return [column.in_(actor.scope_region_ids or frozenset())]


def export_frame(session: Session, actor: Actor, kind: Kind | str) -> pd.DataFrame:
    """The rows of `kind` as text in canonical columns (what `manage.py export` writes)."""
    kind = Kind(kind)
    ensure_can_export(actor, kind)
    tree = load_region_tree(session)
    root = tree.root_id

    def region_name(region_id: int | None) -> str | None:
        return None if region_id in (None, root) else tree.names[region_id]

    if kind == Kind.REGIONS:
        rows = [
            (tree.names[r], region_name(tree.parents[r]))
            for r in sorted(tree.names, key=lambda r: (len(tree.path(r)), tree.names[r]))
            if r != root
        ]
        return _frame(kind, rows)
    if kind == Kind.PEOPLE:
        boss = aliased(Person)
        query = (
            select(
                Person.email,
                Person.name,
                Person.role,
                Person.region_id,
                boss.email,
                Person.hire_date,
            )
            .outerjoin(boss, boss.id == Person.reports_to_id)
            .where(*_scope(actor, Person.region_id))
            .order_by(Person.id)
        )
        rows = [
            (e, n, ro, region_name(rid), b, h) for e, n, ro, rid, b, h in session.execute(query)
        ]
        return _frame(kind, rows)
    if kind == Kind.PRODUCTS:
        query = select(Product.name, Product.product_line, Product.list_price).order_by(Product.id)
        return _frame(kind, session.execute(query).all())
    if kind == Kind.CUSTOMERS:
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
        rows = [(x, n, region_name(r), *rest) for x, n, r, *rest in session.execute(query)]
        return _frame(kind, rows)
    customer_ref = func.coalesce(Customer.external_id, Customer.name)
    if kind == Kind.DEALS:
        query = (
            select(
                func.coalesce(Deal.external_id, "deal-" + func.cast(Deal.id, Customer.name.type)),
                customer_ref,
                Person.email,
                Product.name,
                Deal.name,
                Deal.amount,
                Stage.name,
                Deal.created_on,
                Deal.expected_close,
                Deal.closed_on,
                Deal.lost_reason,
            )
            .join(Customer, Customer.id == Deal.customer_id)
            .join(Person, Person.id == Deal.owner_id)
            .join(Stage, Stage.id == Deal.stage_id)
            .outerjoin(Product, Product.id == Deal.product_id)
            .where(*_scope(actor, Deal.region_id))
            .order_by(Deal.id)
        )
        return _frame(kind, session.execute(query).all())
    if kind == Kind.ACTIVITIES:
        query = (
            select(
                Activity.type,
                Activity.occurred_on,
                Person.email,
                customer_ref,
                func.coalesce(Deal.external_id, "deal-" + func.cast(Deal.id, Customer.name.type)),
                Activity.outcome,
                Activity.notes,
            )
            .join(Person, Person.id == Activity.person_id)
            .join(Customer, Customer.id == Activity.customer_id)
            .outerjoin(Deal, Deal.id == Activity.deal_id)
            .where(*_scope(actor, Person.region_id))
            .order_by(Activity.id)
        )
        return _frame(kind, session.execute(query).all())
    # targets: the active plan of every fiscal year
    years = session.scalars(
        select(TargetPlan.fiscal_year).distinct().order_by(TargetPlan.fiscal_year)
    )
    rows = []
    for year in years:
        plan_id = active_plan_id(session, year)
        if plan_id is None:
            continue
        query = (
            select(Target.month, Target.region_id, Person.email, Target.amount)
            .outerjoin(Person, Person.id == Target.person_id)
            .where(Target.plan_id == plan_id)
            .order_by(Target.month, Target.person_id.is_not(None), Person.email)
        )
        for month, region_id, email, amount in session.execute(query):
            if email is None and region_id == root:
                continue
            region = None if email else tree.names[region_id]
            rows.append((month.strftime("%Y-%m"), region, email, amount))
    rows.sort(key=lambda r: (r[0], r[2] is not None, r[1] or "", r[2] or ""))
    return _frame(kind, rows)
