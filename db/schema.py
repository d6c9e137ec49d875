"""The whole sales domain as tables: organisation, customers, pipeline, targets, evaluation, audit.

Later work adds behaviour, not tables. Enumerated values are stored as short strings guarded by
CHECK constraints, so SQLite and PostgreSQL hold the same data and migrations stay simple.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, intpk


class Role(StrEnum):
    ADMIN = "admin"
    DIRECTOR = "director"
    MANAGER = "manager"
    REP = "rep"


class CustomerStatus(StrEnum):
    PROSPECT = "prospect"
    ACTIVE = "active"
    DORMANT = "dormant"


class DealStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class ForecastCategory(StrEnum):
    COMMIT = "commit"
    BEST_CASE = "best_case"
    PIPELINE = "pipeline"
    OMITTED = "omitted"


class CashStatus(StrEnum):
    """Lead-to-cash after a deal is won."""

    CONTRACT_SIGNED = "contract_signed"
    INVOICED = "invoiced"
    PAID = "paid"


class ActivityType(StrEnum):
    VISIT = "visit"
    CALL = "call"
    MEETING = "meeting"
    DEMO = "demo"
    EMAIL = "email"


class PlanStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    LOCKED = "locked"


class Measure(StrEnum):
    """What a target counts: revenue (company currency), units (quantity of won deals),
    visits (customer visits logged) or deals_created (new deals opened)."""

    REVENUE = "revenue"
    UNITS = "units"
    VISITS = "visits"
    DEALS_CREATED = "deals_created"


def _one_of(column: str, enum: type[StrEnum]) -> CheckConstraint:
    values = ", ".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} IN ({values})", name=f"{column}_valid")


def _non_negative(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} >= 0", name=f"{column}_non_negative")


AUTOINCREMENT = {"sqlite_autoincrement": True}
"""On SQLite a deleted row's id is never handed out again (PostgreSQL sequences never do):
audit entries, history and links that name an id keep meaning that one record."""


DEFAULT_CURRENCY = "USD"
"""The company currency until the company sets one (setting "company_currency")."""


def _company_currency(context: Any) -> str:
    """A new deal's currency when none is given: the company currency."""
    value = context.connection.execute(
        text("SELECT value FROM app_setting WHERE key = 'company_currency'")
    ).scalar()
    if isinstance(value, str):  # JSON on PostgreSQL comes back decoded, on SQLite as text
        value = value.strip('"')
    return str(value or DEFAULT_CURRENCY)


# --- organisation -------------------------------------------------------------------------


class RegionManager(Base):
    """A person who manages a region (and so its whole subtree)."""

    __tablename__ = "region_manager"

    region_id: Mapped[int] = mapped_column(
        ForeignKey("region.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )


class Region(Base):
    """A node of the sales organisation: the company at the root, regions and teams below."""

    __tablename__ = "region"
    __table_args__ = (AUTOINCREMENT,)

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(120), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())

    parent: Mapped[Region | None] = relationship(remote_side="Region.id")
    managers: Mapped[list[Person]] = relationship(secondary="region_manager", viewonly=True)


class Person(Base):
    """Anyone who signs in: administrators, directors, regional managers and reps."""

    __tablename__ = "person"
    __table_args__ = (_one_of("role", Role), _non_negative("failed_logins"), AUTOINCREMENT)

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(120), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    reports_to_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    hire_date: Mapped[date | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    password_hash: Mapped[str | None] = mapped_column(String(255))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default=false())
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())
    functions: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    """The deal-team functions this person can fill (pre-sales engineer, finance, ...)."""
    language: Mapped[str | None] = mapped_column(String(10))
    """The language the app and the emails speak to this person (en, zh_CN); none: the
    company default."""

    region: Mapped[Region | None] = relationship(foreign_keys=[region_id])


class ScheduledOrgChange(Base):
    """A person's move to another region dated in the future: kept as scheduled until its date,
    then applied (status applied) or withdrawn before it (status cancelled)."""

    __tablename__ = "scheduled_org_change"
    __table_args__ = (
        CheckConstraint("kind IN ('move_person')", name="kind_valid"),
        CheckConstraint("status IN ('scheduled', 'applied', 'cancelled')", name="status_valid"),
        Index("ix_scheduled_org_change_due", "status", "effective_on"),
        AUTOINCREMENT,
    )

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(30))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    effective_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())
    settled_at: Mapped[datetime | None]


