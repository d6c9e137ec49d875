"""Customer records: one shared archive owned by the company.

Everyone in the sales organisation sees every customer. Each customer has one owner at a time;
a rep edits own customers, a manager those in the regions they manage, directors and admins all.
Only managers and above hand customers to another owner or merge duplicates, and every change
lands in the audit log in the same transaction.

Searching, filtering, sorting, counting and paging happen in SQL, so the archive stays fast at
hundreds of thousands of customers.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Select, and_, case, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.models import Actor, CustomerStatus, DealStatus, Money, Role
from core.org import audit
from core.org.access import ensure_active, ensure_can_edit_record, ensure_role, in_scope
from core.org.regions import load_region_tree
from db.schema import (
    Activity,
    AuditLog,
    Contact,
    Customer,
    Deal,
    DealStageHistory,
    Person,
    Region,
    Stage,
)

_LEGAL_FORMS = re.compile(
    r"\b(inc|incorporated|ltd|limited|llc|gmbh|ag|sa|sas|srl|bv|nv|plc|co|corp|corporation|"
    r"company|kk|pty|oy|ab|as|spa)\b\.?"
)

SIMILARITY_THRESHOLD = 0.85
"""Two names whose normalised keys are at least this similar (difflib ratio) look like one."""

_CANDIDATE_LIMIT = 3000
_CHUNK = 500  # ids per IN (...) list: well inside every driver's parameter limit


def normalize_name(name: str) -> str:
    """The key duplicates are found by: lower case, accents and punctuation removed, legal form
    (Ltd, GmbH, Inc...) dropped, spaces collapsed. "Müller GmbH" and "MULLER" share one key."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    folded = re.sub(r"[^a-z0-9 ]+", " ", folded)
    stripped = _LEGAL_FORMS.sub(" ", folded)
    key = " ".join(stripped.split())
    return key or " ".join(folded.split())


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _starts_with(column, prefix: str):
    """Names starting with `prefix`. Normalised keys hold only [a-z0-9 ], so on SQLite a
    half-open range is exact and uses the plain index on normalized_name (a LIKE 'x%' would
    need a NOCASE index there); the LIKE keeps it exact under any PostgreSQL collation."""
    return and_(column >= prefix, column < prefix + "~", column.like(prefix + "%"))


# --- models crossing the boundary ---------------------------------------------------------

SORTS = {
    "name": "Name",
    "owner": "Owner",
    "region": "Region",
    "industry": "Industry",
    "status": "Status",
    "potential": "Potential",
    "last_activity": "Last activity",
    "created": "Created",
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
            raise ValueError(f"cannot sort by '{value}'; choose one of {', '.join(SORTS)}")
        return value


_OPTIONAL_TEXT = Field(default=None, max_length=80)


class CustomerInput(BaseModel):
    """A customer as entered on the form or the command line."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    region_id: int
    owner_id: int | None = None
    industry: str | None = _OPTIONAL_TEXT
    segment: str | None = _OPTIONAL_TEXT
    status: CustomerStatus = CustomerStatus.PROSPECT
    annual_potential: Money = Decimal(0)
    external_id: str | None = Field(default=None, max_length=64)

    @field_validator("industry", "segment", "external_id", mode="before")
    @classmethod
    def blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("name")
    @classmethod
    def name_has_letters(cls, value: str) -> str:
        if not normalize_name(value):
            raise ValueError("the name needs at least one letter or digit")
        return value


class CustomerUpdate(BaseModel):
    """Changes to a customer's profile; fields left out stay as they are. The owner changes only
    through reassignment."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    region_id: int | None = None
    industry: str | None = _OPTIONAL_TEXT
    segment: str | None = _OPTIONAL_TEXT
    status: CustomerStatus | None = None
    annual_potential: Money | None = None

    @field_validator("industry", "segment", mode="before")
    @classmethod
    def blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]+$")


