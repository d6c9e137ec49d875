"""Figures remembered within one unit of work: a page's read session asks for the same
figure from several sections (the stage calibration, the reps flagged by the pace rules);
it is worked out once and forgotten as soon as the session writes, commits or rolls back."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

T = TypeVar("T")

_SLOT = "remembered_figures"


def remembered(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()` once per session and key until the session next writes."""
    memo = session.info.setdefault(_SLOT, {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def _forget(session: Session, *_args: object) -> None:
    session.info.pop(_SLOT, None)


def _forget_on_write(state: ORMExecuteState) -> None:
    if not state.is_select:
        _forget(state.session)


for _moment in ("after_flush", "after_commit", "after_rollback"):
    event.listen(Session, _moment, _forget)
event.listen(Session, "do_orm_execute", _forget_on_write)