# --- customers ----------------------------------------------------------------------------


class Customer(Base):
    """A company-owned customer record: visible to everyone, one owner at a time."""

    __tablename__ = "customer"
    __table_args__ = (
        UniqueConstraint("region_id", "normalized_name"),
        _one_of("status", CustomerStatus),
        _non_negative("annual_potential"),
        Index("ix_customer_owner_status", "owner_id", "status"),
        # Neglected customers: active ones never contacted, then the longest quiet first.
        Index("ix_customer_status_last_activity", "status", "last_activity_on"),
        AUTOINCREMENT,
    )

    id: Mapped[intpk]
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    normalized_name: Mapped[str] = mapped_column(String(200), index=True)
    industry: Mapped[str | None] = mapped_column(String(80))
    segment: Mapped[str | None] = mapped_column(String(80))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    status: Mapped[str] = mapped_column(String(20), default=CustomerStatus.PROSPECT)
    annual_potential: Mapped[Decimal] = mapped_column(default=Decimal(0))
    last_activity_on: Mapped[date | None]
    created_on: Mapped[date] = mapped_column(server_default=func.current_date())


class Contact(Base):
    """A person at a customer."""

    __tablename__ = "contact"
    __table_args__ = (AUTOINCREMENT,)

    id: Mapped[intpk]
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())


# --- pipeline -----------------------------------------------------------------------------


class Product(Base):
    __tablename__ = "product"
    __table_args__ = (_non_negative("list_price"), AUTOINCREMENT)

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(120), unique=True)
    product_line: Mapped[str] = mapped_column(String(120))
    list_price: Mapped[Decimal] = mapped_column(default=Decimal(0))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Stage(Base):
    """A standard pipeline stage every deal walks through, with its exit criteria."""

    __tablename__ = "stage"
    __table_args__ = (
        CheckConstraint("probability >= 0 AND probability <= 1", name="probability_range"),
        CheckConstraint("NOT (is_won AND is_lost)", name="won_or_lost"),
        _non_negative("max_days"),
        AUTOINCREMENT,
    )

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(Integer, unique=True)
    probability: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    is_won: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_lost: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    exit_checklist: Mapped[list[str]] = mapped_column(JSON, default=list)
    required_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_days: Mapped[int | None] = mapped_column(Integer)