class ContactInput(BaseModel):
    """A person at a customer; email and phone are optional but must be valid when given."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    title: str | None = Field(default=None, max_length=120)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    is_primary: bool = False

    @field_validator("title", "email", "phone", mode="before")
    @classmethod
    def blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("email")
    @classmethod
    def valid_email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError("enter an email address like name@company.com")
        return value.lower() if value else value

    @field_validator("phone")
    @classmethod
    def valid_phone(cls, value: str | None) -> str | None:
        if value is not None:
            digits = sum(ch.isdigit() for ch in value)
            if not _PHONE.match(value) or not 6 <= digits <= 15:
                raise ValueError("enter a phone number of 6 to 15 digits, e.g. +49 30 1234567")
        return value


class ContactOut(BaseModel):
    id: int
    name: str
    title: str | None
    email: str | None
    phone: str | None
    is_primary: bool


class CustomerSummary(BaseModel):
    """Headline figures of one customer over its whole history."""

    won_to_date: Decimal
    open_pipeline: Decimal
    won_deals: int
    lost_deals: int
    open_deals: int
    last_contact: date | None
    win_rate: Decimal | None  # won deals / closed deals, by count


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


class DuplicateCandidate(BaseModel):
    """An existing customer that looks like the one being saved."""

    id: int
    name: str
    region: str
    owner: str | None
    similarity: float
    same_region: bool
    exact: bool  # same normalised name

    @property
    def blocking(self) -> bool:
        """Same normalised name in the same region: the archive cannot hold both."""
        return self.exact and self.same_region


class LikelyDuplicate(ValidationFailed):
    """Saving would create a likely duplicate; the caller shows the candidates and asks."""

    def __init__(self, candidates: list[DuplicateCandidate]):
        self.candidates = candidates
        first = candidates[0]
        if first.blocking:
            message = (
                f"'{first.name}' already exists in {first.region} (owner: {first.owner or 'none'})."
                " Open that customer instead of creating it again."
            )
        else:
            names = "; ".join(f"{c.name} ({c.region})" for c in candidates[:3])
            message = (
                f"This looks like an existing customer: {names}. Confirm that it is a different "
                "customer, or use the existing one."
            )
        super().__init__(message)

    @property
    def blocking(self) -> bool:
        return any(c.blocking for c in self.candidates)


class ReassignResult(BaseModel):
    customers: int
    deals: int


class MergeResult(BaseModel):
    survivor_id: int
    contacts: int
    deals: int
    activities: int


# --- permissions --------------------------------------------------------------------------


def can_edit(actor: Actor, *, owner_id: int | None, region_id: int | None) -> bool:
    """Whether the actor may edit a customer (rep: own; manager: own subtree; director: all)."""
    try:
        ensure_can_edit_record(actor, owner_id=owner_id, region_id=region_id, what="customer")
    except PermissionDenied:
        return False
    return True


def can_reassign(actor: Actor) -> bool:
    return actor.active and (actor.sees_everything or actor.role == Role.MANAGER)


def _ensure_can_edit(actor: Actor, customer: Customer) -> None:
    ensure_can_edit_record(
        actor, owner_id=customer.owner_id, region_id=customer.region_id, what="customer"
    )


def _ensure_region_allowed(actor: Actor, region_id: int) -> None:
    """Reps and managers place customers only in regions of their own area."""
    if not in_scope(actor, region_id):
        raise PermissionDenied("You can only place customers in regions of your own area.")


# --- search -------------------------------------------------------------------------------


def _filtered(session: Session, filters: CustomerFilters, today: date) -> list:
    conditions = []
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
        raise ValidationFailed("Page must be 1 or more and page size between 1 and 1000.")
    query = _list_query(
        session, filters, today or date.today(), limit=page_size, offset=(page - 1) * page_size
    )
    rows = session.execute(query).all()
    return pd.DataFrame(rows, columns=LIST_COLUMNS)


def count_customers(
    session: Session, actor: Actor, filters: CustomerFilters, *, today: date | None = None
) -> int:
    """How many customers match `filters`."""
    conditions = _filtered(session, filters, today or date.today())
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
    query = _list_query(session, filters, today or date.today(), limit=limit)
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


def _get(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"No customer with id {customer_id}.")
    return customer


def customer_summary(session: Session, customer_id: int) -> CustomerSummary:
    """Won to date, open pipeline and win rate (won / closed deals) in one GROUP BY."""
    zero = Decimal(0)
    won, open_, n_won, n_lost, n_open = session.execute(
        select(
            func.coalesce(func.sum(case((Deal.status == "won", Deal.amount))), 0),
            func.coalesce(func.sum(case((Deal.status == "open", Deal.amount))), 0),
            func.count(case((Deal.status == "won", 1))),
            func.count(case((Deal.status == "lost", 1))),
            func.count(case((Deal.status == "open", 1))),
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
    )


def customer_detail(session: Session, actor: Actor, customer_id: int) -> CustomerDetail:
    """Profile, contacts and headline figures of one customer (visible to everyone)."""
    customer = _get(session, customer_id)
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
        summary=customer_summary(session, customer_id),
        can_edit=can_edit(actor, owner_id=customer.owner_id, region_id=customer.region_id),
        can_reassign=can_reassign(actor),
    )


TIMELINE_COLUMNS = ["when", "kind", "what", "amount", "who"]

_AUDIT_LABELS = {
    "create": "Customer created",
    "edit": "Profile changed",
    "add_contact": "Contact added",
    "edit_contact": "Contact changed",
    "remove_contact": "Contact removed",
    "reassign": "Owner changed",
    "merge": "Duplicate merged in",
}


def _audit_text(action: str, before: dict | None, after: dict | None) -> str:
    before, after = before or {}, after or {}
    label = _AUDIT_LABELS.get(action, action)
    if action in ("add_contact", "edit_contact"):
        return f"{label}: {after.get('name', '')}" + (
            f" ({after['title']})" if after.get("title") else ""
        )
    if action == "remove_contact":
        return f"{label}: {before.get('name', '')}"
    if action == "reassign":
        return f"{label}: {before.get('owner') or 'nobody'} → {after.get('owner')}"
    if action == "merge":
        return f"{label}: {before.get('name', '')}"
    if action == "edit":
        return f"{label}: " + ", ".join(sorted(after))
    return label


def customer_timeline(
    session: Session, actor: Actor, customer_id: int, *, limit: int = 200
) -> pd.DataFrame:
    """Deals, stage changes, activities and record changes of one customer, newest first."""
    _get(session, customer_id)
    Owner = aliased(Person)
    FromStage, ToStage = aliased(Stage), aliased(Stage)
    events: list[tuple] = []

    deals = session.execute(
        select(
            Deal.name,
            Deal.created_on,
            Deal.closed_on,
            Deal.status,
            Deal.amount,
            Stage.name,
            Owner.name,
        )
        .join(Stage, Stage.id == Deal.stage_id)
        .join(Owner, Owner.id == Deal.owner_id)
        .where(Deal.customer_id == customer_id)
        .order_by(Deal.created_on.desc())
        .limit(limit)
    ).all()
    for name, created, closed, status, amount, stage, owner in deals:
        events.append((_at(created), "Deal", f"{name} opened (now: {stage})", amount, owner))
        if closed is not None and status != DealStatus.OPEN:
            events.append((_at(closed), "Deal", f"{name} {status}", amount, owner))

    changes = session.execute(
        select(
            DealStageHistory.changed_at,
            Deal.name,
            FromStage.name,
            ToStage.name,
            DealStageHistory.amount,
            Owner.name,
        )
        .join(Deal, Deal.id == DealStageHistory.deal_id)
        .outerjoin(FromStage, FromStage.id == DealStageHistory.from_stage_id)
        .join(ToStage, ToStage.id == DealStageHistory.to_stage_id)
        .outerjoin(Owner, Owner.id == DealStageHistory.changed_by_id)
        .where(Deal.customer_id == customer_id)
        .order_by(DealStageHistory.changed_at.desc())
        .limit(limit)
    ).all()
    for changed_at, deal, from_stage, to_stage, amount, who in changes:
        move = f"{from_stage} → {to_stage}" if from_stage else f"entered {to_stage}"
        events.append((_at(changed_at), "Stage change", f"{deal}: {move}", amount, who))

    activities = session.execute(
        select(Activity.occurred_on, Activity.type, Activity.outcome, Activity.notes, Owner.name)
        .join(Owner, Owner.id == Activity.person_id)
        .where(Activity.customer_id == customer_id)
        .order_by(Activity.occurred_on.desc(), Activity.id.desc())
        .limit(limit)
    ).all()
    for occurred, kind, outcome, notes, who in activities:
        text = " · ".join(p for p in (kind.capitalize(), outcome, notes) if p)
        events.append((_at(occurred), "Activity", text, None, who))

    entries = session.execute(
        select(AuditLog.at, AuditLog.action, AuditLog.before, AuditLog.after, AuditLog.actor_label)
        .where(AuditLog.entity == "customer", AuditLog.entity_id == customer_id)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit)
    ).all()
    for at, action, before, after, who in entries:
        events.append((at, "Record", _audit_text(action, before, after), None, who))

    events.sort(key=lambda e: e[0], reverse=True)
    return pd.DataFrame(events[:limit], columns=TIMELINE_COLUMNS)


def _at(day: date | datetime) -> datetime:
    """Dates sort as the start of their day, so a change made today shows above today's deals."""
    if isinstance(day, datetime):
        return day
    return datetime.combine(day, datetime.min.time())


