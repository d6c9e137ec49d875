"""From a file to validated rows: read CSV or Excel, map columns and values, validate each row.

A problem names the spreadsheet row (the header is row 1), the column, the value and the reason,
so the person importing can fix the file without a developer.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from core.errors import ValidationFailed
from core.transfer.formats import MODELS, Kind, Row, columns
from core.transfer.spreadsheets import FORMULA_STARTS

R = TypeVar("R", bound=Row)

IGNORE = ""
"""Mapping a source column to the empty field ignores it."""


class Problem(BaseModel):
    """One thing wrong with a file: where it is and why it cannot be imported."""

    model_config = ConfigDict(frozen=True)

    row: int | None
    column: str
    value: str
    reason: str

    def line(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        value = f" '{self.value}'" if self.value else ""
        return f"{where}, {self.column or '-'}{value}: {self.reason}"


class ColumnMapping(BaseModel):
    """How another system's export becomes our format. Everything derived is an explicit
    option here; nothing is guessed."""

    model_config = ConfigDict(extra="forbid")

    columns: dict[str, str] = Field(default_factory=dict)
    """Source column (case-insensitive) -> our field; an empty field ignores the column."""
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Field -> {source value (case-insensitive) -> our value}; `stage` holds the stage map."""
    defaults: dict[str, str] = Field(default_factory=dict)
    """Field -> value used where the cell is empty or the column is absent."""
    email_domain: str | None = None
    """People: an empty email becomes first.last@domain from the name."""
    region_from_owner: bool = False
    """Customers: an empty region becomes the owner's region."""
    similar_names_are_new: bool = False
    """Customers: a name like an existing customer's, but not the same, is a new customer (the
    user has checked them); without it such rows are refused for a decision."""
    create_missing_customers: bool = False
    """Deals: a customer not found is created in the owner's region, owned by the owner."""
    distinct: bool = False
    """Rows repeated identically (after mapping) count once, e.g. a team sheet's offices."""
    ignore_other_columns: bool = False
    """Columns that are neither fields nor mapped are ignored instead of refused."""

    @property
    def stage_map(self) -> dict[str, str]:
        return self.values.get("stage", {})


class ImportFailed(ValidationFailed):
    """The file was refused as a whole; `problems` lists every reason, row by row."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        count = len(problems)
        first = problems[0].line() if problems else ""
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(f"Nothing was imported: {count} problem(s). {first}{more}")


class Table(BaseModel):
    """A file's header and rows as text; cell values are stripped strings ('' = empty)."""

    header: list[str]
    rows: list[list[str]]

    @property
    def first_data_row(self) -> int:
        return 2

    def distinct_values(self, column: str, limit: int = 200) -> list[str]:
        """The different non-empty values of a column (for mapping stage names)."""
        names = [h.strip().lower() for h in self.header]
        if column.strip().lower() not in names:
            return []
        index = names.index(column.strip().lower())
        seen: dict[str, None] = {}
        for row in self.rows:
            if row[index] and row[index] not in seen:
                seen[row[index]] = None
                if len(seen) >= limit:
                    break
        return list(seen)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return str(Decimal(repr(value)).normalize()) if value % 1 else str(int(value))
    text = str(value).replace("\x00", "").strip()  # NUL is never content (PostgreSQL refuses it)
    if text[:1] == "'" and text[1:2] in FORMULA_STARTS and len(text) > 1:
        return text[1:]  # written formula-safe by our own export
    return text


def read_table(data: bytes, filename: str) -> Table:
    """Read CSV (UTF-8, with or without BOM) or .xlsx into text cells."""
    if filename.lower().endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise ValidationFailed(f"{filename} is not a readable Excel workbook ({exc}).") from exc
        sheet = book.worksheets[0]
        raw = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationFailed(
                f"{filename} is not UTF-8 text: save it as 'CSV UTF-8' and try again."
            ) from exc
        raw = [[_cell(v) for v in row] for row in csv.reader(io.StringIO(text))]
    while raw and not any(raw[-1]):
        raw.pop()
    if not raw:
        raise ValidationFailed(f"{filename} is empty: the first row must name the columns.")
    header = raw[0]
    while header and not header[-1]:
        header.pop()
    width = len(header)
    rows = []
    for row in raw[1:]:
        row = (row + [""] * width)[:width] if len(row) != width else row
        rows.append(row)
    return Table(header=header, rows=rows)


