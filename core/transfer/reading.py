"""From a file to validated rows: read CSV or Excel, map columns and values, validate each row.

A problem names the spreadsheet row (the header is row 1), the column, the value and the reason,
so the person importing can fix the file without a developer.
"""

from __future__ import annotations

import codecs
import copy
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import BinaryIO, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from core.errors import ValidationFailed
from core.i18n import N_, _
from core.transfer.cell_formats import ColumnFormats, FormatSurvey
from core.transfer.dates import DateFormat
from core.transfer.encodings import detect_delimiter, detect_encoding
from core.transfer.formats import MODELS, Kind, Row, import_fields
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
        parts = {"row": self.row, "column": self.column or "-", "value": self.value}
        if self.row is None:
            if self.value:
                text = _("file, {column} '{value}': {reason}")
            else:
                text = _("file, {column}: {reason}")
        elif self.value:
            text = _("row {row}, {column} '{value}': {reason}")
        else:
            text = _("row {row}, {column}: {reason}")
        return text.format(reason=self.reason, **parts)


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
    date_format: DateFormat | None = None
    """How the file's dates are written; None: found from each column's values."""
    decimal_comma: bool = False
    """Amounts are written with a decimal comma (1.234,50); else found from each column."""

    @property
    def stage_map(self) -> dict[str, str]:
        return self.values.get("stage", {})


MAX_PROBLEMS = 10_000
"""Problems listed one by one; beyond them a refused file's problems are only counted."""


class ImportFailed(ValidationFailed):
    """The file was refused as a whole; `problems` lists every reason, row by row."""

    def __init__(self, problems: list[Problem], total: int | None = None):
        self.problems = problems
        self.total = count = max(total or 0, len(problems))
        """Every problem found; a big file keeps only the first MAX_PROBLEMS in `problems`."""
        first = problems[0].line() if problems else ""
        if count > 1:
            text = _("Nothing was imported: {count} problem(s). {first} (and {more} more)")
        else:
            text = _("Nothing was imported: {count} problem(s). {first}")
        super().__init__(text.format(count=count, first=first, more=count - 1))


class Table(BaseModel):
    """A file's header and rows as text, held in memory; cell values are stripped strings
    ('' = empty). Small files and tests; `open_table` streams a file of any size instead."""

    header: list[str]
    rows: list[list[str]]

    @property
    def first_data_row(self) -> int:
        return 2

    def iter_rows(self) -> Iterator[list[str]]:
        """Every data row, as long as the header (the same contract as TableFile)."""
        return iter(self.rows)

    def distinct_values(self, column: str, limit: int = 200) -> list[str]:
        """The different non-empty values of a column (for mapping stage names)."""
        return _distinct(self.header, self.iter_rows(), column, limit)


def _distinct(header: list[str], rows: Iterable[list[str]], column: str, limit: int) -> list[str]:
    names = [h.strip().lower() for h in header]
    if column.strip().lower() not in names:
        return []
    index = names.index(column.strip().lower())
    seen: dict[str, None] = {}
    for row in rows:
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


SAMPLE_BYTES = 64 * 1024
"""How much of a CSV file is read to decide its encoding and delimiter."""


class CsvFormat(NamedTuple):
    """How a CSV file's bytes become text and cells."""

    encoding: str
    delimiter: str = ","


def csv_format(sample: bytes, filename: str) -> CsvFormat:
    """The encoding and delimiter of a CSV file, decided from its first SAMPLE_BYTES bytes.

    The one place where a file's format is decided: the whole file is then read with it.
    Encodings and delimiters: core/transfer/encodings.py."""
    encoding = detect_encoding(sample)
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        text = decoder.decode(sample, final=len(sample) < SAMPLE_BYTES)  # a cut last character
    except UnicodeDecodeError as exc:
        raise _not_utf8(filename) from exc
    return CsvFormat(encoding, detect_delimiter(text))


def _not_utf8(filename: str) -> ValidationFailed:
    return ValidationFailed(
        _("{filename} is not UTF-8 text: save it as 'CSV UTF-8' and try again.").format(
            filename=filename
        )
    )


