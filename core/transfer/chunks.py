"""A big file imported chunk by chunk in one transaction: all of it or nothing.

Each chunk of rows is checked and, while no problem has been found, written; the next chunk
sees what the earlier ones wrote (a customer created for row 10 is found for row 900,000).
After the first problem the remaining chunks are only checked, so the user gets every problem
of the file at once, and at the end the whole import is rolled back. Keys that must not
repeat (a deal's external_id) are compared with earlier chunks through a temporary table, so
memory holds one chunk whatever the file's size.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.i18n import _
from core.models import Actor
from core.transfer.file_keys import FileKeys
from core.transfer.formats import Kind
from core.transfer.import_context import ImportContext, ImportResult, Progress
from core.transfer.reading import MAX_PROBLEMS, ImportFailed, MappedRows, Problem, Table
from db.schema import Customer

Importer = Callable[[ImportContext, bool], ImportResult]


def _share(rows: MappedRows, done: int) -> float:
    """How much of the file is behind us, 0..1 (bytes read of a streamed file)."""
    table = rows.table
    if isinstance(table, Table):
        return done / max(len(table.rows), 1)
    return table.fraction_read() or 0.0


def _drop_repeats(ctx: ImportContext, keys: FileKeys, view: MappedRows, field: str) -> MappedRows:
    """The chunk without rows whose `field` an earlier chunk already had (each reported)."""
    values = [
        (number, cells, view.record(cells).get(field, "")) for number, cells in view.numbered_rows()
    ]
    mine: dict[str, int] = {}
    for number, __, value in values:
        if value:
            mine.setdefault(value, number)
    earlier = keys.earlier(field, mine)
    if not earlier:
        return view
    kept = []
    for number, cells, value in values:
        if value in earlier:
            reason = _("appears twice in the file (also row {row})").format(row=earlier[value])
            ctx.problem(number, field, value, reason)
        else:
            kept.append((number, cells))
    return view.view(kept)


def import_in_chunks(
    session: Session,
    actor: Actor,
    rows: MappedRows,
    importer: Importer,
    key_field: str,
    *,
    dry_run: bool,
    progress: Progress,
    today: date,
    chunk_rows: int,
) -> ImportResult:
    """Import `rows` a chunk at a time with `importer`, in the caller's transaction."""
    kind = Kind(rows.kind)
    total = ImportResult(kind=kind, dry_run=dry_run)
    problems: list[Problem] = []
    found = 0
    done = 0
    shown = [0.0]
    savepoint = session.begin_nested()
    try:
        keys = FileKeys(session)
        ctx = ImportContext(
            session=session,
            actor=actor,
            mapping=rows.mapping,
            rows=rows,
            # a piece's own steps are passed on at the share reported with the last chunk
            progress=lambda step, _piece: progress(step, shown[0]),
            today=today,
            file_keys=keys,
            customers_before=session.scalar(select(func.max(Customer.id))) or 0,
        )
        checking_only = dry_run
        for chunk in rows.chunks(chunk_rows):
            # while a chunk is worked on, the bar stands halfway between the last chunk and it
            shown[0] = (shown[0] + 0.98 * _share(rows, done + (chunk.size or 0))) / 2
            ctx.problems = []
            ctx.rows = _drop_repeats(ctx, keys, chunk, key_field)
            repeats, ctx.problems = ctx.problems, []
            size = chunk.size or 0
            try:
                if repeats:
                    checking_only = True  # the file is refused: check the rest, write nothing
                result = importer(ctx, checking_only)
                total.created += result.created
                total.updated += result.updated
                total.unchanged += result.unchanged
                total.note = result.note or total.note
                chunk_problems = repeats
            except ImportFailed as exc:
                checking_only = True
                chunk_problems = sorted(repeats + exc.problems, key=lambda p: p.row or 0)
            found += len(chunk_problems)
            problems.extend(chunk_problems[: max(0, MAX_PROBLEMS - len(problems))])
            done += size
            shown[0] = 0.98 * _share(rows, done)
            progress(_progress_line(kind, done, found, dry_run), shown[0])
        if found:
            raise ImportFailed(problems, total=found)
        keys.drop()
        session.flush()
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    progress("done", 1.0)
    return total


def _progress_line(kind: Kind, done: int, found: int, dry_run: bool) -> str:
    if found:
        text = _("{done} {kind} rows checked; {found} problem(s) found, nothing will be written.")
    elif dry_run:
        text = _("{done} {kind} rows checked.")
    else:
        text = _("{done} {kind} rows checked and written (not committed until the end).")
    return text.format(done=f"{done:,}", kind=kind, found=f"{found:,}")
