"""Lists inside translated sentences: English joins with ", " (or "; "), Chinese with its own
marks (、 and ；), so a sentence reads naturally in either language."""

from __future__ import annotations

from collections.abc import Iterable

from core.i18n import _, is_chinese
from core.pipeline.standard_stages import STANDARD_STAGES

_CHINESE_MARKS = {", ": "、", "; ": "；"}


def listing(items: Iterable[str], separator: str = ", ") -> str:
    """The items joined for a sentence in the current language."""
    mark = _CHINESE_MARKS.get(separator, separator) if is_chinese() else separator
    return mark.join(str(item) for item in items)


_STANDARD = {text for stage in STANDARD_STAGES for text in (stage[0], *stage[3], *stage[4])}
"""The standard stages' names, exit checklist items and deal-team roles."""


def shown(name: str) -> str:
    """A stage name, checklist item or team role as the reader reads it: the standard ones in
    the reader's language (the stored value stays as it is), an administrator's own as written."""
    return _(name) if name in _STANDARD else name