class LostReason(Base):
    """One reason a deal is lost, from the list the admin keeps (ordered by `position`); a
    retired reason (`active` false) stays on the deals lost for it but is offered no more."""

    __tablename__ = "lost_reason"
    __table_args__ = (AUTOINCREMENT,)

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(200), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    position: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class Deal(Base):
    """An opportunity from lead to cash. `region_id` is the region the deal is credited to:
    the owner's region while open, frozen at the owner's region when it closes."""

    __tablename__ = "deal"
    __table_args__ = (
        _one_of("status", DealStatus),
        _one_of("forecast_category", ForecastCategory),
        CheckConstraint(
            "cash_status IS NULL OR cash_status IN ('contract_signed', 'invoiced', 'paid')",
            name="cash_status_valid",
        ),
        _non_negative("amount"),
        _non_negative("close_date_changes"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint(
            "contract_amount IS NULL OR contract_amount >= 0", name="contract_amount_non_negative"
        ),
        CheckConstraint(
            "invoiced_amount IS NULL OR invoiced_amount >= 0", name="invoiced_amount_non_negative"
        ),
        CheckConstraint("paid_amount IS NULL OR paid_amount >= 0", name="paid_amount_non_negative"),
        Index("ix_deal_owner_status", "owner_id", "status"),
        Index("ix_deal_region_status_closed", "region_id", "status", "closed_on"),
        Index("ix_deal_status_expected_close", "status", "expected_close"),
        # Attainment and the scorecards: won deals by close date without touching the table
        # (covering: amount, cycle time, units, product line; migration 0028), and the most
        # recently closed deals for the stage calibration.
        Index(
            "ix_deal_won_closed",
            "status",
            "closed_on",
            "region_id",
            "owner_id",
            "company_amount",
            "credit_shared",
            "created_on",
            "quantity",
            "product_id",
        ),
        Index("ix_deal_closed_status", "closed_on", "status"),
        # Open deals by expected close with everything the pipeline figures read (covering).
        Index(
            "ix_deal_open_close",
            "status",
            "expected_close",
            "region_id",
            "owner_id",
            "stage_id",
            "forecast_category",
            "company_amount",
            "credit_shared",
        ),
        # Deals created in a period with what the created-pipeline figures read (covering: the
        # leaderboard's and the scorecards' created part; the funnel's cohort by id). Deals
        # closed in a period use ix_deal_won_closed or ix_deal_closed_status.
        Index(
            "ix_deal_created_cover",
            "created_on",
            "owner_id",
            "region_id",
            "status",
            "company_amount",
            "credit_shared",
        ),
        # The funnel's cohort by status and lost reason, in a scope (covering; migration 0023).
        Index(
            "ix_deal_created_outcome",
            "created_on",
            "status",
            "lost_reason_id",
            "region_id",
            "owner_id",
        ),
        AUTOINCREMENT,
    )

    id: Mapped[intpk]
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    amount: Mapped[Decimal]
    """In the deal's own currency."""
    currency: Mapped[str] = mapped_column(String(3), default=_company_currency)
    """ISO 4217 code; the company currency unless the deal says otherwise."""
    company_amount: Mapped[Decimal | None]
    """The amount in the company currency, rounded to cents once (core.currency's rule: a
    closed deal at the rate of its close date, an open deal at today's); None while no rate is
    in effect (not priced). Kept by core.pipeline.pricing on every write."""
    credit_shared: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """True when the credit is split (rows in credit_split); else 100 % to the owner."""
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=DealStatus.OPEN)
    forecast_category: Mapped[str] = mapped_column(String(20), default=ForecastCategory.PIPELINE)
    created_on: Mapped[date]
    expected_close: Mapped[date]
    closed_on: Mapped[date | None]
    quantity: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    lost_reason: Mapped[str | None] = mapped_column(String(200))
    """The lost reason as worded when the deal was lost (its name on the list then, or the
    free text of deals lost before the list existed); the funnel groups by `lost_reason_id`."""
    lost_reason_id: Mapped[int | None] = mapped_column(ForeignKey("lost_reason.id"), index=True)
    lost_note: Mapped[str | None] = mapped_column(Text)
    next_step: Mapped[str | None] = mapped_column(String(300))
    stage_entered_on: Mapped[date]
    last_activity_on: Mapped[date | None]
    """The latest day of an activity logged on the deal (None: none yet), kept by
    core.pipeline.last_activity on every write that adds one (migration 0029)."""
    close_date_changes: Mapped[int] = mapped_column(Integer, default=0, server_default=false())
    checklist_done: Mapped[list[str]] = mapped_column(JSON, default=list)
    cash_status: Mapped[str | None] = mapped_column(String(20))
    contract_signed_on: Mapped[date | None]
    contract_amount: Mapped[Decimal | None]
    invoiced_on: Mapped[date | None]
    invoiced_amount: Mapped[Decimal | None]
    paid_on: Mapped[date | None]
    paid_amount: Mapped[Decimal | None]
    updated_at: Mapped[datetime | None]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=true())

    __mapper_args__ = {"version_id_col": version}


# The open deals largest first (alerts walk them and stop at their limit).
Index(
    "ix_deal_open_amount",
    Deal.company_amount.desc(),
    Deal.id,
    sqlite_where=Deal.status == DealStatus.OPEN.value,
    postgresql_where=Deal.status == DealStatus.OPEN.value,
)
# The slipping deals: open, their expected close moved later at least N times (migration 0026).
Index("ix_deal_status_close_changes", Deal.status, Deal.close_date_changes)
# The currencies the deals use, with how many are priced: the list by one seek per currency,
# the counts from the index alone (the Exchange rates page, the Targets page's budget rates).
Index("ix_deal_currency_priced", Deal.currency, Deal.company_amount)
# The deals not priced (no rate on their day: few), by currency, for the not-priced notes.
Index(
    "ix_deal_not_priced",
    Deal.currency,
    Deal.amount,
    sqlite_where=Deal.company_amount.is_(None),
    postgresql_where=Deal.company_amount.is_(None),
)


