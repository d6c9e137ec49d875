"""The canonical import/export formats: one row model per kind, with the columns in order.

Every file cell arrives as text; an empty cell is a missing value. Models forbid fields that
are not part of the format, so a misspelt column can never be silently dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from core.currency import currency_code
from core.errors import ValidationFailed
from core.i18n import _
from core.models import ActivityType, CustomerStatus, DealStatus, Measure, Money, Role
from core.pipeline.creation import MAX_QUANTITY
from core.transfer.cell_formats import ColumnFormats
from core.transfer.dates import parse_date
from core.transfer.numbers import parse_amount


class Kind(StrEnum):
    """What a file holds; imported in this order when starting from an empty database."""

    REGIONS = "regions"
    PEOPLE = "people"
    PRODUCTS = "products"
    CUSTOMERS = "customers"
    EXCHANGE_RATES = "exchange_rates"
    DEALS = "deals"
    CREDIT_SPLITS = "credit_splits"
    TARGETS = "targets"
    ACTIVITIES = "activities"
    SEASONALITY = "seasonality"


Text = Annotated[str, Field(min_length=1, max_length=200)]
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


WRITTEN_FIELDS = (
    "hire_date",
    "created_on",
    "expected_close",
    "closed_on",
    "close_date",
    "date",
    "list_price",
    "annual_potential",
    "amount",
)
"""The date and amount fields of every kind, read in the format of their column."""


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    rule_columns: ClassVar[tuple[str, ...]] = ()
    """The columns a rule spanning several fields is about (reported as its column)."""
    import_only: ClassVar[tuple[str, ...]] = ()
    """Fields a file may fill that the export does not write (they fill other fields)."""

    @field_validator(*WRITTEN_FIELDS, mode="before", check_fields=False)
    @classmethod
    def as_the_file_writes_it(cls, value, info: ValidationInfo):
        """Dates and amounts in the format of their column (see core/transfer/cell_formats.py),
        when the rows are validated with the file's ColumnFormats as context."""
        formats = info.context
        if not isinstance(formats, ColumnFormats) or not isinstance(value, str):
            return value
        name = info.field_name or ""
        if name in formats.dates:
            return parse_date(value, formats.dates[name])
        if name in formats.decimal_comma:
            return parse_amount(value, formats.decimal_comma[name])
        return value


