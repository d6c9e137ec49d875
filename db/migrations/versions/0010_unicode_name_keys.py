"""unicode name keys: every customer's duplicate key recomputed so that names in any script
(Chinese, Japanese, Korean, Arabic, Cyrillic...) keep their letters

The old key folded everything to ASCII, so "北京华为技术有限公司" and "深圳腾讯科技" both had the
key "". The key below is a frozen copy of core/customers/names.py normalize_name as of this
revision (a migration must not change meaning when the application's code changes later).
Where two customers of one region would get the same new key, the first (lowest id) takes it
and the other keeps its old key; each such case is logged, nothing fails.

Revision ID: 0010_unicode_name_keys
Revises: 0009_forecast_snapshots
Create Date: 2026-12-01 12:10:00
"""

from __future__ import annotations

import logging
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0010_unicode_name_keys"
down_revision = "0009_forecast_snapshots"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

PAGE = 1000

_LATIN = frozenset(
    {
        *("inc", "incorporated", "ltd", "limited", "llc", "llp", "gmbh", "ag", "kg", "sa"),
        *("sas", "sarl", "srl", "spa", "bv", "nv", "plc", "co", "corp", "corporation"),
        *("company", "kk", "pty", "oy", "ab", "as"),
    }
)
_CYRILLIC = frozenset(["ооо", "оао", "зао", "пао", "ао", "ип", "тоо"])
_ATTACHED = (
    "股份有限公司",
    "有限责任公司",
    "有限責任公司",
    "有限公司",
    "股份公司",
    "集团",
    "集團",
    "公司",
    "株式会社",
    "株式會社",
    "有限会社",
    "合同会社",
    "주식회사",
    "유한회사",
)
_ABBREVIATED = {"(株)": " 株式会社 ", "(有)": " 有限会社 ", "(주)": " 주식회사 "}
_DOTTED = re.compile(r"\b(?:\w\.){2,}")
_ARABIC_OPTIONAL = re.compile("[\u064b-\u065f\u0670\u0640]")


def _fold_accents(text: str) -> str:
    kept: list[str] = []
    script = ""
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char):
            if script in ("LATIN", "GREEK"):
                continue
        else:
            script = unicodedata.name(char, "").split(" ", 1)[0]
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def _words(text: str) -> list[str]:
    return "".join(c if unicodedata.category(c)[0] in "LNM" else " " for c in text).split()


def _strip_attached(text: str) -> str:
    changed = True
    while changed and text not in _ATTACHED:
        changed = False
        for form in _ATTACHED:
            if text.endswith(form) and len(text) > len(form):
                text, changed = text[: -len(form)].rstrip(), True
            elif text.startswith(form) and len(text) > len(form):
                text, changed = text[len(form) :].lstrip(), True
    return text


def _strip_words(words: list[str]) -> list[str]:
    while len(words) > 1 and (words[-1] in _LATIN or words[-1] in _CYRILLIC):
        words = words[:-1]
    while len(words) > 1 and words[0] in _CYRILLIC:
        words = words[1:]
    return words


def name_key(name: str) -> str:
    """The customer name key as defined at this revision."""
    text = unicodedata.normalize("NFKC", name).casefold()
    for short, form in _ABBREVIATED.items():
        text = text.replace(short, form)
    text = _fold_accents(text)
    text = _ARABIC_OPTIONAL.sub("", text)
    text = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), text)
    words = _words(text)
    stripped = _strip_words(_words(_strip_attached(" ".join(words))))
    while stripped != words:
        words = stripped
        stripped = _strip_words(_words(_strip_attached(" ".join(words))))
    return " ".join(words)[:200]


def _pages(bind, customer):
    """(id, name, region, stored key) of every customer, a page at a time, by id."""
    last_id = None
    while True:
        query = sa.select(
            customer.c.id, customer.c.name, customer.c.region_id, customer.c.normalized_name
        ).order_by(customer.c.id)
        if last_id is not None:
            query = query.where(customer.c.id > last_id)
        rows = bind.execute(query.limit(PAGE)).all()
        if not rows:
            return
        last_id = rows[-1].id
        yield rows


def upgrade() -> None:
    bind = op.get_bind()
    customer = sa.table(
        "customer",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("region_id", sa.Integer),
        sa.column("normalized_name", sa.String),
    )
    # Keys that do not change are held first; changed ones then take what is still free.
    taken: set[tuple[int, str]] = set()
    for rows in _pages(bind, customer):
        taken.update((region_id, old) for _, name, region_id, old in rows if name_key(name) == old)
    changes: list[tuple[int, str]] = []
    for rows in _pages(bind, customer):
        for cid, name, region_id, old in rows:
            new = name_key(name)
            if new == old:
                continue
            if (region_id, new) in taken:
                log.warning(
                    "customer %s (%s): its new name key is already another customer's in its "
                    "region; it keeps its old key",
                    cid,
                    name,
                )
                if (region_id, old) not in taken:
                    taken.add((region_id, old))
                    continue
                new = f"{old} {cid}"
            taken.add((region_id, new))
            changes.append((cid, new))
    update = (
        sa.update(customer)
        .where(customer.c.id == sa.bindparam("cid"))
        .values(normalized_name=sa.bindparam("key"))
    )
    # Through a placeholder first: a new key may be one another customer still holds as old.
    for step in ("placeholder", "key"):
        for start in range(0, len(changes), PAGE):
            page = changes[start : start + PAGE]
            bind.execute(
                update,
                [
                    {"cid": cid, "key": f"~{cid}" if step == "placeholder" else key}
                    for cid, key in page
                ],
            )


def downgrade() -> None:
    """The old keys are not kept; the new ones serve the old code as well (only its search and
    duplicate checks of non-Latin names were wrong)."""