class CreditSplit(Base):
    """One person's share of a deal's revenue credit. The percentages of a deal add up to 100;
    `amount` is the share of the deal's company amount (largest remainder, so the shares add up
    to the deal exactly) and `region_id` the person's region (frozen when the deal closes)."""

    __tablename__ = "credit_split"
    __table_args__ = (
        UniqueConstraint("deal_id", "person_id"),
        CheckConstraint("percent > 0 AND percent <= 100", name="percent_valid"),
        AUTOINCREMENT,
    )

    id: Mapped[intpk]
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    amount: Mapped[Decimal | None]


class CreditSplitProposal(Base):
    """A split the deal's owner proposes; it counts only once a manager applies it."""

    __tablename__ = "credit_split_proposal"
    __table_args__ = (AUTOINCREMENT,)

    id: Mapped[intpk]
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"), unique=True)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    lines: Mapped[dict[str, Any]] = mapped_column(JSON)
    """{"<person id>": "<percent>"}."""
    note: Mapped[str | None] = mapped_column(String(300))
    proposed_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())


class ExchangeRate(Base):
    """Units of the company currency for one unit of `currency`, in effect from `valid_from`
    until the currency's next rate."""

    __tablename__ = "exchange_rate"
    __table_args__ = (
        UniqueConstraint("currency", "valid_from"),
        CheckConstraint("rate > 0", name="rate_positive"),
        AUTOINCREMENT,
    )

    id: Mapped[intpk]
    currency: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[date]
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8))


class DealStageHistory(Base):
    """Every stage change of a deal: from, to, who, when and the amount at that moment."""

    __tablename__ = "deal_stage_history"
    __table_args__ = (
        _non_negative("amount"),
        # A deal's changes in time order with everything the funnel and the stage at a date
        # read (covering).
        Index(
            "ix_deal_stage_history_cover",
            "deal_id",
            "changed_at",
            "to_stage_id",
            "from_stage_id",
            "amount",
        ),
        # Stage calibration: which stages a closed deal entered, without reading the table.
        Index("ix_deal_stage_history_deal_stage", "deal_id", "to_stage_id"),
        AUTOINCREMENT,
    )

    id: Mapped[intpk]
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"))
    from_stage_id: Mapped[int | None] = mapped_column(ForeignKey("stage.id"))
    to_stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id"))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    changed_at: Mapped[datetime]
    amount: Mapped[Decimal]
    reason: Mapped[str | None] = mapped_column(String(300))


class DealStageStay(Base):
    """A deal's stay in a stage, kept from its stage history (core.pipeline.stage_stays): the
    change that entered it (same id), when it left and for which stage, the days it lasted
    (None while the deal is still there), whether it is the deal's first stay in the stage,
    and the deal's created_on and current stage (kept with every stage change), so the funnel
    reads a cohort without joins."""

    __tablename__ = "deal_stage_stay"
    __table_args__ = (
        # The funnel of a cohort: a range of this index per stage answers every figure, in
        # stage order (no sort).
        Index(
            "ix_deal_stage_stay_cohort",
            "stage_id",
            "created_on",
            "first_entry",
            "current_stage_id",
            "left_for_stage_id",
            "days",
            "deal_id",
        ),
        Index("ix_deal_stage_stay_deal", "deal_id"),
    )

    id: Mapped[int] = mapped_column(
        ForeignKey("deal_stage_history.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id"))
    entered_at: Mapped[datetime]
    left_at: Mapped[datetime | None]
    days: Mapped[float | None]
    left_for_stage_id: Mapped[int | None] = mapped_column(ForeignKey("stage.id"))
    first_entry: Mapped[bool]
    current_stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id"))
    created_on: Mapped[date]


class DealTeamMember(Base):
    """A person on a deal's team in a given role (pre-sales engineer, executive sponsor...)."""

    __tablename__ = "deal_team_member"
    __table_args__ = (UniqueConstraint("deal_id", "person_id", "role"), AUTOINCREMENT)

    id: Mapped[intpk]
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    role: Mapped[str] = mapped_column(String(60))


class Activity(Base):
    """A visit, call, meeting, demo or email with a customer, optionally about a deal."""

    __tablename__ = "activity"
    __table_args__ = (
        _one_of("type", ActivityType),
        # A person's activities of a period by type, without reading the table (covering).
        Index("ix_activity_person_date_type", "person_id", "occurred_on", "type"),
        # A deal's last activity: one seek (stalled deals).
        Index("ix_activity_deal_date", "deal_id", "occurred_on"),
        Index("ix_activity_customer_date", "customer_id", "occurred_on"),
        AUTOINCREMENT,
    )

    id: Mapped[intpk]
    type: Mapped[str] = mapped_column(String(20))
    occurred_on: Mapped[date]
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deal.id"))
    outcome: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())