# --- duplicates ---------------------------------------------------------------------------


def find_duplicates(
    session: Session,
    name: str,
    region_id: int | None,
    *,
    exclude_id: int | None = None,
    threshold: float = SIMILARITY_THRESHOLD,
    limit: int = 10,
) -> list[DuplicateCandidate]:
    """Existing customers that look like `name`: the same normalised name (any region), or a
    very similar one. Candidates come from SQL by index-backed prefix of the name's first word
    and its first three letters; only those few are compared in Python."""
    key = normalize_name(name)
    if not key:
        return []
    first_word = key.split()[0]
    prefixes = {first_word, key[:3]}
    conditions = [_starts_with(Customer.normalized_name, p) for p in prefixes]
    query = (
        select(
            Customer.id,
            Customer.name,
            Customer.normalized_name,
            Customer.region_id,
            Region.name,
            Person.name,
        )
        .join(Region, Region.id == Customer.region_id)
        .outerjoin(Person, Person.id == Customer.owner_id)
        .where(or_(*conditions))
        .limit(_CANDIDATE_LIMIT)
    )
    if exclude_id is not None:
        query = query.where(Customer.id != exclude_id)
    found: list[DuplicateCandidate] = []
    matcher = difflib.SequenceMatcher(b=key, autojunk=False)
    for cid, cname, ckey, cregion_id, region, owner in session.execute(query):
        matcher.set_seq1(ckey)
        if ckey != key and (
            matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold
        ):
            continue
        ratio = 1.0 if ckey == key else matcher.ratio()
        if ratio >= threshold:
            found.append(
                DuplicateCandidate(
                    id=cid,
                    name=cname,
                    region=region,
                    owner=owner,
                    similarity=round(ratio, 3),
                    same_region=cregion_id == region_id,
                    exact=ckey == key,
                )
            )
    found.sort(key=lambda c: (not c.blocking, not c.exact, not c.same_region, -c.similarity))
    return found[:limit]