def email_from_name(name: str, domain: str) -> str:
    """first.last@domain: accents dropped, anything but letters and digits becomes a dot."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    local = re.sub(r"[^a-z0-9]+", ".", folded).strip(".")
    return f"{local}@{domain.strip().lstrip('@').lower()}"


REASONS = {
    "missing": "required",
    "date_from_datetime_parsing": "not a date written YYYY-MM-DD",
    "date_parsing": "not a date written YYYY-MM-DD",
    "date_type": "not a date written YYYY-MM-DD",
    "decimal_parsing": "not a plain decimal amount (like 1234.50)",
    "decimal_type": "not a plain decimal amount (like 1234.50)",
    "greater_than_equal": "must not be negative",
    "decimal_max_places": "more than two decimals",
    "decimal_max_digits": "too large an amount",
    "string_too_long": "too long",
    "string_too_short": "required",
    "extra_forbidden": "not a column of this kind",
}


def _reason(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "enum":
        expected = error.get("ctx", {}).get("expected", "")
        return f"must be one of {expected}"
    if kind in REASONS:
        return REASONS[kind]
    message = error["msg"]
    return message.removeprefix("Value error, ")


class MappedRows:
    """The rows of a table as our fields, validated; problems collected, not raised."""

    def __init__(self, kind: Kind, table: Table, mapping: ColumnMapping):
        self.kind, self.table, self.mapping = kind, table, mapping
        self.problems: list[Problem] = []
        self.model: type[Row] = MODELS[kind]
        self.fields = columns(kind)
        self.sources = self._sources()
        self.present = set(self.sources) | set(mapping.defaults)
        if kind == Kind.PEOPLE and mapping.email_domain:
            self.present.add("email")
        self._check_required()
        self.values = {
            field: {k.strip().lower(): v for k, v in table_map.items()}
            for field, table_map in mapping.values.items()
        }

    def _sources(self) -> dict[str, int]:
        """Our field -> index of the source column that fills it."""
        mapped = {k.strip().lower(): v.strip().lower() for k, v in self.mapping.columns.items()}
        out: dict[str, int] = {}
        seen: set[str] = set()
        for index, raw in enumerate(self.table.header):
            name = raw.strip().lower()
            if name in seen:
                self.problems.append(Problem(row=1, column=raw, value="", reason="column twice"))
                continue
            seen.add(name)
            field = mapped.get(name, name)
            if field == IGNORE or (name not in mapped and not name and not raw):
                continue
            if field not in self.fields:
                if name not in mapped and self.mapping.ignore_other_columns:
                    continue
                fields = ", ".join(self.fields)
                reason = (
                    f"mapped to '{field}', which is not a field of {self.kind}; fields: {fields}"
                    if name in mapped
                    else f"not a column of {self.kind} (columns: {fields}); map it to a field "
                    "or ignore it"
                )
                self.problems.append(Problem(row=1, column=raw, value="", reason=reason))
                continue
            if field in out:
                other = self.table.header[out[field]]
                self.problems.append(
                    Problem(row=1, column=raw, value="", reason=f"'{other}' already fills {field}")
                )
                continue
            out[field] = index
        return out

    def _check_required(self) -> None:
        for name, field in self.model.model_fields.items():
            if field.is_required() and name not in self.present:
                self.problems.append(
                    Problem(
                        row=1,
                        column=name,
                        value="",
                        reason=f"required column missing: map a source column to {name}",
                    )
                )

    def record(self, cells: list[str]) -> dict[str, str]:
        """One source row as our fields, with value maps, defaults and derived values."""
        record: dict[str, str] = {}
        for field, index in self.sources.items():
            value = cells[index]
            if field in self.values and value:
                value = self.values[field].get(value.lower(), value)
            record[field] = value
        for field, value in self.mapping.defaults.items():
            if not record.get(field):
                record[field] = value
        domain = self.mapping.email_domain if self.kind == Kind.PEOPLE else None
        if domain and not record.get("email") and record.get("name"):
            record["email"] = email_from_name(record["name"], domain)
        return record

    def __iter__(self) -> Iterator[tuple[int, Row, dict[str, str]]]:
        """(row number, validated row, mapped text) for every valid row."""
        seen: set[tuple] = set()
        for offset, cells in enumerate(self.table.rows):
            number = offset + self.table.first_data_row
            if not any(cells):
                continue
            record = self.record(cells)
            if self.mapping.distinct:
                key = tuple(sorted(record.items()))
                if key in seen:
                    continue
                seen.add(key)
            data = {k: v for k, v in record.items() if v != ""}
            try:
                row = self.model.model_validate(data)
            except ValidationError as exc:
                for error in exc.errors():
                    if error["loc"]:
                        column = str(error["loc"][0])
                        value = record.get(column, "")
                    else:
                        column = ", ".join(self.model.rule_columns)
                        value = " / ".join(record.get(c, "") for c in self.model.rule_columns)
                        value = "" if value.strip(" /") == "" else value
                    self.problems.append(
                        Problem(row=number, column=column, value=value, reason=_reason(error))
                    )
                continue
            yield number, row, record

    def of(self, model: type[R]) -> Iterator[tuple[int, R, dict[str, str]]]:
        """The same rows as iterating, typed as `model`: the row model of this kind."""
        for number, row, record in self:
            if not isinstance(row, model):
                raise TypeError(f"{self.kind} rows are {type(row).__name__}, not {model.__name__}")
            yield number, row, record