# The visits of a period, by person (the visits measure of a whole area; migration 0027). A
# person's own visits seek ix_activity_person_date_type instead.
Index(
    "ix_activity_visits",
    Activity.occurred_on,
    Activity.person_id,
    sqlite_where=text("type = 'visit'"),
    postgresql_where=text("type = 'visit'"),
)


class FollowUpStatus(StrEnum):
    """A follow-up is open until done; snoozed is open too, postponed to a later day."""

    OPEN = "open"
    SNOOZED = "snoozed"
    DONE = "done"


class FollowUp(Base):
    """A dated task of one person on a deal or a customer ("call Anna back on Thursday").
    `kind` is the activity it plans (a visit, a call...) or empty for a plain task. `due_on`
    is the day it is due now (a snooze moves it and keeps `first_due_on`)."""

    __tablename__ = "follow_up"
    __table_args__ = (
        _one_of("status", FollowUpStatus),
        CheckConstraint(
            "kind IS NULL OR kind IN ('visit', 'call', 'meeting', 'demo', 'email')",
            name="kind_valid",
        ),
        CheckConstraint("deal_id IS NOT NULL OR customer_id IS NOT NULL", name="deal_or_customer"),
        # My day and the overdue alert: an owner's open follow-ups by due date.
        Index("ix_follow_up_owner_status_due", "owner_id", "status", "due_on"),
        # A deal's next step: its earliest open follow-up.
        Index("ix_follow_up_deal_status_due", "deal_id", "status", "due_on"),
        Index("ix_follow_up_customer_status", "customer_id", "status"),
        AUTOINCREMENT,
    )

    id: Mapped[intpk]
    owner_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deal.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str | None] = mapped_column(String(20))
    due_on: Mapped[date]
    due_at: Mapped[time | None] = mapped_column(Time)
    first_due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(10), default=FollowUpStatus.OPEN)
    snoozed_until: Mapped[date | None]
    snooze_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    done_activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id"))


class PipelineReview(Base):
    """A manager's pipeline review with one rep."""

    __tablename__ = "pipeline_review"
    __table_args__ = (AUTOINCREMENT,)

    id: Mapped[intpk]
    rep_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    held_on: Mapped[date]
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())


class ReviewDeal(Base):
    """A deal discussed in a pipeline review."""

    __tablename__ = "review_deal"

    review_id: Mapped[int] = mapped_column(
        ForeignKey("pipeline_review.id", ondelete="CASCADE"), primary_key=True
    )
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id"), primary_key=True)


class ReviewCommitment(Base):
    """Something a rep committed to in a review, with a due date."""

    __tablename__ = "review_commitment"
    __table_args__ = (AUTOINCREMENT,)

    id: Mapped[intpk]
    review_id: Mapped[int] = mapped_column(
        ForeignKey("pipeline_review.id", ondelete="CASCADE"), index=True
    )
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deal.id"))
    description: Mapped[str] = mapped_column(String(500))
    due_on: Mapped[date | None]
    done_on: Mapped[date | None]


# --- targets ------------------------------------------------------------------------------


class TargetPlan(Base):
    """One version of a fiscal year's target plan: draft -> submitted -> approved -> locked."""

    __tablename__ = "target_plan"
    __table_args__ = (
        UniqueConstraint("fiscal_year", "measure", "product_line", "version"),
        _one_of("status", PlanStatus),
        _one_of("measure", Measure),
        _non_negative("company_target"),
        AUTOINCREMENT,
    )

    id: Mapped[intpk]
    fiscal_year: Mapped[int] = mapped_column(Integer)
    measure: Mapped[str] = mapped_column(
        String(20), default=Measure.REVENUE, server_default=Measure.REVENUE.value
    )
    """What the plan's targets count (a year has one plan series per measure and line)."""
    product_line: Mapped[str] = mapped_column(String(120), default="", server_default="")
    """The product line the plan targets; empty for every line (the company's own plan)."""
    stretch_levels: Mapped[list[str] | None] = mapped_column(JSON)
    """Stretch levels as percentages of the target (["110", "125"]), marked on the charts."""
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=PlanStatus.DRAFT)
    method: Mapped[str] = mapped_column(String(30))
    seasonality: Mapped[str | None] = mapped_column(String(30))
    company_target: Mapped[Decimal]
    padding_pct: Mapped[Decimal] = mapped_column(default=Decimal(0))
    ramp_mode: Mapped[str] = mapped_column(String(10), default="spread", server_default="spread")
    """How the new-hire ramp shortfall was handled: spread over the other reps or absorbed."""
    manual_inputs: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """What the director typed for a manual allocation: {"season": [12 percentages]} and/or
    {"weights": {person id: weight}}, kept so the plan can be allocated again the same way."""
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    approved_at: Mapped[datetime | None]
    lock_version: Mapped[int] = mapped_column(Integer, default=1, server_default=true())

    __mapper_args__ = {"version_id_col": lock_version}


