"""The keys an import has met earlier in its file, kept in a temporary table on the import's
own connection: a file of any size is checked for repeats (the same deal twice, a customer to
be created counted once) without holding every key in memory."""

from __future__ import annotations

import uuid

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, select
from sqlalchemy.orm import Session

_BATCH = 5_000


class FileKeys:
    """Keys by space ("deal", "new customer"...), each with the first row that had it.

    Lives in the import's transaction: rolled back with it, dropped at the end."""

    def __init__(self, session: Session):
        self.session = session
        self.table = Table(
            f"import_keys_{uuid.uuid4().hex[:12]}",
            MetaData(),
            Column("space", String(32), primary_key=True),
            Column("key", Text, primary_key=True),
            Column("row", Integer, nullable=False),
            prefixes=["TEMPORARY"],
        )
        self.table.create(session.connection())

    def earlier(self, space: str, keys: dict[str, int]) -> dict[str, int]:
        """Of `keys` (key -> its row in the current chunk), those an earlier chunk had, with
        that earlier row; the others are remembered for the chunks to come."""
        conn = self.session.connection()
        found: dict[str, int] = {}
        ordered = sorted(keys)
        t = self.table
        for start in range(0, len(ordered), _BATCH):
            chunk = ordered[start : start + _BATCH]
            query = select(t.c.key, t.c.row).where(t.c.space == space, t.c.key.in_(chunk))
            found.update({key: row for key, row in conn.execute(query)})
        fresh = [{"space": space, "key": k, "row": r} for k, r in keys.items() if k not in found]
        for start in range(0, len(fresh), _BATCH):
            conn.execute(t.insert(), fresh[start : start + _BATCH])
        return found

    def drop(self) -> None:
        self.table.drop(self.session.connection())