# --- create and edit ----------------------------------------------------------------------


def _snapshot(customer: Customer) -> dict[str, Any]:
    return {
        "name": customer.name,
        "region_id": customer.region_id,
        "owner_id": customer.owner_id,
        "industry": customer.industry,
        "segment": customer.segment,
        "status": customer.status,
        "annual_potential": customer.annual_potential,
    }


def _ensure_region_exists(session: Session, region_id: int) -> None:
    if session.get(Region, region_id) is None:
        raise ValidationFailed(f"Region: there is no region with id {region_id}.")


def _active_owner(session: Session, owner_id: int) -> Person:
    owner = session.get(Person, owner_id)
    if owner is None:
        raise ValidationFailed(f"Owner: there is no person with id {owner_id}.")
    if not owner.active:
        raise ValidationFailed(f"Owner: {owner.name} is deactivated and cannot own customers.")
    if owner.role not in (Role.REP, Role.MANAGER):
        raise ValidationFailed(f"Owner: {owner.name} is a {owner.role}; choose a rep or manager.")
    return owner


def create_customer(
    session: Session, actor: Actor, data: CustomerInput, *, confirmed: bool = False
) -> int:
    """Add a customer. A likely duplicate is refused with `LikelyDuplicate` unless `confirmed`;
    the same normalised name in the same region is refused always. A rep's customers are their
    own; a manager places customers in own subtree."""
    ensure_active(actor)
    _ensure_region_exists(session, data.region_id)
    owner_id = data.owner_id if data.owner_id is not None else actor.id
    if actor.role == Role.REP and owner_id != actor.id:
        raise PermissionDenied("A rep creates customers for themselves only.")
    _ensure_region_allowed(actor, data.region_id)
    if owner_id is not None:
        _active_owner(session, owner_id)
    if data.external_id and session.scalar(
        select(Customer.id).where(Customer.external_id == data.external_id)
    ):
        raise ValidationFailed(f"External id: '{data.external_id}' is already used.")
    candidates = find_duplicates(session, data.name, data.region_id)
    if candidates and (not confirmed or any(c.blocking for c in candidates)):
        raise LikelyDuplicate(candidates)
    customer = Customer(
        name=data.name,
        normalized_name=normalize_name(data.name),
        region_id=data.region_id,
        owner_id=owner_id,
        industry=data.industry,
        segment=data.segment,
        status=data.status.value,
        annual_potential=data.annual_potential,
        external_id=data.external_id,
    )
    session.add(customer)
    session.flush()
    after = _snapshot(customer)
    if candidates:
        after["confirmed_not_duplicate_of"] = [c.id for c in candidates]
    audit.record(session, actor, "create", "customer", customer.id, after=after)
    return customer.id


