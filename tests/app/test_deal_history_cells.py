"""The deal view's stage history under AppTest: a move without a reason, a first entry from no
stage and a move by no person read as the missing mark, never "None"."""

from __future__ import annotations

from sqlalchemy import func, select

from db.config import get_settings
from db.engine import make_engine
from db.schema import DealStageHistory
from ui.format import MISSING


def _history_script(deal_id: int) -> None:
    from sqlalchemy.orm import Session

    from core.org.access import SYSTEM_ACTOR
    from core.pipeline.views import deal_detail
    from db.config import get_settings
    from db.engine import make_engine
    from ui.deal_view import render_history

    engine = make_engine(get_settings().database_url)
    with Session(engine) as session:
        detail = deal_detail(session, SYSTEM_ACTOR, deal_id)
    engine.dispose()
    render_history(detail)


def _deal_with_a_move_without_reason() -> tuple[int, int]:
    """A deal with history rows, and how many of its rows have no reason (read directly)."""
    engine = make_engine(get_settings().database_url)
    try:
        with engine.connect() as conn:
            deal_id = conn.scalar(
                select(DealStageHistory.deal_id)
                .where(DealStageHistory.reason.is_(None))
                .order_by(DealStageHistory.deal_id)
                .limit(1)
            )
            missing = conn.scalar(
                select(func.count())
                .select_from(DealStageHistory)
                .where(DealStageHistory.deal_id == deal_id, DealStageHistory.reason.is_(None))
            )
    finally:
        engine.dispose()
    assert deal_id is not None and missing
    return deal_id, missing


def test_a_move_without_a_reason_shows_the_missing_mark_not_none():
    from streamlit.testing.v1 import AppTest

    deal_id, missing = _deal_with_a_move_without_reason()
    at = AppTest.from_function(_history_script, args=(deal_id,), default_timeout=60).run()
    assert not at.exception, at.exception
    frame = at.dataframe[0].value
    reasons = frame["reason"].tolist()
    assert all(isinstance(r, str) and r not in ("None", "nan", "") for r in reasons), reasons
    assert reasons.count(MISSING) == missing
    assert not frame.isna().any().any(), frame