Opener = Callable[[], BinaryIO]
"""Opens the file again from its start (each pass over a streamed file opens it anew)."""


class TableFile:
    """A CSV or .xlsx file read as it is needed: the header at once, the rows streamed, one at
    a time, so a file of any size is read in bounded memory (.xlsx through openpyxl's
    read-only mode). Re-iterable: every `iter_rows`, `scan` or `distinct_values` opens the
    file again, so a first pass over some columns (to detect a column-wide date or number
    format) can run before the import's own pass. Rows are padded or cut to the header's
    width; empty rows are kept (the row numbers stay the spreadsheet's)."""

    first_data_row = 2

    def __init__(self, opener: Opener, filename: str, size: int | None = None):
        self.opener, self.filename, self.size = opener, filename, size
        self.excel = filename.lower().endswith((".xlsx", ".xlsm"))
        self.format: CsvFormat | None = None
        if not self.excel:
            with opener() as handle:
                self.format = csv_format(handle.read(SAMPLE_BYTES), filename)
        self.read_bytes = 0
        """How far the current pass has read (CSV: bytes; .xlsx: rows), for progress."""
        self.header = self._header()

    def _raw(self) -> Generator[list[str]]:
        """Every row of the file, header included, as stripped text cells."""
        if self.excel:
            yield from self._excel_rows()
        else:
            yield from self._csv_rows()

    def _csv_rows(self) -> Iterator[list[str]]:
        assert self.format is not None
        with self.opener() as handle:
            text = io.TextIOWrapper(handle, encoding=self.format.encoding, newline="")
            try:
                for row in csv.reader(text, delimiter=self.format.delimiter):
                    self.read_bytes = handle.tell()
                    yield [_cell(v) for v in row]
            except UnicodeDecodeError as exc:
                raise _not_utf8(self.filename) from exc
            except csv.Error as exc:
                raise ValidationFailed(
                    _("{filename} is not a readable CSV file ({exc}).").format(
                        filename=self.filename, exc=exc
                    )
                ) from exc

    def _excel_rows(self) -> Iterator[list[str]]:
        from openpyxl import load_workbook

        with self.opener() as handle:
            try:
                book = load_workbook(handle, read_only=True, data_only=True)
            except Exception as exc:  # openpyxl raises many kinds for a damaged file
                raise ValidationFailed(
                    _("{filename} is not a readable Excel workbook ({exc}).").format(
                        filename=self.filename, exc=exc
                    )
                ) from exc
            try:
                sheet = book.worksheets[0]
                self.size = sheet.max_row if isinstance(sheet.max_row, int) else None
                for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                    self.read_bytes = number
                    yield [_cell(v) for v in row]
            finally:
                book.close()

    def _header(self) -> list[str]:
        rows = self._raw()
        first = next(rows, None)
        rows.close()
        if not first or not any(first):
            raise ValidationFailed(
                _("{filename} is empty: the first row must name the columns.").format(
                    filename=self.filename
                )
            )
        header = list(first)
        while header and not header[-1]:
            header.pop()
        return header

    def iter_rows(self) -> Iterator[list[str]]:
        """Every data row, padded or cut to the header's width (a new pass over the file)."""
        width = len(self.header)
        rows = self._raw()
        try:
            next(rows, None)  # the header
            for row in rows:
                yield row if len(row) == width else (row + [""] * width)[:width]
        finally:
            rows.close()

    def scan(self, columns: Sequence[str]) -> Iterator[tuple[str, ...]]:
        """A pass over the named source columns only (case-insensitive; a column not in the
        file reads as ''), one tuple per data row: for detecting a column-wide format."""
        names = [h.strip().lower() for h in self.header]
        indexes = [
            names.index(c.strip().lower()) if c.strip().lower() in names else -1 for c in columns
        ]
        for row in self.iter_rows():
            yield tuple(row[i] if i >= 0 else "" for i in indexes)

    def column_values(self, column: str) -> Iterator[str]:
        """Every cell of one source column, empty ones included, in a pass of its own."""
        for (value,) in self.scan([column]):
            yield value

    def distinct_values(self, column: str, limit: int = 200) -> list[str]:
        """The different non-empty values of a column (for mapping stage names)."""
        return _distinct(self.header, self.iter_rows(), column, limit)

    def head(self, count: int = 5) -> list[list[str]]:
        """The first `count` data rows (for a preview)."""
        return list(islice(self.iter_rows(), count))

    def count_rows(self) -> int:
        """How many non-empty data rows the file holds (a pass over the file)."""
        return sum(1 for row in self.iter_rows() if any(row))

    def fraction_read(self) -> float | None:
        """How much of the file the current pass has read, 0..1, when the size is known."""
        if not self.size:
            return None
        return min(1.0, self.read_bytes / self.size)


