"""Lists inside translated sentences: English joins with ", " (or "; "), Chinese with its own
marks (、 and ；), so a sentence reads naturally in either language."""

from __future__ import annotations

from collections.abc import Iterable

from core.i18n import is_chinese

_CHINESE_MARKS = {", ": "、", "; ": "；"}


def listing(items: Iterable[str], separator: str = ", ") -> str:
    """The items joined for a sentence in the current language."""
    mark = _CHINESE_MARKS.get(separator, separator) if is_chinese() else separator
    return mark.join(str(item) for item in items)
