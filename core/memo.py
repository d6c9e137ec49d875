"""Figures remembered within one unit of work: a page's read session asks for the same
figure from several sections (the stage calibration, the reps flagged by the pace rules);
it is worked out once and forgotten as soon as the session writes, commits or rolls back.

The read sessions of one page run may share one store (`share`, done by ui.data.read): the
navigation's alert count and the Alerts list then flag the reps once. A session that writes
empties the shared store and keeps its own from then on, so nothing it saw before its
commit or rollback stays for the others."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

T = TypeVar("T")

_SLOT = "remembered_figures"


def remembered(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()` once per session (or shared store) and key until the session next writes."""
    memo: dict = session.info.setdefault(_SLOT, {})
    if key in memo:
        return memo[key]
    value = compute()
    if session.info.get(_SLOT) is memo:  # not when the work flushed a change of the session
        memo[key] = value
    return value


def share(session: Session, store: dict) -> None:
    """Remember into `store`, shared with other read sessions (the figures of one page run:
    the same data versions), instead of the session's own memo."""
    session.info[_SLOT] = store


def forget(session: Session, *_args: object) -> None:
    """The transaction ended (or a benchmark wants a cold figure): the session lets go of its
    memo (a shared store stays for the others)."""
    session.info.pop(_SLOT, None)


def _forget_written(session: Session, *_args: object) -> None:
    """The session wrote: what anyone remembered may be out of date, so the memo (its own or
    the shared store) is emptied as well as let go."""
    memo = session.info.pop(_SLOT, None)
    if memo is not None:
        memo.clear()


def _forget_on_write(state: ORMExecuteState) -> None:
    if not state.is_select:
        _forget_written(state.session)


event.listen(Session, "after_flush", _forget_written)
for _moment in ("after_commit", "after_rollback"):
    event.listen(Session, _moment, forget)
event.listen(Session, "do_orm_execute", _forget_on_write)
