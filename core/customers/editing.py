"""Creating and editing customers and their contacts.

A rep edits own customers, a manager those in the regions they manage, directors and admins
all. A new or renamed customer is checked for duplicates, and every change lands in the audit
log in the same transaction.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import clock
from core.customers.archive import get_customer
from core.customers.duplicates import LikelyDuplicate, find_duplicates
from core.customers.names import name_problem, normalize_name
from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.i18n import _
from core.models import Actor, CustomerStatus, Money, Role
from core.org import audit
from core.org.access import ensure_active, ensure_can_edit_record, in_scope
from core.pipeline.last_activity import touch_customer as touch_last_activity
from db.schema import Contact, Customer, Person, Region

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
        if problem := name_problem(value):
            raise ValueError(problem)
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

    @field_validator("name")
    @classmethod
    def name_has_letters(cls, value: str | None) -> str | None:
        if value is not None and (problem := name_problem(value)):
            raise ValueError(problem)
        return value


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
            raise ValueError(_("enter an email address like name@company.com"))
        return value.lower() if value else value

    @field_validator("phone")
    @classmethod
    def valid_phone(cls, value: str | None) -> str | None:
        if value is not None:
            digits = sum(ch.isdigit() for ch in value)
            if not _PHONE.match(value) or not 6 <= digits <= 15:
                raise ValueError(_("enter a phone number of 6 to 15 digits, e.g. +49 30 1234567"))
        return value


# --- permissions --------------------------------------------------------------------------


def _ensure_can_edit(actor: Actor, customer: Customer) -> None:
    ensure_can_edit_record(
        actor, owner_id=customer.owner_id, region_id=customer.region_id, what=_("customer")
    )


def _ensure_region_allowed(actor: Actor, region_id: int) -> None:
    """Reps and managers place customers only in regions of their own area."""
    if not in_scope(actor, region_id):
        raise PermissionDenied(_("You can only place customers in regions of your own area."))


# --- create and edit ----------------------------------------------------------------------


def audited_profile(customer: Customer) -> dict[str, Any]:
    """The profile fields the audit log keeps before and after a change."""
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
        raise ValidationFailed(
            _("Region: there is no region with id {region_id}.").format(region_id=region_id)
        )


def active_owner(session: Session, owner_id: int) -> Person:
    """The person who is to own customers: they must exist, be active, and be a rep or manager."""
    owner = session.get(Person, owner_id)
    if owner is None:
        raise ValidationFailed(
            _("Owner: there is no person with id {owner_id}.").format(owner_id=owner_id)
        )
    if not owner.active:
        raise ValidationFailed(
            _("Owner: {name} is deactivated and cannot own customers.").format(name=owner.name)
        )
    if owner.role not in (Role.REP, Role.MANAGER):
        raise ValidationFailed(
            _("Owner: {name} is a {role}; choose a rep or manager.").format(
                name=owner.name, role=owner.role
            )
        )
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
        raise PermissionDenied(_("A rep creates customers for themselves only."))
    _ensure_region_allowed(actor, data.region_id)
    if owner_id is not None:
        active_owner(session, owner_id)
    if data.external_id and session.scalar(
        select(Customer.id).where(Customer.external_id == data.external_id)
    ):
        raise ValidationFailed(
            _("External id: '{external_id}' is already used.").format(external_id=data.external_id)
        )
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
    after = audited_profile(customer)
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
    customer = get_customer(session, customer_id)
    _ensure_can_edit(actor, customer)
    changes = data.model_dump(exclude_unset=True)
    changes = {k: v for k, v in changes.items() if v is not None or k in ("industry", "segment")}
    if "region_id" in changes and changes["region_id"] != customer.region_id:
        _ensure_region_exists(session, changes["region_id"])
        _ensure_region_allowed(actor, changes["region_id"])
    before = audited_profile(customer)
    name = changes.get("name", customer.name)
    region_id = changes.get("region_id", customer.region_id)
    if normalize_name(name) != customer.normalized_name or region_id != customer.region_id:
        candidates = find_duplicates(session, name, region_id, exclude_id=customer.id)
        if candidates and (not confirmed or any(c.blocking for c in candidates)):
            raise LikelyDuplicate(candidates)
    for field, value in changes.items():
        setattr(customer, field, value.value if isinstance(value, CustomerStatus) else value)
    customer.normalized_name = normalize_name(customer.name)
    after = audited_profile(customer)
    diff_before = {k: v for k, v in before.items() if after[k] != v}
    diff_after = {k: after[k] for k in diff_before}
    if diff_after:
        session.flush()
        audit.record(
            session, actor, "edit", "customer", customer.id, before=diff_before, after=diff_after
        )


# --- contacts -----------------------------------------------------------------------------


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
    customer = get_customer(session, customer_id)
    _ensure_can_edit(actor, customer)
    contact = Contact(customer_id=customer_id, **data.model_dump())
    session.add(contact)
    session.flush()
    if contact.is_primary:
        _only_primary(session, customer_id, contact.id)
    touch_last_activity(session, customer_id, today or clock.today())
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
        raise NotFound(_("No contact with id {contact_id}.").format(contact_id=contact_id))
    customer = get_customer(session, contact.customer_id)
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
