"""Import a file of one kind: validate every row, then write all of it or nothing.

Rules:
- Rows are matched on external_id (customers, deals), email (people) or name (regions,
  products; customers without external_id by normalised name in their region), so importing
  the same file twice changes nothing the second time.
- Columns absent from the file leave existing values alone; missing values of new records get
  the defaults documented in docs/import.md.
- Directors and administrators import everything; a manager imports reps, customers, deals,
  credit splits and activities within the regions they manage; reps import nothing.

Each kind's own rules live in its module under core/transfer/kinds/.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from core import clock
from core.errors import PermissionDenied
from core.i18n import _
from core.models import Actor, Role
from core.org.access import ensure_active
from core.transfer.chunks import import_in_chunks
from core.transfer.formats import Kind
from core.transfer.import_context import ImportContext, ImportResult, Progress
from core.transfer.kinds.activities import import_activities
from core.transfer.kinds.credit_splits import import_credit_splits
from core.transfer.kinds.customers import import_customers
from core.transfer.kinds.deals import import_deals
from core.transfer.kinds.exchange_rates import import_exchange_rates
from core.transfer.kinds.people import import_people
from core.transfer.kinds.products import import_products
from core.transfer.kinds.regions import ensure_root, import_regions
from core.transfer.kinds.seasonality import import_seasonality
from core.transfer.kinds.targets import import_targets
from core.transfer.reading import AnyTable, ColumnMapping, MappedRows

MANAGER_KINDS = {Kind.PEOPLE, Kind.CUSTOMERS, Kind.DEALS, Kind.CREDIT_SPLITS, Kind.ACTIVITIES}


def ensure_can_import(actor: Actor, kind: Kind) -> None:
    """Directors and admins import every kind; managers people, customers, deals, credit
    splits and activities of their own area; reps nothing."""
    ensure_active(actor)
    if actor.sees_everything:
        return
    if actor.role == Role.MANAGER and kind in MANAGER_KINDS:
        return
    if actor.role == Role.MANAGER:
        raise PermissionDenied(
            _("Only directors and administrators may import {kind}.").format(kind=kind)
        )
    raise PermissionDenied(_("Only administrators, directors and managers may import data."))


def importable_kinds(actor: Actor) -> list[Kind]:
    out = []
    for kind in Kind:
        try:
            ensure_can_import(actor, kind)
        except PermissionDenied:
            continue
        out.append(kind)
    return out


IMPORTERS = {
    Kind.REGIONS: import_regions,
    Kind.PEOPLE: import_people,
    Kind.PRODUCTS: import_products,
    Kind.CUSTOMERS: import_customers,
    Kind.EXCHANGE_RATES: import_exchange_rates,
    Kind.DEALS: import_deals,
    Kind.CREDIT_SPLITS: import_credit_splits,
    Kind.TARGETS: import_targets,
    Kind.ACTIVITIES: import_activities,
    Kind.SEASONALITY: import_seasonality,
}


CHUNK_ROWS = 20_000
"""Rows checked and written together when a file is imported chunk by chunk."""

CHUNKED = {Kind.DEALS: "external_id"}
"""Kinds imported chunk by chunk, so memory holds one chunk whatever the file's size, each
with the field that must not repeat in a file. The other kinds (regions, people, products,
targets and seasonality profiles refer to rows anywhere in the file; customers and
activities match across it) read
the file as it streams but keep its rows."""


def import_table(
    session: Session,
    actor: Actor,
    kind: Kind | str,
    table: AnyTable,
    mapping: ColumnMapping | None = None,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    today: date | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportResult:
    """Import one file's rows of `kind` in the caller's transaction: all or nothing.

    `table` is held in memory (read_table) or streamed (open_table). Raises ImportFailed with
    every problem found (nothing written), PermissionDenied when the actor may not import
    this kind. A dry run checks everything and writes nothing. `progress(step, share)` hears
    a sentence and the share done (0..1) as the import goes."""
    kind = Kind(kind)
    ensure_can_import(actor, kind)
    mapping = mapping or ColumnMapping()
    rows = MappedRows(kind, table, mapping)
    progress = progress or (lambda _step, _share: None)
    if kind in CHUNKED and not rows.problems:
        return import_in_chunks(
            session,
            actor,
            rows,
            IMPORTERS[kind],
            CHUNKED[kind],
            dry_run=dry_run,
            progress=progress,
            today=today or clock.today(),
            chunk_rows=chunk_rows,
        )
    ctx = ImportContext(
        session=session,
        actor=actor,
        mapping=mapping,
        rows=rows,
        progress=progress,
        today=today or clock.today(),
    )
    if rows.problems:
        ctx.fail_if_problems()
    if kind != Kind.REGIONS and ctx.root_id is None and kind in (Kind.PEOPLE, Kind.CUSTOMERS):
        # people and customers may sit at the company level: it must exist
        ensure_root(ctx, dry_run)
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