class SeasonalityPercent(Base):
    """One calendar month's share (percent) of a named seasonality profile; a profile's twelve
    months add up to exactly 100."""

    __tablename__ = "seasonality_percent"
    __table_args__ = (
        CheckConstraint("month >= 1 AND month <= 12", name="month_range"),
        CheckConstraint("percent >= 0 AND percent <= 100", name="percent_range"),
    )

    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))


class PlanBudgetRate(Base):
    """A rate a plan fixes for its fiscal year: attainment against the plan converts deals in
    `currency` at it instead of the dated rates."""

    __tablename__ = "plan_budget_rate"
    __table_args__ = (CheckConstraint("rate > 0", name="rate_positive"),)

    plan_id: Mapped[int] = mapped_column(
        ForeignKey("target_plan.id", ondelete="CASCADE"), primary_key=True
    )
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8))


class Target(Base):
    """A monthly target of a region (person_id empty) or of a rep within a region.

    The region is stored on every rep row, so a rep who moves keeps past months with the old
    region and counts for the new one from the move on.
    """

    __tablename__ = "target"
    __table_args__ = (
        _non_negative("amount"),
        Index(
            "uq_target_rep_month",
            "plan_id",
            "person_id",
            "month",
            unique=True,
            sqlite_where=text("person_id IS NOT NULL"),
            postgresql_where=text("person_id IS NOT NULL"),
        ),
        Index(
            "uq_target_region_month",
            "plan_id",
            "region_id",
            "month",
            unique=True,
            sqlite_where=text("person_id IS NULL"),
            postgresql_where=text("person_id IS NULL"),
        ),
        Index("ix_target_plan_region_month", "plan_id", "region_id", "month"),
        AUTOINCREMENT,
    )

    id: Mapped[intpk]
    plan_id: Mapped[int] = mapped_column(ForeignKey("target_plan.id", ondelete="CASCADE"))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    month: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal]
    locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Commitment(Base):
    """A bottom-up commitment a manager or rep enters for a month, compared with the target."""

    __tablename__ = "commitment"
    __table_args__ = (
        UniqueConstraint("fiscal_year", "region_id", "person_id", "month"),
        _non_negative("amount"),
        AUTOINCREMENT,
    )

    id: Mapped[intpk]
    fiscal_year: Mapped[int] = mapped_column(Integer)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    month: Mapped[date]
    amount: Mapped[Decimal]
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    entered_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())


# --- evaluation, settings, audit ----------------------------------------------------------


class ScorecardWeight(Base):
    """The weight (percent) of one scorecard metric in a fiscal year; weights sum to 100."""

    __tablename__ = "scorecard_weight"
    __table_args__ = (
        UniqueConstraint("fiscal_year", "metric"),
        CheckConstraint("weight >= 0 AND weight <= 100", name="weight_range"),
        AUTOINCREMENT,
    )

    id: Mapped[intpk]
    fiscal_year: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(40))
    weight: Mapped[Decimal] = mapped_column(Numeric(5, 2))


class AlertState(Base):
    """A user's acknowledgement or snooze of one alert (rule + subject)."""

    __tablename__ = "alert_state"
    __table_args__ = (UniqueConstraint("alert_key", "person_id"), AUTOINCREMENT)

    id: Mapped[intpk]
    alert_key: Mapped[str] = mapped_column(String(200))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    acknowledged_at: Mapped[datetime | None]
    snoozed_until: Mapped[date | None]