AnyTable = Table | TableFile
"""What an import reads: a table in memory or a file streamed from disk or an upload."""


def open_table(source: bytes | str | Path, filename: str | None = None) -> TableFile:
    """A file to stream: bytes (an upload, kept by the caller) or a path on disk."""
    if isinstance(source, bytes):
        data = source
        return TableFile(lambda: io.BytesIO(data), filename or "file.csv", len(data))
    path = Path(source)
    return TableFile(lambda: path.open("rb"), filename or path.name, path.stat().st_size)


def read_table(data: bytes, filename: str) -> Table:
    """Read CSV or .xlsx into text cells held in memory (trailing empty rows dropped)."""
    source = open_table(data, filename)
    rows = list(source.iter_rows())
    while rows and not any(rows[-1]):
        rows.pop()
    return Table(header=source.header, rows=rows)


def email_from_name(name: str, domain: str) -> str:
    """first.last@domain: accents dropped, anything but letters and digits becomes a dot."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    local = re.sub(r"[^a-z0-9]+", ".", folded).strip(".")
    return f"{local}@{domain.strip().lstrip('@').lower()}"


REASONS = {
    "missing": N_("required"),
    "date_from_datetime_parsing": N_("not a date written YYYY-MM-DD"),
    "date_parsing": N_("not a date written YYYY-MM-DD"),
    "date_type": N_("not a date written YYYY-MM-DD"),
    "decimal_parsing": N_("not a plain decimal amount (like 1234.50)"),
    "decimal_type": N_("not a plain decimal amount (like 1234.50)"),
    "greater_than_equal": N_("must not be negative"),
    "decimal_max_places": N_("more than two decimals"),
    "decimal_max_digits": N_("too large an amount"),
    "string_too_long": N_("too long"),
    "string_too_short": N_("required"),
    "extra_forbidden": N_("not a column of this kind"),
}


def _reason(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "enum":
        expected = error.get("ctx", {}).get("expected", "")
        return _("must be one of {expected}").format(expected=expected)
    if kind in REASONS:
        return _(REASONS[kind])
    message = error["msg"]
    return message.removeprefix("Value error, ")


class MappedRows:
    """The rows of a table as our fields, validated; problems collected, not raised."""

    def __init__(self, kind: Kind, table: AnyTable, mapping: ColumnMapping):
        self.kind, self.table, self.mapping = kind, table, mapping
        self.problems: list[Problem] = []
        self._rows: list[tuple[int, list[str]]] | None = None  # a view's own rows
        self._distinct_seen: set[tuple] = set()  # shared by the views of one file
        self.model: type[Row] = MODELS[kind]
        self.fields = import_fields(kind)
        self.sources = self._sources()
        self.present = set(self.sources) | set(mapping.defaults)
        if kind == Kind.PEOPLE and mapping.email_domain:
            self.present.add("email")
        self._check_required()
        self.values = {
            field: {k.strip().lower(): v for k, v in table_map.items()}
            for field, table_map in mapping.values.items()
        }
        self.formats = self._column_formats()

    def _column_formats(self) -> ColumnFormats:
        """A first pass over the file: how each date and amount column is written
        (core/transfer/cell_formats.py); a column that cannot be read one way is a problem."""
        survey = FormatSurvey(
            self.model,
            {f: self.table.header[i] for f, i in self.sources.items()},
            date_format=self.mapping.date_format,
            decimal_comma=self.mapping.decimal_comma,
        )
        wanted = [
            (f, self.sources.get(f), self.values.get(f), self.mapping.defaults.get(f, ""))
            for f in survey.fields
            if f in self.sources or f in self.mapping.defaults
        ]
        if wanted:
            for __, cells in self.numbered_rows():
                record = {}
                for field, index, value_map, default in wanted:
                    value = cells[index] if index is not None else ""
                    if value and value_map:
                        value = value_map.get(value.lower(), value)
                    record[field] = value or default
                survey.add(record)
        self.survey = survey
        formats, unclear = survey.result()
        for column, reason in unclear:
            self.problems.append(Problem(row=None, column=column, value="", reason=reason))
        return formats

    def _sources(self) -> dict[str, int]:
        """Our field -> index of the source column that fills it."""
        mapped = {k.strip().lower(): v.strip().lower() for k, v in self.mapping.columns.items()}
        out: dict[str, int] = {}
        seen: set[str] = set()
        for index, raw in enumerate(self.table.header):
            name = raw.strip().lower()
            if name in seen:
                self.problems.append(Problem(row=1, column=raw, value="", reason=_("column twice")))
                continue
            seen.add(name)
            field = mapped.get(name, name)
            if field == IGNORE or (name not in mapped and not name and not raw):
                continue
            if field not in self.fields:
                if name not in mapped and self.mapping.ignore_other_columns:
                    continue
                fields = ", ".join(self.fields)
                if name in mapped:
                    reason = _(
                        "mapped to '{field}', which is not a field of {kind}; fields: {fields}"
                    )
                else:
                    reason = _(
                        "not a column of {kind} (columns: {fields}); map it to a field or ignore it"
                    )
                reason = reason.format(field=field, kind=self.kind, fields=fields)
                self.problems.append(Problem(row=1, column=raw, value="", reason=reason))
                continue
            if field in out:
                other = self.table.header[out[field]]
                self.problems.append(
                    Problem(
                        row=1,
                        column=raw,
                        value="",
                        reason=_("'{other}' already fills {field}").format(
                            other=other, field=field
                        ),
                    )
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
                        reason=_("required column missing: map a source column to {name}").format(
                            name=name
                        ),
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

    def numbered_rows(self) -> Iterator[tuple[int, list[str]]]:
        """(spreadsheet row number, cells) of every row: a view's own, else the whole file's
        (read as it is needed)."""
        if self._rows is not None:
            return iter(self._rows)
        return enumerate(self.table.iter_rows(), start=self.table.first_data_row)

    @property
    def size(self) -> int | None:
        """How many rows a view holds (None for the whole file, which is not counted)."""
        return None if self._rows is None else len(self._rows)

    def view(self, rows: list[tuple[int, list[str]]]) -> MappedRows:
        """The same mapping over only these rows, with problems of its own."""
        view = copy.copy(self)
        view.problems, view._rows = [], rows
        return view

    def chunks(self, size: int) -> Iterator[MappedRows]:
        """The file's non-empty rows as views of at most `size` rows each, read one view at a
        time, so memory holds one chunk whatever the file's size."""
        batch: list[tuple[int, list[str]]] = []
        for number, cells in self.numbered_rows():
            if any(cells):
                batch.append((number, cells))
                if len(batch) >= size:
                    yield self.view(batch)
                    batch = []
        if batch:
            yield self.view(batch)

    def __iter__(self) -> Iterator[tuple[int, Row, dict[str, str]]]:
        """(row number, validated row, mapped text) for every valid row."""
        # identical rows count once across the views of one file too
        seen = self._distinct_seen if self._rows is not None else set()
        for number, cells in self.numbered_rows():
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
                row = self.model.model_validate(data, context=self.formats)
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
                raise TypeError(
                    _("{kind} rows are {found}, not {expected}").format(
                        kind=self.kind, found=type(row).__name__, expected=model.__name__
                    )
                )
            yield number, row, record
