"""What every import kind shares: the per-import context (lookups of regions and people, the
problems found so far), the result counts, and batched reads and writes.

Rows are looked up and written in bounded batches, so large files stream through memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from core import clock
from core.customers.names import normalize_name
from core.errors import DomainError
from core.i18n import _
from core.models import Actor
from core.org.access import in_scope
from core.org.regions import RegionTree, load_region_tree
from core.transfer.file_keys import FileKeys
from core.transfer.formats import Kind
from core.transfer.reading import ColumnMapping, ImportFailed, MappedRows, Problem
from db.schema import Customer, Person

Progress = Callable[[str, float], None]
BATCH = 5_000
"""Rows looked up or written per statement, so large files stream in bounded batches."""


class ConcurrentChange(DomainError):
    """Records changed between reading and writing the import."""


class ImportResult(BaseModel):
    """How many rows were (or, in a dry run, would be) created, updated and left unchanged."""

    kind: Kind
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    note: str = ""

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        if self.dry_run:
            text = _(
                "Dry run, nothing written: {rows} {kind} rows; {created} would be created, "
                "{updated} updated, {unchanged} unchanged."
            )
        else:
            text = _(
                "Imported: {rows} {kind} rows; {created} were created, "
                "{updated} updated, {unchanged} unchanged."
            )
        text = text.format(
            rows=f"{self.rows:,}",
            kind=self.kind,
            created=f"{self.created:,}",
            updated=f"{self.updated:,}",
            unchanged=f"{self.unchanged:,}",
        )
        return f"{text} {self.note}".strip()


def batches(values: list, size: int = BATCH) -> Iterable[list]:
    """`values` in slices of at most `size`, one statement each."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def iso_date(value: date | None) -> str | None:
    """A date as written by a bulk insert (ISO text), or None."""
    return value.isoformat() if value else None


def money_text(value: Decimal | None) -> str | None:
    """An amount as written by a bulk insert: exact text to the cent, or None."""
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))


def same_value(a: Any, b: Any) -> bool:
    """Whether a stored value equals the file's (amounts compared as Decimal, 10 == 10.00)."""
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        if a is None or b is None:
            return a is b
        return Decimal(a) == Decimal(b)
    return a == b


@dataclass
class PersonRef:
    """A person as the import finds them: by email, or by an unambiguous name."""

    id: int
    email: str
    name: str
    role: str
    region_id: int | None