def update_customer(
    session: Session,
    actor: Actor,
    customer_id: int,
    data: CustomerUpdate,
    *,
    confirmed: bool = False,
) -> None:
    """Change a customer's profile (rep: own; manager: own subtree). A new name or region is
    checked for duplicates like a new customer."""
    customer = _get(session, customer_id)
    _ensure_can_edit(actor, customer)
    changes = data.model_dump(exclude_unset=True)
    changes = {k: v for k, v in changes.items() if v is not None or k in ("industry", "segment")}
    if "region_id" in changes and changes["region_id"] != customer.region_id:
        _ensure_region_exists(session, changes["region_id"])
        _ensure_region_allowed(actor, changes["region_id"])
    before = _snapshot(customer)
    name = changes.get("name", customer.name)
    region_id = changes.get("region_id", customer.region_id)
    if normalize_name(name) != customer.normalized_name or region_id != customer.region_id:
        candidates = find_duplicates(session, name, region_id, exclude_id=customer.id)
        if candidates and (not confirmed or any(c.blocking for c in candidates)):
            raise LikelyDuplicate(candidates)
    for field, value in changes.items():
        setattr(customer, field, value.value if isinstance(value, CustomerStatus) else value)
    customer.normalized_name = normalize_name(customer.name)
    after = _snapshot(customer)
    diff_before = {k: v for k, v in before.items() if after[k] != v}
    diff_after = {k: after[k] for k in diff_before}
    if diff_after:
        session.flush()
        audit.record(
            session, actor, "edit", "customer", customer.id, before=diff_before, after=diff_after
        )


# --- contacts -----------------------------------------------------------------------------


def touch_last_activity(session: Session, customer_id: int, day: date) -> None:
    """Record contact with a customer on `day` (never moves the date backwards)."""
    session.execute(
        update(Customer)
        .where(
            Customer.id == customer_id,
            or_(Customer.last_activity_on.is_(None), Customer.last_activity_on < day),
        )
        .values(last_activity_on=day)
        .execution_options(synchronize_session=False)
    )
    for obj in session.identity_map.values():
        if isinstance(obj, Customer) and obj.id == customer_id:
            session.expire(obj, ["last_activity_on"])


def _contact_dict(contact: Contact) -> dict[str, Any]:
    return {
        "name": contact.name,
        "title": contact.title,
        "email": contact.email,
        "phone": contact.phone,
        "is_primary": contact.is_primary,
    }


def _only_primary(session: Session, customer_id: int, contact_id: int) -> None:
    session.execute(
        update(Contact)
        .where(Contact.customer_id == customer_id, Contact.id != contact_id)
        .values(is_primary=False)
    )


def add_contact(
    session: Session,
    actor: Actor,
    customer_id: int,
    data: ContactInput,
    *,
    today: date | None = None,
) -> int:
    """Add a contact person (rep: own customers; manager: own subtree). Counts as contact with
    the customer for the "no activity for N days" filter."""
    customer = _get(session, customer_id)
    _ensure_can_edit(actor, customer)
    contact = Contact(customer_id=customer_id, **data.model_dump())
    session.add(contact)
    session.flush()
    if contact.is_primary:
        _only_primary(session, customer_id, contact.id)
    touch_last_activity(session, customer_id, today or date.today())
    audit.record(
        session,
        actor,
        "add_contact",
        "customer",
        customer_id,
        after={"contact_id": contact.id, **_contact_dict(contact)},
    )
    return contact.id


def _contact_of(session: Session, actor: Actor, contact_id: int) -> tuple[Contact, Customer]:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"No contact with id {contact_id}.")
    customer = _get(session, contact.customer_id)
    _ensure_can_edit(actor, customer)
    return contact, customer


