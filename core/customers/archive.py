"""Customer records: one shared archive owned by the company, and its read views.

Everyone in the sales organisation sees every customer. Each customer has one owner at a time;
a rep edits own customers, a manager those in the regions they manage, directors and admins all.
A customer's deals and activities outside the viewer's scope show as existence only (owner,
stage, expected close; no amounts, names or notes), see `core.org.access.deals_in_view`.

Searching, filtering, sorting, counting and paging happen in SQL, so the archive stays fast at
hundreds of thousands of customers.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import ColumnElement, Select, and_, case, func, not_, or_, select
from sqlalchemy.orm import Session, aliased

from core import clock
from core.customers.names import normalize_name
from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.i18n import N_, _
from core.models import Actor, CustomerStatus, Role
from core.org.access import deals_in_view, ensure_can_edit_record
from core.org.regions import load_region_tree
from core.pipeline.activities import can_log_activity
from db.schema import (
    Activity,
    Contact,
    Customer,
    Deal,
    Person,
    Region,
)

# --- models crossing the boundary ---------------------------------------------------------

SORTS = {
    "name": N_("Name"),
    "owner": N_("Owner"),
    "region": N_("Region"),
    "industry": N_("Industry"),
    "status": N_("Status"),
    "potential": N_("Potential"),
    "last_activity": N_("Last activity"),
    "created": N_("Created"),
}


class CustomerFilters(BaseModel):
    """What the customer list is narrowed and ordered by. Empty fields do not filter."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    search: str = ""
    region_id: int | None = None
    owner_id: int | None = None
    industry: str | None = None
    segment: str | None = None
    status: CustomerStatus | None = None
    inactive_days: int | None = Field(default=None, ge=1, le=3650)
    sort: str = "name"
    descending: bool = False

    @field_validator("sort")
    @classmethod
    def known_sort(cls, value: str) -> str:
        if value not in SORTS:
            raise ValueError(
                _("cannot sort by '{value}'; choose one of {SORTS}").format(
                    value=value, SORTS=", ".join(SORTS)
                )
            )
        return value


class ContactOut(BaseModel):
    id: int
    name: str
    title: str | None
    email: str | None
    phone: str | None
    is_primary: bool


class CustomerSummary(BaseModel):
    """Headline figures of one customer over its whole history, as the viewer may see them:
    the amounts cover the deals in the viewer's scope, the counts every deal."""

    won_to_date: Decimal
    open_pipeline: Decimal
    won_deals: int
    lost_deals: int
    open_deals: int
    last_contact: date | None
    win_rate: Decimal | None  # won deals / closed deals, by count
    deals_not_shown: int = 0  # deals of others whose amounts are left out of the sums


class CustomerDetail(BaseModel):
    id: int
    name: str
    external_id: str | None
    industry: str | None
    segment: str | None
    status: str
    region_id: int
    region: str
    owner_id: int | None
    owner: str | None
    annual_potential: Decimal
    last_activity_on: date | None
    created_on: date | None
    contacts: list[ContactOut]
    summary: CustomerSummary
    can_edit: bool
    can_reassign: bool
    can_log_activity: bool


# --- permissions --------------------------------------------------------------------------


def can_edit(actor: Actor, *, owner_id: int | None, region_id: int | None) -> bool:
    """Whether the actor may edit a customer (rep: own; manager: own subtree; director: all)."""
    try:
        ensure_can_edit_record(actor, owner_id=owner_id, region_id=region_id, what=_("customer"))
    except PermissionDenied:
        return False
    return True


def can_reassign(actor: Actor) -> bool:
    return actor.active and (actor.sees_everything or actor.role == Role.MANAGER)


# --- search -------------------------------------------------------------------------------


