"""Which lost reasons of a deals file are not on the administrator's list, so that the user
maps each onto a listed reason before importing (the page's lost-reason step; the command
line's --value-map). A reason is on the list when its name, compared ignoring case and
repeated spaces, is an active reason's (core/pipeline/lost_reasons.py), after the mapping's
own value map for lost_reason. A database whose list is still empty takes the file's reasons
as its list on the first deal import, so nothing needs mapping then."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.pipeline.lost_reasons import active_reasons_by_key, list_is_empty, reason_key
from core.transfer.reading import AnyTable, ColumnMapping

MAX_SHOWN = 200
"""A file with more distinct unlisted reasons than this is mapped in parts (or on the command
line); the import still refuses every row whose reason is not on the list."""


def unlisted_lost_reasons(session: Session, table: AnyTable, mapping: ColumnMapping) -> list[str]:
    """The distinct wordings of the file's lost-reason column (first spelling of each, in file
    order) that are not on the list of lost reasons once the mapping's value map is applied.
    Empty when no column is mapped to lost_reason or while the list is still empty."""
    lowered = {k.strip().lower(): v for k, v in mapping.columns.items()}
    header = [h.strip().lower() for h in table.header]
    source = next((i for i, h in enumerate(header) if lowered.get(h, h) == "lost_reason"), None)
    if source is None or list_is_empty(session):
        return []
    listed = active_reasons_by_key(session)
    value_map = {k.strip().lower(): v for k, v in mapping.values.get("lost_reason", {}).items()}
    seen: set[str] = set()
    out: list[str] = []
    for row in table.iter_rows():
        wording = row[source].strip() if source < len(row) else ""
        if not wording or wording.lower() in seen:
            continue
        seen.add(wording.lower())
        if reason_key(value_map.get(wording.lower(), wording)) not in listed:
            out.append(wording)
            if len(out) >= MAX_SHOWN:
                break
    return out


__all__ = ["MAX_SHOWN", "unlisted_lost_reasons"]