def update_contact(session: Session, actor: Actor, contact_id: int, data: ContactInput) -> None:
    """Change a contact's details."""
    contact, customer = _contact_of(session, actor, contact_id)
    before = _contact_dict(contact)
    for field, value in data.model_dump().items():
        setattr(contact, field, value)
    session.flush()
    if contact.is_primary:
        _only_primary(session, customer.id, contact.id)
    audit.record(
        session,
        actor,
        "edit_contact",
        "customer",
        customer.id,
        before={"contact_id": contact.id, **before},
        after={"contact_id": contact.id, **_contact_dict(contact)},
    )


def remove_contact(session: Session, actor: Actor, contact_id: int) -> None:
    """Delete a contact person; the audit log keeps what it was."""
    contact, customer = _contact_of(session, actor, contact_id)
    before = {"contact_id": contact.id, **_contact_dict(contact)}
    session.delete(contact)
    session.flush()
    audit.record(session, actor, "remove_contact", "customer", customer.id, before=before)


# --- ownership ----------------------------------------------------------------------------


def _ensure_can_move(actor: Actor, customers: Sequence[tuple[int, int]]) -> None:
    outside = [cid for cid, region_id in customers if not in_scope(actor, region_id)]
    if outside:
        raise PermissionDenied(
            f"{len(outside)} of these customers are outside the regions you manage; "
            "nothing was reassigned."
        )


def reassign_customers(
    session: Session,
    actor: Actor,
    customer_ids: Sequence[int],
    new_owner_id: int,
    *,
    with_open_deals: bool = False,
    reason: str | None = None,
) -> ReassignResult:
    """Hand customers to another owner (managers within own subtree, directors anywhere). With
    `with_open_deals`, the open deals the former owner held on them move too, credited from
    then on to the new owner's region. Every customer and deal moved gets an audit entry with
    from and to. All or nothing."""
    ensure_role(actor, Role.MANAGER, action="reassign customers")
    ids = sorted(set(customer_ids))
    if not ids:
        raise ValidationFailed("Choose at least one customer to reassign.")
    new_owner = _active_owner(session, new_owner_id)
    if not in_scope(actor, new_owner.region_id):
        raise PermissionDenied(f"{new_owner.name} works outside the regions you manage.")
    rows: list[tuple[int, int, int | None]] = []
    for chunk in _chunks(ids):
        rows.extend(
            session.execute(
                select(Customer.id, Customer.region_id, Customer.owner_id).where(
                    Customer.id.in_(chunk)
                )
            ).all()
        )
    if len(rows) != len(ids):
        missing = sorted(set(ids) - {r[0] for r in rows})
        raise NotFound(f"No customer with id {', '.join(map(str, missing[:5]))}.")
    _ensure_can_move(actor, [(r[0], r[1]) for r in rows])
    moving = [r for r in rows if r[2] != new_owner.id]
    names = dict(session.execute(select(Person.id, Person.name)).all())
    now = datetime.now()
    moved_deals = 0
    by_former: dict[int | None, list[int]] = {}
    for cid, _, former in moving:
        by_former.setdefault(former, []).append(cid)
    for former, cids in by_former.items():
        for chunk in _chunks(cids):
            session.execute(
                update(Customer)
                .where(Customer.id.in_(chunk))
                .values(owner_id=new_owner.id)
                .execution_options(synchronize_session=False)
            )
            for cid in chunk:
                audit.record(
                    session,
                    actor,
                    "reassign",
                    "customer",
                    cid,
                    before={"owner_id": former, "owner": names.get(former)},
                    after={
                        "owner_id": new_owner.id,
                        "owner": new_owner.name,
                        "with_open_deals": with_open_deals,
                        "reason": reason,
                    },
                )
            if with_open_deals and former is not None:
                deals = session.execute(
                    select(Deal.id, Deal.region_id).where(
                        Deal.customer_id.in_(chunk),
                        Deal.status == DealStatus.OPEN.value,
                        Deal.owner_id == former,
                    )
                ).all()
                if deals:
                    session.execute(
                        update(Deal)
                        .where(Deal.id.in_([d[0] for d in deals]))
                        .values(
                            owner_id=new_owner.id,
                            region_id=new_owner.region_id,
                            version=Deal.version + 1,
                            updated_at=now,
                            updated_by_id=actor.id,
                        )
                        .execution_options(synchronize_session=False)
                    )
                for deal_id, old_region in deals:
                    audit.record(
                        session,
                        actor,
                        "reassign",
                        "deal",
                        deal_id,
                        before={"owner_id": former, "region_id": old_region},
                        after={"owner_id": new_owner.id, "region_id": new_owner.region_id},
                    )
                moved_deals += len(deals)
    session.expire_all()
    return ReassignResult(customers=len(moving), deals=moved_deals)


