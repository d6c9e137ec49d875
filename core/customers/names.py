"""The normalised name key: how customer names are compared, searched and deduplicated.

Names are kept exactly as entered; the key folds case, accents, punctuation and legal form so
"Müller GmbH" and "MULLER" are found as one.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import and_

_LEGAL_FORMS = re.compile(
    r"\b(inc|incorporated|ltd|limited|llc|gmbh|ag|sa|sas|srl|bv|nv|plc|co|corp|corporation|"
    r"company|kk|pty|oy|ab|as|spa)\b\.?"
)


def normalize_name(name: str) -> str:
    """The key duplicates are found by: lower case, accents and punctuation removed, legal form
    (Ltd, GmbH, Inc...) dropped, spaces collapsed. "Müller GmbH" and "MULLER" share one key."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    folded = re.sub(r"[^a-z0-9 ]+", " ", folded)
    stripped = _LEGAL_FORMS.sub(" ", folded)
    key = " ".join(stripped.split())
    return key or " ".join(folded.split())


def starts_with(column, prefix: str):
    """Names starting with `prefix`. Normalised keys hold only [a-z0-9 ], so on SQLite a
    half-open range is exact and uses the plain index on normalized_name (a LIKE 'x%' would
    need a NOCASE index there); the LIKE keeps it exact under any PostgreSQL collation."""
    return and_(column >= prefix, column < prefix + "~", column.like(prefix + "%"))