def _filtered(session: Session, filters: CustomerFilters, today: date) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.search and (key := normalize_name(filters.search)):
        conditions.append(Customer.normalized_name.like(f"%{key}%"))
    if filters.region_id is not None:
        subtree = load_region_tree(session).subtree(filters.region_id)
        conditions.append(Customer.region_id.in_(sorted(subtree)))
    if filters.owner_id is not None:
        conditions.append(Customer.owner_id == filters.owner_id)
    if filters.industry:
        conditions.append(Customer.industry == filters.industry)
    if filters.segment:
        conditions.append(Customer.segment == filters.segment)
    if filters.status:
        conditions.append(Customer.status == filters.status.value)
    if filters.inactive_days:
        cutoff = today - timedelta(days=filters.inactive_days)
        conditions.append(
            or_(Customer.last_activity_on.is_(None), Customer.last_activity_on < cutoff)
        )
    return conditions


_Owner = aliased(Person)
_NULLABLE_SORTS = {"owner", "industry", "last_activity"}


def _list_query(
    session: Session, filters: CustomerFilters, today: date, *, limit: int, offset: int = 0
) -> Select:
    """The page is chosen over the customer table alone (joined to owner or region only when
    sorted by them), then the few rows on it are joined for display."""
    sort_columns = {
        "name": Customer.name,
        "owner": _Owner.name,
        "region": Region.name,
        "industry": Customer.industry,
        "status": Customer.status,
        "potential": Customer.annual_potential,
        "last_activity": Customer.last_activity_on,
        "created": Customer.created_on,
    }
    column = sort_columns[filters.sort]
    order = [column.desc() if filters.descending else column.asc(), Customer.id]
    if filters.sort in _NULLABLE_SORTS:
        order.insert(0, column.is_(None))  # empty values last, whatever the direction
    page = select(Customer.id).where(*_filtered(session, filters, today))
    if filters.sort == "owner":
        page = page.outerjoin(_Owner, _Owner.id == Customer.owner_id)
    elif filters.sort == "region":
        page = page.join(Region, Region.id == Customer.region_id)
    page_ids = page.order_by(*order).limit(limit).offset(offset).subquery()
    return (
        select(
            Customer.id,
            Customer.name,
            Region.name.label("region"),
            _Owner.name.label("owner"),
            Customer.industry,
            Customer.segment,
            Customer.status,
            Customer.annual_potential.label("potential"),
            Customer.last_activity_on.label("last_activity"),
            Customer.created_on.label("created"),
        )
        .join(page_ids, page_ids.c.id == Customer.id)
        .join(Region, Region.id == Customer.region_id)
        .outerjoin(_Owner, _Owner.id == Customer.owner_id)
        .order_by(*order)
    )


LIST_COLUMNS = [
    "id",
    "name",
    "region",
    "owner",
    "industry",
    "segment",
    "status",
    "potential",
    "last_activity",
    "created",
]


def search_customers(
    session: Session,
    actor: Actor,
    filters: CustomerFilters,
    *,
    page: int = 1,
    page_size: int = 50,
    today: date | None = None,
) -> pd.DataFrame:
    """One page of the customers matching `filters` (everyone sees every customer). The
    search matches anywhere in the name, ignoring case, accents, punctuation and legal form."""
    if page < 1 or not 1 <= page_size <= 1000:
        raise ValidationFailed(_("Page must be 1 or more and page size between 1 and 1000."))
    query = _list_query(
        session, filters, today or clock.today(), limit=page_size, offset=(page - 1) * page_size
    )
    rows = session.execute(query).all()
    return pd.DataFrame(rows, columns=LIST_COLUMNS)


def count_customers(
    session: Session, actor: Actor, filters: CustomerFilters, *, today: date | None = None
) -> int:
    """How many customers match `filters`."""
    conditions = _filtered(session, filters, today or clock.today())
    return session.scalar(select(func.count()).select_from(Customer).where(*conditions)) or 0


def export_customers(
    session: Session,
    actor: Actor,
    filters: CustomerFilters,
    *,
    limit: int = 50_000,
    today: date | None = None,
) -> pd.DataFrame:
    """The filtered list for download, in the list's order, at most `limit` rows."""
    query = _list_query(session, filters, today or clock.today(), limit=limit)
    return pd.DataFrame(session.execute(query).all(), columns=LIST_COLUMNS)