def customer_ids_of_owner(session: Session, owner_id: int) -> list[int]:
    """Every customer a person owns: the book handed over when they leave."""
    return list(
        session.scalars(
            select(Customer.id).where(Customer.owner_id == owner_id).order_by(Customer.id)
        )
    )


def reassign_book(
    session: Session,
    actor: Actor,
    former_owner_id: int,
    new_owner_id: int,
    *,
    with_open_deals: bool = True,
    reason: str | None = None,
) -> ReassignResult:
    """Hand every customer of one person (e.g. a rep who leaves) to another, in one action."""
    if former_owner_id == new_owner_id:
        raise ValidationFailed("Choose a different person to hand the customers to.")
    ids = customer_ids_of_owner(session, former_owner_id)
    if not ids:
        raise ValidationFailed("This person owns no customers; there is nothing to hand over.")
    return reassign_customers(
        session, actor, ids, new_owner_id, with_open_deals=with_open_deals, reason=reason
    )


def merge_customers(
    session: Session, actor: Actor, survivor_id: int, duplicate_id: int
) -> MergeResult:
    """Fold a duplicate into the surviving customer: its contacts, deals and activities move
    over, empty profile fields are filled from it, and the duplicate is deleted. Managers
    (both customers in own subtree) and above only; one audit entry keeps the duplicate."""
    ensure_role(actor, Role.MANAGER, action="merge customers")
    if survivor_id == duplicate_id:
        raise ValidationFailed("Choose two different customers to merge.")
    survivor, duplicate = _get(session, survivor_id), _get(session, duplicate_id)
    _ensure_can_move(
        actor, [(survivor.id, survivor.region_id), (duplicate.id, duplicate.region_id)]
    )
    gone = {"id": duplicate.id, "external_id": duplicate.external_id, **_snapshot(duplicate)}
    moved = {}
    for table in (Contact, Activity):
        moved[table] = (
            session.execute(
                update(table)
                .where(table.customer_id == duplicate.id)
                .values(customer_id=survivor.id)
                .execution_options(synchronize_session=False)
            ).rowcount
            or 0
        )
    moved[Deal] = (
        session.execute(
            update(Deal)
            .where(Deal.customer_id == duplicate.id)
            .values(customer_id=survivor.id, version=Deal.version + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )
    for field in ("industry", "segment"):
        if getattr(survivor, field) is None:
            setattr(survivor, field, getattr(duplicate, field))
    survivor.annual_potential = max(survivor.annual_potential, duplicate.annual_potential)
    days = [d for d in (survivor.last_activity_on, duplicate.last_activity_on) if d]
    survivor.last_activity_on = max(days) if days else None
    external_id = duplicate.external_id
    session.delete(duplicate)
    session.flush()
    if survivor.external_id is None and external_id:
        survivor.external_id = external_id
    audit.record(
        session,
        actor,
        "merge",
        "customer",
        survivor.id,
        before=gone,
        after={"contacts": moved[Contact], "deals": moved[Deal], "activities": moved[Activity]},
    )
    session.flush()
    return MergeResult(
        survivor_id=survivor.id,
        contacts=moved[Contact],
        deals=moved[Deal],
        activities=moved[Activity],
    )


__all__ = [
    "CustomerDetail",
    "CustomerFilters",
    "CustomerInput",
    "CustomerSummary",
    "CustomerUpdate",
    "ContactInput",
    "DuplicateCandidate",
    "LikelyDuplicate",
    "MergeResult",
    "ReassignResult",
    "add_contact",
    "count_customers",
    "create_customer",
    "customer_detail",
    "customer_timeline",
    "export_customers",
    "filter_options",
    "find_duplicates",
    "merge_customers",
    "normalize_name",
    "reassign_book",
    "reassign_customers",
    "remove_contact",
    "search_customers",
    "touch_last_activity",
    "update_contact",
    "update_customer",
]
