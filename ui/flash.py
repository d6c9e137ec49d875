"""Confirmations of saved changes that survive the rerun after the save, and the wording of
refusals.

A confirmation belongs to the view it was made on (a page, or one deal on a page) and stays
until the next change there, so an incidental rerun does not swallow it. It is pinned below
the top of the screen (ui/style.py), so on a phone, where the form that saved is far down the
page, it stays in sight instead of being scrolled away or fading like the toast.
"""

from __future__ import annotations

import streamlit as st
from pydantic import ValidationError

from core.errors import DomainError
from core.i18n import _

FLASH_KEY = "flash_message"
ERROR_KEY = "flash_error"
VIEW_KEY = "flash_view"
PINNED_KEY = "flash_confirmation"
"""The key of the confirmation's container; ui/style.py pins it (class st-key-...)."""


def flash(message: str) -> None:
    """Remember a confirmation for the current view."""
    st.session_state[FLASH_KEY] = (st.session_state.get(VIEW_KEY), message, False)


def flash_error(message: str) -> None:
    """Remember a refusal from a widget callback, shown once on the next run."""
    st.session_state[ERROR_KEY] = message


def clear() -> None:
    """Forget the last confirmation (a new change is being made)."""
    st.session_state.pop(FLASH_KEY, None)


def show_flash(view: str) -> None:
    """Show the confirmation of the last change made on `view`, and any callback refusal."""
    st.session_state[VIEW_KEY] = view
    entry = st.session_state.get(FLASH_KEY)
    if entry and entry[0] == view:
        with st.container(key=PINNED_KEY):
            st.success(entry[1])
        if not entry[2]:  # a toast too, once: on a phone the box above may be scrolled away
            st.toast(entry[1], icon="✅")
            st.session_state[FLASH_KEY] = (view, entry[1], True)
    if message := st.session_state.pop(ERROR_KEY, None):
        st.error(message)


def field_label(field: str, labels: dict[str, str] | None = None) -> str:
    """A form field's name for a message: its label on the form, else its name in words."""
    if labels and field in labels:
        return labels[field]
    words = field.removesuffix("_id").replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else _("Input")


def error_message(exc: DomainError | ValidationError, labels: dict[str, str] | None = None) -> str:
    """A refusal in the user's words: the rule's own message, or one line per wrong field."""
    if not isinstance(exc, ValidationError):
        return str(exc)
    lines = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        lines.append(
            _("- **{field}**: {problem}").format(field=field_label(field, labels), problem=message)
        )
    return _("Please correct the form; nothing was saved.\n\n{problems}").format(
        problems="\n".join(lines)
    )
