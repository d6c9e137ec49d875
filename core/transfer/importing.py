"""Import a file of one kind: validate every row, then write all of it or nothing.

Rules:
- Rows are matched on external_id (customers, deals), email (people) or name (regions,
  products; customers without external_id by normalised name in their region), so importing
  the same file twice changes nothing the second time.
- Columns absent from the file leave existing values alone; missing values of new records get
  the defaults documented in docs/import.md.
- A deal is credited to its owner's region. Every imported deal gets stage history: entering
  its first stage on created_on and, for closed deals, the close on closed_on.
- Imported targets form a new version of the fiscal year's plan, approved at once (only
  directors and administrators import targets). A region without rows of its own gets the sum
  of its reps and sub-regions.
- Directors and administrators import everything; a manager imports reps, customers, deals and
  activities within the regions they manage; reps import nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from core.customers.names import normalize_name
from core.errors import DomainError, PermissionDenied
from core.models import Actor, CustomerStatus, DealStatus, ForecastCategory, PlanStatus, Role
from core.org import audit
from core.org.access import ensure_active, in_scope
from core.org.company import fiscal_start_month, get_setting
from core.org.regions import RegionTree, load_region_tree
from core.periods import fiscal_year_of
from core.pipeline.standard_stages import STANDARD_STAGES
from core.transfer.formats import (
    ActivityRow,
    CustomerRow,
    DealRow,
    Kind,
    PersonRow,
    ProductRow,
    RegionRow,
    TargetRow,
)
from core.transfer.reading import ColumnMapping, ImportFailed, MappedRows, Problem, Table
from db.bulk import bulk_insert
from db.schema import (
    Activity,
    Customer,
    Deal,
    DealStageHistory,
    Person,
    Product,
    Region,
    Stage,
    Target,
    TargetPlan,
)

Progress = Callable[[str, float], None]
BATCH = 5_000
"""Rows looked up or written per statement, so large files stream in bounded batches."""

MANAGER_KINDS = {Kind.PEOPLE, Kind.CUSTOMERS, Kind.DEALS, Kind.ACTIVITIES}


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
        verb = "would be" if self.dry_run else "were"
        head = "Dry run, nothing written: " if self.dry_run else "Imported: "
        text = (
            f"{head}{self.rows:,} {self.kind} rows; {self.created:,} {verb} created, "
            f"{self.updated:,} updated, {self.unchanged:,} unchanged."
        )
        return f"{text} {self.note}".strip()


def ensure_can_import(actor: Actor, kind: Kind) -> None:
    """Directors and admins import every kind; managers people, customers, deals and
    activities of their own area; reps nothing."""
    ensure_active(actor)
    if actor.sees_everything:
        return
    if actor.role == Role.MANAGER and kind in MANAGER_KINDS:
        return
    if actor.role == Role.MANAGER:
        raise PermissionDenied(f"Only directors and administrators may import {kind}.")
    raise PermissionDenied("Only administrators, directors and managers may import data.")


def importable_kinds(actor: Actor) -> list[Kind]:
    out = []
    for kind in Kind:
        try:
            ensure_can_import(actor, kind)
        except PermissionDenied:
            continue
        out.append(kind)
    return out


def _chunks(values: list, size: int = BATCH) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        if a is None or b is None:
            return a is b
        return Decimal(a) == Decimal(b)
    return a == b


@dataclass
class _PersonRef:
    id: int | None
    email: str
    name: str
    role: str
    region_id: int | None


@dataclass
class _Context:
    session: Session
    actor: Actor
    mapping: ColumnMapping
    rows: MappedRows
    progress: Progress
    today: date = field(default_factory=date.today)
    problems: list[Problem] = field(default_factory=list)
    _tree: RegionTree | None = None
    _people: dict[str, _PersonRef] | None = None

    def problem(self, row: int | None, column: str, value: Any, reason: str) -> None:
        text = "" if value is None else str(value)
        self.problems.append(Problem(row=row, column=column, value=text, reason=reason))

    @property
    def tree(self) -> RegionTree:
        if self._tree is None:
            self._tree = load_region_tree(self.session)
        return self._tree

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
            self.problem(number, column, name, "unknown region")
        return found

    def people(self) -> dict[str, _PersonRef]:
        if self._people is None:
            rows = self.session.execute(
                select(Person.id, Person.email, Person.name, Person.role, Person.region_id)
            )
            self._people = {r.email.lower(): _PersonRef(*r) for r in rows}
        return self._people

    def person(self, number: int, column: str, value: str | None) -> _PersonRef | None:
        """A person by email, or by full name when the value has no @ (must be unambiguous)."""
        if not value:
            return None
        people = self.people()
        if "@" in value:
            found = people.get(value.lower())
            if found is None:
                self.problem(number, column, value, "no person with this email")
            return found
        matches = [p for p in people.values() if p.name.lower() == value.lower()]
        if len(matches) == 1:
            return matches[0]
        reason = "no person with this name" if not matches else "several people have this name"
        self.problem(number, column, value, f"{reason}; give the email")
        return None

    def in_area(self, number: int, column: str, value: Any, region_id: int | None) -> bool:
        if self.actor.sees_everything or in_scope(self.actor, region_id):
            return True
        self.problem(number, column, value, "outside the regions you manage")
        return False

    def fail_if_problems(self) -> None:
        problems = self.rows.problems + self.problems
        if problems:
            problems.sort(key=lambda p: p.row or 0)
            raise ImportFailed(problems)


def _update_by_id(session: Session, table, changes: list[dict]) -> None:
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
        for chunk in _chunks(params):
            conn.execute(statement, chunk)


def _duplicates(ctx: _Context, number: int, column: str, value: str, key, seen: dict) -> bool:
    if key in seen:
        ctx.problem(number, column, value, f"appears twice in the file (also row {seen[key]})")
        return True
    seen[key] = number
    return False


# --- regions ------------------------------------------------------------------------------


def _ensure_root(ctx: _Context, dry_run: bool) -> int | None:
    """The company node every region hangs under; created on the first import if missing."""
    if ctx.root_id is not None or dry_run:
        return ctx.root_id
    root = Region(name=str(get_setting(ctx.session, "company_name")), parent_id=None)
    ctx.session.add(root)
    ctx.session.flush()
    ctx._tree = None
    return root.id


def _import_regions(ctx: _Context, dry_run: bool) -> ImportResult:
    rows: dict[str, tuple[int, RegionRow]] = {}
    seen: dict = {}
    for number, row, _ in ctx.rows:
        key = row.name.lower()
        if not _duplicates(ctx, number, "name", row.name, key, seen):
            rows[key] = (number, row)
    existing = ctx.region_ids()
    root_name = ctx.tree.names.get(ctx.root_id, "").lower() if ctx.root_id else ""
    for key, (number, row) in rows.items():
        if row.parent and row.parent.lower() not in existing and row.parent.lower() not in rows:
            ctx.problem(number, "parent", row.parent, "unknown region")
        if key == root_name and row.parent:
            ctx.problem(number, "name", row.name, "is the company itself; it has no parent")
    # cycles within the file: follow parents until a known region or the root
    for key, (number, row) in rows.items():
        path, node = {key}, row.parent.lower() if row.parent else None
        while node in rows:
            if node in path:
                ctx.problem(number, "parent", row.parent, "the regions form a loop")
                break
            path.add(node)
            parent = rows[node][1].parent
            node = parent.lower() if parent else None
    ctx.fail_if_problems()
    result = ImportResult(kind=Kind.REGIONS, dry_run=dry_run)
    root_id = _ensure_root(ctx, dry_run)
    ids = dict(existing)
    # create parents before children
    order: list[str] = []
    placed: set[str] = set()

    def place(key: str) -> None:
        if key in placed:
            return
        parent = rows[key][1].parent
        if parent and parent.lower() in rows:
            place(parent.lower())
        placed.add(key)
        order.append(key)

    for key in rows:
        place(key)
    for key in order:
        number, row = rows[key]
        if key == root_name:
            result.unchanged += 1
            continue
        parent_key = row.parent.lower() if row.parent else None
        if key in existing:
            region = ctx.session.get(Region, existing[key])
            parent_id = ids.get(parent_key) if parent_key else root_id
            if dry_run and parent_key and parent_key not in ids:
                parent_id = -1  # a region created by this file: certainly a change
            if region.parent_id == parent_id:
                result.unchanged += 1
                continue
            if parent_id is not None and parent_id in ctx.tree.subtree(region.id):
                raise ImportFailed(
                    [Problem(row=number, column="parent", value=row.parent or "", reason="loop")]
                )
            result.updated += 1
            if not dry_run:
                before = {"parent_id": region.parent_id}
                region.parent_id = parent_id
                audit.record(
                    ctx.session,
                    ctx.actor,
                    "import",
                    "region",
                    region.id,
                    before=before,
                    after={"parent_id": parent_id},
                )
            continue
        result.created += 1
        if dry_run:
            ids[key] = -1
            continue
        region = Region(name=row.name, parent_id=ids[parent_key] if parent_key else root_id)
        ctx.session.add(region)
        ctx.session.flush()
        ids[key] = region.id
        audit.record(
            ctx.session,
            ctx.actor,
            "import",
            "region",
            region.id,
            after={"name": row.name, "parent": row.parent},
        )
    return result


# --- people -------------------------------------------------------------------------------


def _unique_username(email: str, taken: set[str]) -> str:
    base = email.split("@")[0].lower()[:110] or "user"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}.{n}"
    taken.add(name)
    return name


def _import_people(ctx: _Context, dry_run: bool) -> ImportResult:
    present = ctx.rows.present
    rows: list[tuple[int, PersonRow]] = []
    seen: dict = {}
    for number, row, _ in ctx.rows:
        if not _duplicates(ctx, number, "email", row.email, row.email, seen):
            rows.append((number, row))
    people = ctx.people()
    in_file = {row.email: row for _, row in rows}
    by_name_in_file: dict[str, list[str]] = defaultdict(list)
    for _, row in rows:
        by_name_in_file[row.name.lower()].append(row.email)
    planned: list[dict] = []
    for number, row in rows:
        region_id = ctx.region(number, "region", row.region)
        if ctx.actor.role == Role.MANAGER:
            if row.role != Role.REP:
                ctx.problem(number, "role", row.role.value, "managers may only import reps")
            ctx.in_area(number, "region", row.region, region_id)
            current = people.get(row.email)
            if current is not None:
                ctx.in_area(number, "email", row.email, current.region_id)
        boss: str | None = None
        if row.reports_to:
            value = row.reports_to
            if "@" in value and value.lower() in in_file:
                boss = value.lower()
            elif "@" not in value and len(by_name_in_file.get(value.lower(), [])) == 1:
                boss = by_name_in_file[value.lower()][0]
            else:
                found = ctx.person(number, "reports_to", value)
                boss = found.email if found else None
            if boss == row.email:
                ctx.problem(number, "reports_to", value, "a person cannot report to themselves")
        planned.append({"number": number, "row": row, "region_id": region_id, "boss": boss})
    ctx.fail_if_problems()
    result = ImportResult(kind=Kind.PEOPLE, dry_run=dry_run)
    session = ctx.session
    taken = {u.lower() for u in session.scalars(select(Person.username))}
    ids = {email: ref.id for email, ref in people.items()}
    changes: list[tuple[dict, Person | None]] = []
    for plan in planned:
        row: PersonRow = plan["row"]
        values = {
            "name": row.name,
            "role": row.role.value,
            "region_id": plan["region_id"],
            "hire_date": row.hire_date,
        }
        values = {k: v for k, v in values.items() if k in present or k == "name"}
        if "region" in present:
            values["region_id"] = plan["region_id"]
        values.pop("region", None)
        current = session.get(Person, ids[row.email]) if row.email in ids else None
        if current is None:
            result.created += 1
            changes.append((plan, None))
            continue
        boss_id = ids.get(plan["boss"]) if plan["boss"] else None
        differs = any(not _same(getattr(current, k), v) for k, v in values.items())
        if "reports_to" in present and current.reports_to_id != boss_id:
            differs = True
        if differs:
            result.updated += 1
            changes.append((plan, current))
        else:
            result.unchanged += 1
    if dry_run:
        return result
    created_ids = {}
    for plan, current in changes:
        row = plan["row"]
        if current is None:
            person = Person(
                username=_unique_username(row.email, taken),
                email=row.email,
                name=row.name,
                role=row.role.value,
                region_id=plan["region_id"],
                hire_date=row.hire_date,
                active=True,
            )
            session.add(person)
            session.flush()
            ids[row.email] = person.id
            created_ids[row.email] = person.id
            audit.record(
                session,
                ctx.actor,
                "import",
                "person",
                person.id,
                after={"email": row.email, "role": row.role, "region": row.region},
            )
    for plan, current in changes:
        row = plan["row"]
        person = current or session.get(Person, ids[row.email])
        before = {
            "name": person.name,
            "role": person.role,
            "region_id": person.region_id,
            "reports_to_id": person.reports_to_id,
            "hire_date": person.hire_date,
        }
        if current is not None:
            person.name = row.name
            if "role" in present:
                person.role = row.role.value
            if "region" in present:
                person.region_id = plan["region_id"]
            if "hire_date" in present:
                person.hire_date = row.hire_date
        if "reports_to" in present:
            person.reports_to_id = ids.get(plan["boss"]) if plan["boss"] else None
        if current is not None:
            audit.record(
                session,
                ctx.actor,
                "import",
                "person",
                person.id,
                before=before,
                after={
                    "name": person.name,
                    "role": person.role,
                    "region_id": person.region_id,
                    "reports_to_id": person.reports_to_id,
                    "hire_date": person.hire_date,
                },
            )
    session.flush()
    return result


# --- products -----------------------------------------------------------------------------


def _import_products(ctx: _Context, dry_run: bool) -> ImportResult:
    present = ctx.rows.present
    rows: list[tuple[int, ProductRow]] = []
    seen: dict = {}
    for number, row, _ in ctx.rows:
        if not _duplicates(ctx, number, "name", row.name, row.name.lower(), seen):
            rows.append((number, row))
    ctx.fail_if_problems()
    existing = {p.name.lower(): p for p in ctx.session.scalars(select(Product))}
    result = ImportResult(kind=Kind.PRODUCTS, dry_run=dry_run)
    for _, row in rows:
        current = existing.get(row.name.lower())
        values = {k: getattr(row, k) for k in ("product_line", "list_price") if k in present}
        if current is None:
            result.created += 1
            if not dry_run:
                product = Product(
                    name=row.name, product_line=row.product_line, list_price=row.list_price
                )
                ctx.session.add(product)
                ctx.session.flush()
                audit.record(
                    ctx.session, ctx.actor, "import", "product", product.id, after=row.model_dump()
                )
        elif any(not _same(getattr(current, k), v) for k, v in values.items()):
            result.updated += 1
            if not dry_run:
                before = {k: getattr(current, k) for k in values}
                for k, v in values.items():
                    setattr(current, k, v)
                audit.record(
                    ctx.session,
                    ctx.actor,
                    "import",
                    "product",
                    current.id,
                    before=before,
                    after=values,
                )
        else:
            result.unchanged += 1
    return result


# --- customers ----------------------------------------------------------------------------

CUSTOMER_FIELDS = (
    "name",
    "region_id",
    "owner_id",
    "industry",
    "segment",
    "status",
    "annual_potential",
    "external_id",
)


def _customer_index(session: Session, external_ids: list[str], names: list[str]):
    """Existing customers by external_id and by (normalised name, region)."""
    cols = [Customer.id, *(getattr(Customer, f) for f in CUSTOMER_FIELDS), Customer.normalized_name]
    by_external, by_name = {}, {}
    for chunk in _chunks(sorted(set(external_ids))):
        for r in session.execute(select(*cols).where(Customer.external_id.in_(chunk))):
            by_external[r.external_id] = r
    for chunk in _chunks(sorted(set(names))):
        for r in session.execute(select(*cols).where(Customer.normalized_name.in_(chunk))):
            by_name.setdefault(r.normalized_name, []).append(r)
    return by_external, by_name


def _import_customers(ctx: _Context, dry_run: bool) -> ImportResult:
    present = ctx.rows.present
    session = ctx.session
    planned: list[dict] = []
    seen_ext: dict = {}
    seen_name: dict = {}
    raw = list(ctx.rows)
    ctx.progress("checking customers", 0.2)
    for number, row, _ in raw:
        owner = ctx.person(number, "owner", row.owner)
        if row.region:
            region_id = ctx.region(number, "region", row.region)
        elif ctx.mapping.region_from_owner and owner is not None:
            region_id = owner.region_id or ctx.root_id
        else:
            region_id = ctx.root_id
        if region_id is None and not row.region:
            ctx.problem(number, "region", "", "no regions exist yet: import regions first")
            continue
        ctx.in_area(number, "region", row.region or "", region_id)
        key = normalize_name(row.name)
        if row.external_id and _duplicates(
            ctx, number, "external_id", row.external_id, row.external_id, seen_ext
        ):
            continue
        if _duplicates(ctx, number, "name", row.name, (key, region_id), seen_name):
            continue
        planned.append(
            {
                "number": number,
                "row": row,
                "region_id": region_id,
                "owner_id": owner.id if owner else None,
                "key": key,
            }
        )
    ctx.fail_if_problems()
    by_external, by_name = _customer_index(
        session,
        [p["row"].external_id for p in planned if p["row"].external_id],
        [p["key"] for p in planned],
    )
    result = ImportResult(kind=Kind.CUSTOMERS, dry_run=dry_run)
    creates: dict[str, list] = defaultdict(list)
    updates: list[dict] = []
    for plan in planned:
        row: CustomerRow = plan["row"]
        current = by_external.get(row.external_id) if row.external_id else None
        if current is None:
            same_name = [
                c for c in by_name.get(plan["key"], []) if c.region_id == plan["region_id"]
            ]
            if same_name and (not row.external_id or same_name[0].external_id is None):
                current = same_name[0]
        values = {
            "name": row.name,
            "region_id": plan["region_id"],
            "owner_id": plan["owner_id"],
            "industry": row.industry,
            "segment": row.segment,
            "status": row.status.value,
            "annual_potential": row.annual_potential,
            "external_id": row.external_id,
        }
        if current is None:
            result.created += 1
            for k, v in values.items():
                creates[k].append(_money(v) if k == "annual_potential" else v)
            creates["normalized_name"].append(plan["key"])
            continue
        wanted = {
            k: v
            for k, v in values.items()
            if k in present
            or k == "name"
            or (k == "region_id" and "region" in present)
            or (k == "owner_id" and "owner" in present)
        }
        if not (ctx.actor.sees_everything or in_scope(ctx.actor, current.region_id)):
            ctx.problem(plan["number"], "name", row.name, "outside the regions you manage")
            continue
        changed = {k: v for k, v in wanted.items() if not _same(getattr(current, k), v)}
        if changed:
            result.updated += 1
            changed["normalized_name"] = normalize_name(changed.get("name", current.name))
            updates.append({"_id": current.id, **changed})
        else:
            result.unchanged += 1
    ctx.fail_if_problems()
    if dry_run:
        return result
    if creates:
        bulk_insert(session.connection(), Customer.__table__, creates)
    updated_ids = [u["_id"] for u in updates]
    _update_by_id(session, Customer.__table__, updates)
    audit.record(
        session,
        ctx.actor,
        "import",
        "customer",
        None,
        after={
            "created": result.created,
            "updated": result.updated,
            "updated_ids": updated_ids[:1000],
        },
    )
    return result


# --- deals --------------------------------------------------------------------------------


@dataclass
class _StageInfo:
    name: str
    position: int
    probability: Decimal
    is_won: bool
    is_lost: bool
    id: int | None = None


def _stages(session: Session) -> dict[str, _StageInfo]:
    """Configured stages by lower-case name; the standard stages when none are configured."""
    rows = session.execute(
        select(
            Stage.id, Stage.name, Stage.position, Stage.probability, Stage.is_won, Stage.is_lost
        ).order_by(Stage.position)
    ).all()
    if rows:
        return {
            r.name.lower(): _StageInfo(r.name, r.position, r.probability, r.is_won, r.is_lost, r.id)
            for r in rows
        }
    return {
        name.lower(): _StageInfo(name, i + 1, Decimal(prob), name == "Won", name == "Lost")
        for i, (name, prob, *_rest) in enumerate(STANDARD_STAGES)
    }


def stage_names(session: Session) -> list[str]:
    """The stages a deal file may name (the standard ones in an empty database)."""
    return [stage.name for stage in _stages(session).values()]


def _install_stages(session: Session, stages: dict[str, _StageInfo]) -> None:
    """An empty database gets the standard stages on its first deal import."""
    for name, prob, max_days, checklist, roles in STANDARD_STAGES:
        stage = Stage(
            name=name,
            position=stages[name.lower()].position,
            probability=Decimal(prob),
            is_won=name == "Won",
            is_lost=name == "Lost",
            exit_checklist=checklist,
            required_roles=roles,
            max_days=max_days,
        )
        session.add(stage)
        session.flush()
        stages[name.lower()].id = stage.id


def _customer_refs(session: Session, values: set[str]) -> tuple[dict, dict]:
    """Customers referred to by external_id, else by name: ext -> (id, region), key -> [..]."""
    by_ext: dict[str, tuple[int, int]] = {}
    by_name: dict[str, list[tuple[int, int]]] = defaultdict(list)
    ordered = sorted(values)
    for chunk in _chunks(ordered):
        for cid, ext, region in session.execute(
            select(Customer.id, Customer.external_id, Customer.region_id).where(
                Customer.external_id.in_(chunk)
            )
        ):
            by_ext[ext] = (cid, region)
    keys = sorted({normalize_name(v) for v in values if v not in by_ext})
    for chunk in _chunks(keys):
        for cid, key, region in session.execute(
            select(Customer.id, Customer.normalized_name, Customer.region_id).where(
                Customer.normalized_name.in_(chunk)
            )
        ):
            by_name[key].append((cid, region))
    return by_ext, by_name


DEAL_FIELDS = (
    "name",
    "customer_id",
    "owner_id",
    "region_id",
    "product_id",
    "amount",
    "stage_id",
    "status",
    "created_on",
    "expected_close",
    "closed_on",
    "lost_reason",
)


def _import_deals(ctx: _Context, dry_run: bool) -> ImportResult:
    session, present = ctx.session, ctx.rows.present
    stages = _stages(session)
    products = {
        name.lower(): pid for pid, name in session.execute(select(Product.id, Product.name))
    }
    stage_names = ", ".join(s.name for s in stages.values())
    ctx.progress("reading deals", 0.05)
    raw = list(ctx.rows)
    ctx.progress("checking customers and owners", 0.2)
    by_ext, by_name = _customer_refs(session, {row.customer for _, row, _ in raw})
    new_customers: dict[tuple[str, int], dict] = {}
    seen: dict = {}
    planned: list[dict] = []
    people = ctx.people()
    by_person_name: dict[str, list[_PersonRef]] = defaultdict(list)
    for ref in people.values():
        by_person_name[ref.name.lower()].append(ref)
    root = ctx.root_id
    for number, row, _ in raw:
        if _duplicates(ctx, number, "external_id", row.external_id, row.external_id, seen):
            continue
        owner = (
            people.get(row.owner.lower())
            if "@" in row.owner
            else (lambda m: m[0] if len(m) == 1 else None)(
                by_person_name.get(row.owner.lower(), [])
            )
        )
        if owner is None:
            owner = ctx.person(number, "owner", row.owner)  # records the precise problem
            continue
        region_id = owner.region_id or root
        if not ctx.in_area(number, "owner", row.owner, region_id):
            continue
        stage = stages.get(row.stage.lower())
        if stage is None:
            ctx.problem(
                number, "stage", row.stage, f"unknown stage; map it to one of: {stage_names}"
            )
            continue
        product_id = None
        if row.product:
            product_id = products.get(row.product.lower())
            if product_id is None:
                ctx.problem(number, "product", row.product, "unknown product")
                continue
        customer = by_ext.get(row.customer)
        if customer is None:
            matches = by_name.get(normalize_name(row.customer), [])
            if len(matches) == 1:
                customer = matches[0]
            elif len(matches) > 1:
                own = [m for m in matches if m[1] == region_id]
                if len(own) == 1:
                    customer = own[0]
                else:
                    ctx.problem(
                        number,
                        "customer",
                        row.customer,
                        "several customers have this name; give the external_id",
                    )
                    continue
            elif ctx.mapping.create_missing_customers:
                key = (normalize_name(row.customer), region_id)
                new_customers.setdefault(
                    key, {"name": row.customer, "region_id": region_id, "owner_id": owner.id}
                )
                customer = ("new", key)
            else:
                ctx.problem(
                    number,
                    "customer",
                    row.customer,
                    "unknown customer (give its external_id or exact name)",
                )
                continue
        closed = stage.is_won or stage.is_lost
        if stage.is_won and row.closed_on is None:
            ctx.problem(number, "closed_on", "", "a won deal needs closed_on")
            continue
        if stage.is_won and row.amount is None:
            ctx.problem(number, "amount", "", "a won deal needs an amount")
            continue
        if stage.is_lost and row.closed_on is None:
            ctx.problem(number, "closed_on", "", "a lost deal needs closed_on")
            continue
        if not closed and row.closed_on is not None:
            ctx.problem(
                number,
                "closed_on",
                row.closed_on,
                f"an open deal (stage {stage.name}) has no close date yet",
            )
            continue
        created_on = row.created_on or row.closed_on or ctx.today
        if row.closed_on and row.closed_on < created_on:
            ctx.problem(number, "closed_on", row.closed_on, "before created_on")
            continue
        expected = row.expected_close or row.closed_on or (created_on + timedelta(days=90))
        planned.append(
            {
                "number": number,
                "row": row,
                "owner": owner,
                "region_id": region_id,
                "stage": stage,
                "product_id": product_id,
                "customer": customer,
                "created_on": created_on,
                "expected_close": expected,
            }
        )
        if len(planned) % 20_000 == 0:
            ctx.progress("checking deals", 0.2 + 0.3 * len(planned) / max(len(raw), 1))
    ctx.fail_if_problems()
    ctx.progress("comparing with the database", 0.5)
    existing: dict[str, Any] = {}
    for chunk in _chunks([p["row"].external_id for p in planned]):
        for r in session.execute(
            select(
                Deal.id, Deal.external_id, Deal.version, *(getattr(Deal, f) for f in DEAL_FIELDS)
            ).where(Deal.external_id.in_(chunk))
        ):
            existing[r.external_id] = r
    result = ImportResult(kind=Kind.DEALS, dry_run=dry_run)
    creates: list[dict] = []
    updates: list[dict] = []
    optional = {
        "product": "product_id",
        "name": "name",
        "amount": "amount",
        "created_on": "created_on",
        "expected_close": "expected_close",
        "closed_on": "closed_on",
        "lost_reason": "lost_reason",
    }
    for plan in planned:
        row: DealRow = plan["row"]
        current = existing.get(row.external_id)
        if current is not None and not (
            ctx.actor.sees_everything or in_scope(ctx.actor, current.region_id)
        ):
            ctx.problem(
                plan["number"],
                "external_id",
                row.external_id,
                "this deal is outside the regions you manage",
            )
            continue
        if current is None:
            result.created += 1
            creates.append(plan)
            continue
        stage = plan["stage"]
        wanted = {
            "owner_id": plan["owner"].id,
            "region_id": plan["region_id"],
            "stage_id": stage.id,
            "status": _status(stage),
            "customer_id": plan["customer"][0] if plan["customer"][0] != "new" else None,
        }
        for column, attr in optional.items():
            if column in present:
                wanted[attr] = {
                    "product_id": plan["product_id"],
                    "name": row.name or current.name,
                    "amount": row.amount if row.amount is not None else Decimal(0),
                    # an empty date keeps the stored one (its default is the import day)
                    "created_on": row.created_on or current.created_on,
                    "expected_close": row.expected_close or row.closed_on or current.expected_close,
                    "closed_on": row.closed_on,
                    "lost_reason": row.lost_reason,
                }[attr]
        changed = {k: v for k, v in wanted.items() if not _same(getattr(current, k), v)}
        if changed:
            result.updated += 1
            updates.append({"current": current, "changed": changed, "plan": plan})
        else:
            result.unchanged += 1
    ctx.fail_if_problems()
    if new_customers:
        done = "to be created" if dry_run else "created"
        result.note = f"Customers not found, {done}: {len(new_customers):,}."
    if dry_run:
        return result
    if not any(s.id for s in stages.values()):
        _install_stages(session, stages)
    conn = session.connection()
    ctx.progress("writing customers", 0.55)
    if new_customers:
        keys = list(new_customers)
        bulk_insert(
            conn,
            Customer.__table__,
            {
                "name": [new_customers[k]["name"] for k in keys],
                "normalized_name": [k[0] for k in keys],
                "region_id": [k[1] for k in keys],
                "owner_id": [new_customers[k]["owner_id"] for k in keys],
                "status": [CustomerStatus.ACTIVE.value] * len(keys),
                "annual_potential": ["0"] * len(keys),
                "created_on": [ctx.today.isoformat()] * len(keys),
            },
        )
        created_ids: dict[tuple[str, int], int] = {}
        for chunk in _chunks(sorted({k[0] for k in keys})):
            for cid, key, region in session.execute(
                select(Customer.id, Customer.normalized_name, Customer.region_id).where(
                    Customer.normalized_name.in_(chunk)
                )
            ):
                created_ids[(key, region)] = cid
        for plan in planned:
            if plan["customer"][0] == "new":
                plan["customer"] = (created_ids[plan["customer"][1]], None)
        for item in updates:
            if item["changed"].get("customer_id", 0) is None:
                item["changed"]["customer_id"] = item["plan"]["customer"][0]
    _write_new_deals(ctx, creates)
    ctx.progress("writing updates", 0.9)
    _write_deal_updates(ctx, updates)
    audit.record(
        session,
        ctx.actor,
        "import",
        "deal",
        None,
        after={
            "created": result.created,
            "updated": result.updated,
            "updated_ids": [u["current"].id for u in updates][:1000],
        },
    )
    return result


def _status(stage: _StageInfo) -> str:
    if stage.is_won:
        return DealStatus.WON.value
    if stage.is_lost:
        return DealStatus.LOST.value
    return DealStatus.OPEN.value


def _forecast(stage: _StageInfo) -> str:
    if stage.is_won:
        return ForecastCategory.COMMIT.value
    if stage.is_lost:
        return ForecastCategory.OMITTED.value
    return ForecastCategory.PIPELINE.value


def _write_new_deals(ctx: _Context, creates: list[dict]) -> None:
    """Deals in bulk, then their stage history: entering the first stage on created_on and,
    for closed deals, the close on closed_on."""
    if not creates:
        return
    session = ctx.session
    conn = session.connection()
    first_stage = min(
        (s for s in _stages(session).values() if not (s.is_won or s.is_lost)),
        key=lambda s: s.position,
    )
    total = len(creates)
    now = datetime.now().replace(microsecond=0)
    for start in range(0, total, BATCH * 4):
        chunk = creates[start : start + BATCH * 4]
        cols: dict[str, list] = defaultdict(list)
        for plan in chunk:
            row: DealRow = plan["row"]
            stage: _StageInfo = plan["stage"]
            closed = row.closed_on
            product = row.product or ""
            cols["external_id"].append(row.external_id)
            cols["name"].append(row.name or f"{row.customer} – {product or row.external_id}")
            cols["customer_id"].append(plan["customer"][0])
            cols["owner_id"].append(plan["owner"].id)
            cols["region_id"].append(plan["region_id"])
            cols["product_id"].append(plan["product_id"])
            cols["amount"].append(_money(row.amount if row.amount is not None else Decimal(0)))
            cols["stage_id"].append(stage.id)
            cols["status"].append(_status(stage))
            cols["forecast_category"].append(_forecast(stage))
            cols["created_on"].append(plan["created_on"].isoformat())
            cols["expected_close"].append(plan["expected_close"].isoformat())
            cols["closed_on"].append(_iso(closed))
            cols["lost_reason"].append(row.lost_reason)
            cols["stage_entered_on"].append((closed or plan["created_on"]).isoformat())
            cols["close_date_changes"].append(0)
            cols["checklist_done"].append("[]")
            cols["updated_at"].append(now.isoformat(sep=" "))
            cols["updated_by_id"].append(ctx.actor.id)
            cols["version"].append(1)
        bulk_insert(conn, Deal.__table__, cols)
        ids: dict[str, int] = {}
        for ext_chunk in _chunks(cols["external_id"]):
            ids.update(
                {
                    e: i
                    for i, e in session.execute(
                        select(Deal.id, Deal.external_id).where(Deal.external_id.in_(ext_chunk))
                    )
                }
            )
        history: dict[str, list] = defaultdict(list)
        for plan in chunk:
            row, stage = plan["row"], plan["stage"]
            deal_id = ids[row.external_id]
            amount = _money(row.amount if row.amount is not None else Decimal(0))
            closed = stage.is_won or stage.is_lost
            entered = first_stage if closed else stage
            history["deal_id"].append(deal_id)
            history["from_stage_id"].append(None)
            history["to_stage_id"].append(entered.id)
            history["changed_by_id"].append(plan["owner"].id)
            history["changed_at"].append(f"{plan['created_on'].isoformat()} 09:00:00")
            history["amount"].append(amount)
            history["reason"].append("imported")
            if closed:
                history["deal_id"].append(deal_id)
                history["from_stage_id"].append(first_stage.id)
                history["to_stage_id"].append(stage.id)
                history["changed_by_id"].append(plan["owner"].id)
                history["changed_at"].append(f"{row.closed_on.isoformat()} 17:00:00")
                history["amount"].append(amount)
                history["reason"].append("imported")
        bulk_insert(conn, DealStageHistory.__table__, history)
        ctx.progress("writing deals", 0.6 + 0.3 * min(1.0, (start + len(chunk)) / total))


def _write_deal_updates(ctx: _Context, updates: list[dict]) -> None:
    """Changed deals in batches of like updates, each guarded by the version read earlier so a
    deal changed meanwhile by someone else is reported, not overwritten; a stage change is
    recorded in the stage history."""
    session = ctx.session
    now = datetime.now().replace(microsecond=0)
    history: dict[str, list] = defaultdict(list)
    groups: dict[tuple[str, ...], list[dict]] = defaultdict(list)
    for item in updates:
        current, changed, plan = item["current"], dict(item["changed"]), item["plan"]
        if "stage_id" in changed:
            stage: _StageInfo = plan["stage"]
            when = plan["row"].closed_on or ctx.today
            changed["stage_entered_on"] = when
            changed["forecast_category"] = _forecast(stage)
            history["deal_id"].append(current.id)
            history["from_stage_id"].append(current.stage_id)
            history["to_stage_id"].append(stage.id)
            history["changed_by_id"].append(ctx.actor.id)
            history["changed_at"].append(f"{when.isoformat()} 12:00:00")
            amount = changed.get("amount", current.amount)
            history["amount"].append(_money(amount))
            history["reason"].append("imported")
        changed.update(updated_at=now, updated_by_id=ctx.actor.id, version=current.version + 1)
        params = {f"v_{k}": v for k, v in changed.items()}
        params.update(_id=current.id, _version=current.version)
        groups[tuple(sorted(changed))].append(params)
    table = Deal.__table__
    conn = session.connection()
    for columns, params in groups.items():
        statement = (
            table.update()
            .where(table.c.id == bindparam("_id"), table.c.version == bindparam("_version"))
            .values({c: bindparam(f"v_{c}") for c in columns})
        )
        for chunk in _chunks(params):
            done = conn.execute(statement, chunk).rowcount
            if done is not None and 0 <= done < len(chunk):
                raise ConcurrentChange(
                    "Someone changed some of these deals while the file was being imported; "
                    "nothing was imported. Import the file again."
                )
    if history:
        bulk_insert(conn, DealStageHistory.__table__, history)


# --- targets ------------------------------------------------------------------------------


def _import_targets(ctx: _Context, dry_run: bool) -> ImportResult:
    session = ctx.session
    start_month = fiscal_start_month(session)
    rep_rows: dict[int, dict[tuple[int, date], tuple[int, Decimal]]] = defaultdict(dict)
    own_region_rows: dict[int, dict[tuple[int, date], Decimal]] = defaultdict(dict)
    seen: dict = {}
    count_by_year: dict[int, int] = defaultdict(int)
    for number, row, _ in ctx.rows:
        row: TargetRow
        year = fiscal_year_of(row.month, start_month)
        if row.rep:
            person = ctx.person(number, "rep", row.rep)
            if person is None:
                continue
            if person.region_id is None:
                ctx.problem(number, "rep", row.rep, "this person has no region")
                continue
            if _duplicates(ctx, number, "rep", row.rep, ("rep", person.id, row.month), seen):
                continue
            rep_rows[year][(person.id, row.month)] = (person.region_id, row.amount)
        else:
            region_id = ctx.region(number, "region", row.region)
            if region_id is None:
                continue
            if _duplicates(
                ctx, number, "region", row.region, ("region", region_id, row.month), seen
            ):
                continue
            own_region_rows[year][(region_id, row.month)] = row.amount
        count_by_year[year] += 1
    ctx.fail_if_problems()
    result = ImportResult(kind=Kind.TARGETS, dry_run=dry_run)
    tree = ctx.tree
    for year in sorted(count_by_year):
        reps = rep_rows.get(year, {})
        own = own_region_rows.get(year, {})
        regions = _rolled_up(tree, reps, own)
        wanted = {("rep", pid, m): (rid, amt) for (pid, m), (rid, amt) in reps.items()}
        wanted.update({("region", rid, m): (rid, amt) for (rid, m), amt in regions.items()})
        latest = session.scalar(
            select(TargetPlan)
            .where(TargetPlan.fiscal_year == year)
            .order_by(TargetPlan.version.desc())
            .limit(1)
        )
        if (
            latest is not None
            and _plan_rows(session, latest.id)
            == {k: (v[0], Decimal(v[1]).quantize(Decimal("0.01"))) for k, v in wanted.items()}
            and latest.status in (PlanStatus.APPROVED, PlanStatus.LOCKED)
        ):
            result.unchanged += count_by_year[year]
            continue
        result.created += count_by_year[year]
        if dry_run:
            continue
        version = (latest.version if latest else 0) + 1
        root_total = sum(
            (
                amt
                for (kind, rid, _m), (_r, amt) in wanted.items()
                if kind == "region" and tree.parents.get(rid) is None
            ),
            Decimal(0),
        )
        plan = TargetPlan(
            fiscal_year=year,
            version=version,
            status=PlanStatus.APPROVED.value,
            method="import",
            seasonality=None,
            company_target=root_total,
            padding_pct=Decimal(0),
            notes=f"Imported by {ctx.actor.label}.",
            created_by_id=ctx.actor.id,
            approved_by_id=ctx.actor.id,
            approved_at=datetime.now().replace(microsecond=0),
        )
        session.add(plan)
        session.flush()
        bulk_insert(
            session.connection(),
            Target.__table__,
            {
                "plan_id": [plan.id] * len(wanted),
                "region_id": [v[0] for v in wanted.values()],
                "person_id": [k[1] if k[0] == "rep" else None for k in wanted],
                "month": [k[2].isoformat() for k in wanted],
                "amount": [_money(v[1]) for v in wanted.values()],
                "locked": [False] * len(wanted),
            },
        )
        audit.record(
            session,
            ctx.actor,
            "import",
            "target_plan",
            plan.id,
            after={
                "fiscal_year": year,
                "version": version,
                "rows": len(wanted),
                "status": PlanStatus.APPROVED.value,
            },
        )
    return result


def _rolled_up(
    tree: RegionTree,
    reps: dict[tuple[int, date], tuple[int, Decimal]],
    own: dict[tuple[int, date], Decimal],
) -> dict[tuple[int, date], Decimal]:
    """Every region's monthly target: its own row if the file has one, else the sum of its
    reps and sub-regions (only where there is something to sum)."""
    months = sorted({m for _, m in reps} | {m for _, m in own})
    rep_sum: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    for (_pid, month), (region_id, amount) in reps.items():
        rep_sum[(region_id, month)] += amount
    out: dict[tuple[int, date], Decimal] = {}

    def value(region_id: int, month: date) -> Decimal | None:
        parts = [v for c in tree.children.get(region_id, []) if (v := value(c, month)) is not None]
        if (region_id, month) in own:
            out[(region_id, month)] = own[(region_id, month)]
            return own[(region_id, month)]
        if (region_id, month) in rep_sum:
            parts.append(rep_sum[(region_id, month)])
        if not parts:
            return None
        out[(region_id, month)] = sum(parts, Decimal(0))
        return out[(region_id, month)]

    for month in months:
        for root in tree.children.get(None, []):
            value(root, month)
    return out


def _plan_rows(session: Session, plan_id: int) -> dict:
    rows = session.execute(
        select(Target.person_id, Target.region_id, Target.month, Target.amount).where(
            Target.plan_id == plan_id
        )
    )
    out = {}
    for person_id, region_id, month, amount in rows:
        key = ("rep", person_id, month) if person_id else ("region", region_id, month)
        out[key] = (region_id, Decimal(amount).quantize(Decimal("0.01")))
    return out


# --- activities ---------------------------------------------------------------------------


def _import_activities(ctx: _Context, dry_run: bool) -> ImportResult:
    session, present = ctx.session, ctx.rows.present
    raw = list(ctx.rows)
    by_ext, by_name = _customer_refs(session, {row.customer for _, row, _ in raw})
    deal_refs: dict[str, tuple[int, int]] = {}
    for chunk in _chunks(sorted({row.deal for _, row, _ in raw if row.deal})):
        for did, ext, cid in session.execute(
            select(Deal.id, Deal.external_id, Deal.customer_id).where(Deal.external_id.in_(chunk))
        ):
            deal_refs[ext] = (did, cid)
    planned = []
    for number, row, _ in raw:
        row: ActivityRow
        user = ctx.person(number, "user", row.user)
        if user is None:
            continue
        if not ctx.in_area(number, "user", row.user, user.region_id):
            continue
        customer = by_ext.get(row.customer)
        if customer is None:
            matches = by_name.get(normalize_name(row.customer), [])
            if len(matches) != 1:
                reason = (
                    "unknown customer"
                    if not matches
                    else "several customers have this name; give the external_id"
                )
                ctx.problem(number, "customer", row.customer, reason)
                continue
            customer = matches[0]
        deal_id = None
        if row.deal:
            found = deal_refs.get(row.deal)
            if found is None:
                ctx.problem(number, "deal", row.deal, "unknown deal external_id")
                continue
            if found[1] != customer[0]:
                ctx.problem(number, "deal", row.deal, "this deal belongs to another customer")
                continue
            deal_id = found[0]
        key = (row.type.value, row.date, user.id, customer[0], deal_id)
        planned.append((key, row))
    ctx.fail_if_problems()
    # The same activity key twice (two calls on one day) is two activities: the n-th row with a
    # key matches the n-th existing activity with it, so a second import still changes nothing.
    existing: dict[tuple, list[tuple[int, str | None, str | None]]] = defaultdict(list)
    for chunk in _chunks(sorted({k[3] for k, _ in planned})):
        for r in session.execute(
            select(
                Activity.id,
                Activity.type,
                Activity.occurred_on,
                Activity.person_id,
                Activity.customer_id,
                Activity.deal_id,
                Activity.outcome,
                Activity.notes,
            )
            .where(Activity.customer_id.in_(chunk))
            .order_by(Activity.id)
        ):
            existing[(r.type, r.occurred_on, r.person_id, r.customer_id, r.deal_id)].append(
                (
                    r.id,
                    r.outcome,
                    r.notes,
                )
            )
    result = ImportResult(kind=Kind.ACTIVITIES, dry_run=dry_run)
    creates: dict[str, list] = defaultdict(list)
    updates = []
    for key, row in planned:
        current = existing[key].pop(0) if existing.get(key) else None
        if current is None:
            result.created += 1
            for column, value in zip(
                ("type", "occurred_on", "person_id", "customer_id", "deal_id"), key
            ):
                creates[column].append(value.isoformat() if isinstance(value, date) else value)
            creates["outcome"].append(row.outcome)
            creates["notes"].append(row.notes)
            continue
        changed = {
            k: getattr(row, k)
            for k in ("outcome", "notes")
            if k in present and getattr(row, k) != current[1 if k == "outcome" else 2]
        }
        if changed:
            result.updated += 1
            updates.append({"_id": current[0], **changed})
        else:
            result.unchanged += 1
    if dry_run:
        return result
    if creates:
        bulk_insert(session.connection(), Activity.__table__, creates)
    _update_by_id(session, Activity.__table__, updates)
    audit.record(
        session,
        ctx.actor,
        "import",
        "activity",
        None,
        after={"created": result.created, "updated": result.updated},
    )
    return result


IMPORTERS = {
    Kind.REGIONS: _import_regions,
    Kind.PEOPLE: _import_people,
    Kind.PRODUCTS: _import_products,
    Kind.CUSTOMERS: _import_customers,
    Kind.DEALS: _import_deals,
    Kind.TARGETS: _import_targets,
    Kind.ACTIVITIES: _import_activities,
}


def import_table(
    session: Session,
    actor: Actor,
    kind: Kind | str,
    table: Table,
    mapping: ColumnMapping | None = None,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    today: date | None = None,
) -> ImportResult:
    """Import one file's rows of `kind` in the caller's transaction: all or nothing.

    Raises ImportFailed with every problem found (nothing written), PermissionDenied when the
    actor may not import this kind. A dry run checks everything and writes nothing."""
    kind = Kind(kind)
    ensure_can_import(actor, kind)
    mapping = mapping or ColumnMapping()
    rows = MappedRows(kind, table, mapping)
    progress = progress or (lambda _step, _share: None)
    ctx = _Context(
        session=session,
        actor=actor,
        mapping=mapping,
        rows=rows,
        progress=progress,
        today=today or date.today(),
    )
    if rows.problems:
        ctx.fail_if_problems()
    if kind != Kind.REGIONS and ctx.root_id is None and kind in (Kind.PEOPLE, Kind.CUSTOMERS):
        # people and customers may sit at the company level: it must exist
        _ensure_root(ctx, dry_run)
    savepoint = session.begin_nested()
    try:
        result = IMPORTERS[kind](ctx, dry_run)
        session.flush()
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    progress("done", 1.0)
    return result


__all__ = ["ImportResult", "ensure_can_import", "import_table", "importable_kinds", "stage_names"]