class DigestKind(StrEnum):
    WEEKLY = "weekly"
    DAILY = "daily"
    REMINDERS = "reminders"


class DigestOptOut(Base):
    """A person who asked not to receive one kind of digest by email."""

    __tablename__ = "digest_opt_out"
    __table_args__ = (_one_of("kind", DigestKind),)

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())


class DigestSent(Base):
    """One digest the mail server accepted: at most one per person, kind and period (the ISO
    week of a weekly digest, the day of a daily one or of reminders)."""

    __tablename__ = "digest_sent"
    __table_args__ = (
        UniqueConstraint("person_id", "kind", "period_key"),
        _one_of("kind", DigestKind),
        AUTOINCREMENT,
    )

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(20))
    period_key: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(10))
    sent_at: Mapped[datetime] = mapped_column(index=True)
    items: Mapped[list[str]] = mapped_column(JSON, default=list)
    """The keys of what it reported (alerts, follow-ups), so the next one says only what is new."""


class ImportPreset(Base):
    """A saved column and stage mapping for importing another system's export."""

    __tablename__ = "import_preset"
    __table_args__ = (AUTOINCREMENT,)

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())


class AppSetting(Base):
    """Company-wide settings (fiscal year start month, alert thresholds, demo-data flag)."""

    __tablename__ = "app_setting"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class AuditLog(Base):
    """Who changed what, when, with the values before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"), AUTOINCREMENT)

    id: Mapped[intpk]
    at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp(), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class WebSession(Base):
    """A signed-in browser, found by the SHA-256 of the random token its cookie carries (the
    token itself is never stored), so a copy of this table signs nobody in."""

    __tablename__ = "web_session"
    __table_args__ = (Index("ix_web_session_person_open", "person_id", "revoked_at"), AUTOINCREMENT)

    id: Mapped[intpk]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_because: Mapped[str | None] = mapped_column(String(20))
    """sign_out, password, deactivated: why the session ended early."""
    user_agent: Mapped[str | None] = mapped_column(String(300))


# --- forecast snapshots -------------------------------------------------------------------


class SnapshotLevel(StrEnum):
    COMPANY = "company"
    REGION = "region"
    REP = "rep"


class ForecastSnapshot(Base):
    """The forecast of the company, a region (with its subtree) or a rep for one period, frozen
    on the day it was taken and never changed afterwards.

    `entity_id` is the region's or the person's id (0 for the company). The first snapshot of a
    period (`at_period_start`) holds, on its company row, the deals committed at that moment;
    `reconstructed` marks a period start rebuilt later from the stage history (it has no
    figures, only the committed deals).
    """

    __tablename__ = "forecast_snapshot"
    __table_args__ = (
        UniqueConstraint("taken_on", "period", "level", "entity_id"),
        _one_of("level", SnapshotLevel),
        Index("ix_forecast_snapshot_period_entity", "period", "level", "entity_id", "taken_on"),
        AUTOINCREMENT,
    )

    id: Mapped[intpk]
    taken_on: Mapped[date]
    period: Mapped[str] = mapped_column(String(12))
    period_start: Mapped[date]
    period_end: Mapped[date]
    level: Mapped[str] = mapped_column(String(10))
    entity_id: Mapped[int] = mapped_column(Integer)
    entity: Mapped[str] = mapped_column(String(200))
    at_period_start: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reconstructed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    target: Mapped[Decimal | None]
    won: Mapped[Decimal | None]
    commit: Mapped[Decimal | None]
    best_case: Mapped[Decimal | None]
    pipeline: Mapped[Decimal | None]
    weighted: Mapped[Decimal | None]
    forecast: Mapped[Decimal | None]
    open_pipeline: Mapped[Decimal | None]
    probability: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())


class ForecastSnapshotDeal(Base):
    """A deal committed when a period's first snapshot was taken: open in a commit-level stage,
    with its amount, stage, owner and region at that moment."""

    __tablename__ = "forecast_snapshot_deal"
    __table_args__ = (_non_negative("amount"),)

    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("forecast_snapshot.id", ondelete="CASCADE"), primary_key=True
    )
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id"), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id"))
    amount: Mapped[Decimal]


class DataVersion(Base):
    """The version of one kind of data (a cache tag of db.versions), moved by one in the same
    transaction as every write that changes that kind; cached figures are keyed by it."""

    __tablename__ = "data_version"

    tag: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