def filter_options(session: Session) -> dict[str, list]:
    """Values to offer in the list's filters: industries, segments, regions and owners."""
    industries = session.scalars(
        select(Customer.industry).where(Customer.industry.is_not(None)).distinct()
    ).all()
    segments = session.scalars(
        select(Customer.segment).where(Customer.segment.is_not(None)).distinct()
    ).all()
    tree = load_region_tree(session)
    regions = [
        (rid, " › ".join(tree.names[n] for n in tree.path(rid)[1:]) or tree.names[rid])
        for rid in tree.names
    ]
    owners = session.execute(
        select(Person.id, Person.name, Person.region_id, Person.active)
        .where(Person.role.in_([Role.REP.value, Role.MANAGER.value]))
        .order_by(Person.name)
    ).all()
    return {
        "industries": sorted(industries),
        "segments": sorted(segments),
        "regions": sorted(regions, key=lambda r: r[1]),
        "owners": [tuple(row) for row in owners],
    }


# --- detail -------------------------------------------------------------------------------


def get_customer(session: Session, customer_id: int) -> Customer:
    """The customer with this id, or NotFound."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(_("No customer with id {customer_id}.").format(customer_id=customer_id))
    return customer


def customer_summary(session: Session, actor: Actor, customer_id: int) -> CustomerSummary:
    """Won to date, open pipeline and win rate (won / closed deals) in one GROUP BY. The sums
    cover the deals in the actor's scope; deals of others count (they exist) without amounts."""
    zero = Decimal(0)
    shown = deals_in_view(actor)
    won, open_, n_won, n_lost, n_open, n_hidden = session.execute(
        select(
            func.coalesce(
                func.sum(case((and_(Deal.status == "won", shown), Deal.company_amount))), 0
            ),
            func.coalesce(
                func.sum(case((and_(Deal.status == "open", shown), Deal.company_amount))), 0
            ),
            func.count(case((Deal.status == "won", 1))),
            func.count(case((Deal.status == "lost", 1))),
            func.count(case((Deal.status == "open", 1))),
            func.count(case((not_(shown), 1))),
        ).where(Deal.customer_id == customer_id)
    ).one()
    last_activity = session.scalar(
        select(func.max(Activity.occurred_on)).where(Activity.customer_id == customer_id)
    )
    stored = session.scalar(select(Customer.last_activity_on).where(Customer.id == customer_id))
    last = max((d for d in (last_activity, stored) if d is not None), default=None)
    closed = n_won + n_lost
    return CustomerSummary(
        won_to_date=Decimal(won or zero),
        open_pipeline=Decimal(open_ or zero),
        won_deals=n_won,
        lost_deals=n_lost,
        open_deals=n_open,
        last_contact=last,
        win_rate=(Decimal(n_won) / Decimal(closed)).quantize(Decimal("0.0001")) if closed else None,
        deals_not_shown=n_hidden,
    )


def customer_detail(session: Session, actor: Actor, customer_id: int) -> CustomerDetail:
    """Profile, contacts and headline figures of one customer (visible to everyone; the figures
    as the actor's scope allows), with what the actor may do on it."""
    customer = get_customer(session, customer_id)
    owner = session.get(Person, customer.owner_id) if customer.owner_id else None
    region = session.get(Region, customer.region_id)
    contacts = session.scalars(
        select(Contact)
        .where(Contact.customer_id == customer_id)
        .order_by(Contact.is_primary.desc(), Contact.name)
    ).all()
    return CustomerDetail(
        id=customer.id,
        name=customer.name,
        external_id=customer.external_id,
        industry=customer.industry,
        segment=customer.segment,
        status=customer.status,
        region_id=customer.region_id,
        region=region.name if region else "",
        owner_id=customer.owner_id,
        owner=owner.name if owner else None,
        annual_potential=customer.annual_potential,
        last_activity_on=customer.last_activity_on,
        created_on=customer.created_on,
        contacts=[
            ContactOut(
                id=c.id,
                name=c.name,
                title=c.title,
                email=c.email,
                phone=c.phone,
                is_primary=c.is_primary,
            )
            for c in contacts
        ],
        summary=customer_summary(session, actor, customer_id),
        can_edit=can_edit(actor, owner_id=customer.owner_id, region_id=customer.region_id),
        can_reassign=can_reassign(actor),
        can_log_activity=can_log_activity(session, actor, customer),
    )
