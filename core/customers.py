"""Customer records: one shared archive owned by the company."""

from __future__ import annotations

import re
import unicodedata

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