def _currency(value: object) -> str | None:
    """An ISO 4217 code, upper-cased (empty: None)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return currency_code(value)
    except ValidationFailed as exc:
        raise ValueError(str(exc)) from None


def _number(value: object, info: ValidationInfo) -> object:
    """A rate or a percentage as the file writes it (decimal comma or point, as the column
    shows); a percent sign after it is allowed."""
    if not isinstance(value, str):
        return value
    formats = info.context
    comma = isinstance(formats, ColumnFormats) and formats.decimal_comma.get(
        info.field_name or "", False
    )
    text = value.strip()
    return parse_amount(text.removesuffix("%").strip() if text.endswith("%") else text, comma)


class RegionRow(Row):
    """A region; `parent` empty puts it directly under the company."""

    name: Annotated[str, Field(min_length=1, max_length=120)]
    parent: str | None = None


class PersonRow(Row):
    """A person, matched on email. `region` empty: the company; `reports_to`: an email (or a
    name when the mapping says people are referred to by name); `functions`: the deal-team
    functions the person can fill, separated by `;` (checked against the known functions)."""

    email: Annotated[str, Field(max_length=254)]
    name: Text
    role: Role = Role.REP
    region: str | None = None
    reports_to: str | None = None
    hire_date: date | None = None
    functions: Annotated[str, Field(max_length=1000)] | None = None

    @field_validator("email")
    @classmethod
    def valid_email(cls, value: str) -> str:
        if not EMAIL.match(value):
            raise ValueError(_("not an email address"))
        return value.lower()

    @field_validator("role", mode="before")
    @classmethod
    def lower_role(cls, value):
        return value.strip().lower() if isinstance(value, str) else value


class ProductRow(Row):
    """A product, matched on name."""

    name: Annotated[str, Field(min_length=1, max_length=120)]
    product_line: Annotated[str, Field(min_length=1, max_length=120)] = "General"
    list_price: Money = Decimal(0)


class CustomerRow(Row):
    """A customer, matched on external_id, else on its normalised name in its region."""

    external_id: Annotated[str, Field(max_length=64)] | None = None
    name: Text
    region: str | None = None
    owner: str | None = None
    industry: Annotated[str, Field(max_length=80)] | None = None
    segment: Annotated[str, Field(max_length=80)] | None = None
    status: CustomerStatus = CustomerStatus.PROSPECT
    annual_potential: Money = Decimal(0)

    @field_validator("status", mode="before")
    @classmethod
    def lower_status(cls, value):
        return value.strip().lower() if isinstance(value, str) else value


class DealRow(Row):
    """A deal, matched on external_id. Stage is a configured stage name (Won and Lost too).

    `close_date` is the one close date of systems that keep a single one (Salesforce, HubSpot):
    the closing date of a won or lost deal, the expected close of an open one. `status` won or
    lost puts the deal in the Won or Lost stage whatever `stage` says (Pipedrive keeps a closed
    deal's last pipeline stage). Both are read on import only: the export writes the stage,
    expected_close and closed_on."""

    import_only: ClassVar[tuple[str, ...]] = ("close_date", "status")

    external_id: Annotated[str, Field(min_length=1, max_length=64)]
    customer: Text
    owner: Text
    product: str | None = None
    name: Text | None = None
    amount: Money | None = None
    currency: str | None = None
    """The ISO 4217 code of `amount` (case ignored); empty: the company currency."""
    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY)] | None = None
    """Whole units sold (seats, machines); empty: 1."""
    stage: Annotated[str, Field(min_length=1, max_length=80)]
    created_on: date | None = None
    expected_close: date | None = None
    closed_on: date | None = None
    lost_reason: Annotated[str, Field(max_length=200)] | None = None
    company_amount: str | None = None
    """Written by the export (the amount in the company currency, empty while not priced);
    read-only: the import ignores it, the deal's amount and currency decide it."""
    close_date: date | None = None
    status: DealStatus | None = None

    @field_validator("status", mode="before")
    @classmethod
    def lower_status(cls, value):
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("currency", mode="before")
    @classmethod
    def iso_currency(cls, value):
        return _currency(value)


class ExchangeRateRow(Row):
    """A rate: units of the company currency for one unit of `currency`, in effect from
    `date`; matched on currency and date."""

    currency: str
    date: dt.date
    rate: Decimal

    @field_validator("currency", mode="before")
    @classmethod
    def iso_currency(cls, value):
        code = _currency(value)
        if code is None:
            raise ValueError(_("a rate needs its currency"))
        return code

    @field_validator("rate", mode="before")
    @classmethod
    def rate_as_written(cls, value, info: ValidationInfo):
        return _number(value, info)


class CreditSplitRow(Row):
    """One person's share of a deal's credit; the rows of one deal replace its split."""

    deal: Annotated[str, Field(min_length=1, max_length=64)]
    """The deal's external_id."""
    person: Text
    """An email, or a full name that only one person has."""
    percent: Decimal

    @field_validator("percent", mode="before")
    @classmethod
    def percent_as_written(cls, value, info: ValidationInfo):
        return _number(value, info)


PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


class TargetRow(Row):
    """A monthly target of exactly one region or one rep, on one measure (empty: revenue) and
    optionally one product line (empty: every line). Counts (units, visits, deals created)
    are whole numbers."""

    rule_columns: ClassVar[tuple[str, ...]] = ("region", "rep")

    period: str
    region: str | None = None
    rep: str | None = None
    amount: Money
    measure: Measure = Measure.REVENUE
    product_line: Annotated[str, Field(max_length=120)] | None = None

    @field_validator("measure", mode="before")
    @classmethod
    def lower_measure(cls, value):
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("period")
    @classmethod
    def month_period(cls, value: str) -> str:
        found = PERIOD.match(value)
        if not found or not 1 <= int(found[2]) <= 12:
            raise ValueError(_("not a month written YYYY-MM"))
        return value

    @model_validator(mode="after")
    def region_or_rep(self) -> TargetRow:
        if (self.region is None) == (self.rep is None):
            raise ValueError(_("give exactly one of region and rep"))
        return self

    @property
    def month(self) -> date:
        year, month = self.period.split("-")
        return date(int(year), int(month), 1)


class SeasonalityRow(Row):
    """One calendar month's percentage of a named seasonality profile; a name's twelve rows
    (months 1 to 12, adding up to exactly 100) replace that profile."""

    name: Text
    month: int
    percent: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]

    @field_validator("month", mode="before")
    @classmethod
    def calendar_month(cls, value):
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 12:
            raise ValueError(_("not a month number from 1 (January) to 12 (December)"))
        return int(text)

    @field_validator("percent", mode="before")
    @classmethod
    def percent_as_written(cls, value, info: ValidationInfo):
        return _number(value, info)


class ActivityRow(Row):
    """A visit, call, meeting, demo or email; matched on type, date, user, customer and deal."""

    type: ActivityType
    date: dt.date
    user: Text
    customer: Text
    deal: str | None = None
    outcome: Annotated[str, Field(max_length=200)] | None = None
    notes: str | None = None

    @field_validator("type", mode="before")
    @classmethod
    def lower_type(cls, value):
        return value.strip().lower() if isinstance(value, str) else value


MODELS: dict[Kind, type[Row]] = {
    Kind.REGIONS: RegionRow,
    Kind.PEOPLE: PersonRow,
    Kind.PRODUCTS: ProductRow,
    Kind.CUSTOMERS: CustomerRow,
    Kind.EXCHANGE_RATES: ExchangeRateRow,
    Kind.DEALS: DealRow,
    Kind.CREDIT_SPLITS: CreditSplitRow,
    Kind.TARGETS: TargetRow,
    Kind.ACTIVITIES: ActivityRow,
    Kind.SEASONALITY: SeasonalityRow,
}


def columns(kind: Kind) -> list[str]:
    """The canonical columns of a kind, in file order (what the export writes)."""
    model = MODELS[kind]
    return [name for name in model.model_fields if name not in model.import_only]


def import_fields(kind: Kind) -> list[str]:
    """Every field a file of this kind may fill: the columns, then the import-only fields."""
    return list(MODELS[kind].model_fields)


def required_columns(kind: Kind) -> list[str]:
    return [name for name, field in MODELS[kind].model_fields.items() if field.is_required()]