@dataclass
class ImportContext:
    """One import in progress: who imports what, the rows, and every problem found so far."""

    session: Session
    actor: Actor
    mapping: ColumnMapping
    rows: MappedRows
    progress: Progress
    today: date = field(default_factory=clock.today)
    problems: list[Problem] = field(default_factory=list)
    _tree: RegionTree | None = None
    _people: dict[str, PersonRef] | None = None
    file_keys: FileKeys | None = None
    """Keys met in earlier chunks of a file imported chunk by chunk (None: one piece)."""
    customers_before: int | None = None
    """The newest customer id before a chunked import began: later ones are this file's."""
    new_customers_total: int = 0
    lost_reasons_were_empty: bool | None = None
    """Whether the list of lost reasons was empty when the import began (None: not asked yet);
    decided once, so every chunk of a file may start the list, not only the first."""

    def existed_before(self, customer_id: int) -> bool:
        """Whether a customer was there before this import (not created by an earlier chunk)."""
        return self.customers_before is None or customer_id <= self.customers_before

    def customers_to_create(self, keys: dict[tuple[str, int | None], int]) -> int:
        """How many customers the file so far creates: this piece's new ones (key -> row) and
        those of earlier chunks, each counted once."""
        if self.file_keys is None:
            return len(keys)
        found = self.file_keys.earlier(
            "new customer", {f"{k[0]}\x1f{k[1]}": r for k, r in keys.items()}
        )
        self.new_customers_total += len(keys) - len(found)
        return self.new_customers_total

    def problem(self, row: int | None, column: str, value: Any, reason: str) -> None:
        text = "" if value is None else str(value)
        self.problems.append(Problem(row=row, column=column, value=text, reason=reason))

    @property
    def tree(self) -> RegionTree:
        if self._tree is None:
            self._tree = load_region_tree(self.session)
        return self._tree

    def reload_tree(self) -> None:
        """Read the region tree again on next use (after a region was added)."""
        self._tree = None

    @property
    def root_id(self) -> int | None:
        return self.tree.root_id

    def region_ids(self) -> dict[str, int]:
        return {name.lower(): rid for rid, name in self.tree.names.items()}

    def region(self, number: int, column: str, name: str | None) -> int | None:
        """A region by name; empty means the company (the root)."""
        if not name:
            return self.root_id
        found = self.region_ids().get(name.lower())
        if found is None:
            self.problem(number, column, name, _("unknown region"))
        return found

    def people(self) -> dict[str, PersonRef]:
        if self._people is None:
            rows = self.session.execute(
                select(Person.id, Person.email, Person.name, Person.role, Person.region_id)
            )
            self._people = {r.email.lower(): PersonRef(*r) for r in rows}
        return self._people

    def person(self, number: int, column: str, value: str | None) -> PersonRef | None:
        """A person by email, or by full name when the value has no @ (must be unambiguous)."""
        if not value:
            return None
        people = self.people()
        if "@" in value:
            found = people.get(value.lower())
            if found is None:
                self.problem(number, column, value, _("no person with this email"))
            return found
        matches = [p for p in people.values() if p.name.lower() == value.lower()]
        if len(matches) == 1:
            return matches[0]
        if matches:
            reason = _("several people have this name; give the email")
        else:
            reason = _("no person with this name; give the email")
        self.problem(number, column, value, reason)
        return None

    def in_area(self, number: int, column: str, value: Any, region_id: int | None) -> bool:
        if self.actor.sees_everything or in_scope(self.actor, region_id):
            return True
        self.problem(number, column, value, _("outside the regions you manage"))
        return False

    def fail_if_problems(self) -> None:
        problems = self.rows.problems + self.problems
        if problems:
            problems.sort(key=lambda p: p.row or 0)
            raise ImportFailed(problems)


def update_by_id(session: Session, table, changes: list[dict]) -> None:
    """UPDATE rows by id in batches of rows that change the same columns (executemany)."""
    groups: dict[tuple[str, ...], list[dict]] = defaultdict(list)
    for change in changes:
        columns = tuple(sorted(k for k in change if k != "_id"))
        groups[columns].append({"_id": change["_id"], **{f"v_{k}": change[k] for k in columns}})
    conn = session.connection()
    for columns, params in groups.items():
        statement = (
            table.update()
            .where(table.c.id == bindparam("_id"))
            .values({c: bindparam(f"v_{c}") for c in columns})
        )
        for chunk in batches(params):
            conn.execute(statement, chunk)


def repeated_in_file(
    ctx: ImportContext, number: int, column: str, value: str | None, key, seen: dict
) -> bool:
    """Record a problem when `key` was already seen on an earlier row of the file."""
    if key in seen:
        ctx.problem(
            number,
            column,
            value,
            _("appears twice in the file (also row {seen})").format(seen=seen[key]),
        )
        return True
    seen[key] = number
    return False


def customer_refs(session: Session, values: set[str]) -> tuple[dict, dict]:
    """Customers referred to by external_id, else by name: ext -> (id, region), key -> [..]."""
    by_ext: dict[str, tuple[int, int]] = {}
    by_name: dict[str, list[tuple[int, int]]] = defaultdict(list)
    ordered = sorted(values)
    for chunk in batches(ordered):
        for cid, ext, region in session.execute(
            select(Customer.id, Customer.external_id, Customer.region_id).where(
                Customer.external_id.in_(chunk)
            )
        ):
            if ext is not None:  # always: the IN list matched it
                by_ext[ext] = (cid, region)
    keys = sorted({normalize_name(v) for v in values if v not in by_ext})
    for chunk in batches(keys):
        for cid, key, region in session.execute(
            select(Customer.id, Customer.normalized_name, Customer.region_id).where(
                Customer.normalized_name.in_(chunk)
            )
        ):
            by_name[key].append((cid, region))
    return by_ext, by_name
