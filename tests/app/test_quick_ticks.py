"""Two checklist ticks in quick succession: the second callback can still carry the version the
page showed before the first one's save (the click came before the rerun drew the page again).
The person's own save is no conflict, so both ticks are kept; a save by anyone else in between
is still refused, with the message that names it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from core.org.access import load_actor
from core.pipeline import deals
from db.config import get_settings
from db.engine import make_engine
from db.schema import Deal, Person, Stage


def _ticks(person_id: int, deal_id: int, shown_version: int, items: list[str]) -> None:
    """The callbacks of checkboxes drawn at `shown_version`, run one after the other."""
    import streamlit as st

    from ui.deal_view import _tick
    from ui.flash import ERROR_KEY

    for index, item in enumerate(items):
        key = f"box_{index}_{len(st.session_state)}"
        st.session_state[key] = True
        _tick(person_id, deal_id, shown_version, item, key)
    st.session_state["refused"] = st.session_state.pop(ERROR_KEY, None)


def _deal(engine) -> tuple[int, int, int, list[str]]:
    """A rep's open deal in a stage with at least two checklist items, nothing ticked."""
    with Session(engine) as session, session.begin():
        rep = session.scalar(select(Person).where(Person.username == "rep"))
        stage = next(
            s
            for s in session.scalars(select(Stage).order_by(Stage.position))
            if len(s.exit_checklist or []) >= 2
        )
        deal = session.scalars(
            select(Deal).where(Deal.owner_id == rep.id, Deal.status == "open")
        ).first()
        deal.stage_id, deal.checklist_done = stage.id, []
        session.flush()
        return rep.id, deal.id, deal.version, list(stage.exit_checklist)


def test_a_second_quick_tick_is_kept_and_a_save_by_someone_else_is_still_refused():
    engine = make_engine(get_settings().database_url)
    try:
        rep_id, deal_id, version, items = _deal(engine)
        at = AppTest.from_function(
            _ticks, args=(rep_id, deal_id, version, items[:2]), default_timeout=60
        ).run()
        assert not at.exception, at.exception
        assert at.session_state["refused"] is None
        with Session(engine) as session:
            deal = session.get_one(Deal, deal_id)
            assert sorted(deal.checklist_done) == sorted(items[:2])
            assert deal.version == version + 2

        with Session(engine) as session, session.begin():  # the manager unticks the first
            manager = session.scalar(select(Person).where(Person.username == "manager"))
            actor = load_actor(session, manager.id)
            deals.tick_checklist_item(session, actor, deal_id, version + 2, items[0], False)
        at.session_state["refused"] = None
        at.run()  # the rep's next tick on the page as it was first shown
        assert "changed this deal" in (at.session_state["refused"] or "")
        with Session(engine) as session:
            deal = session.get_one(Deal, deal_id)
            assert deal.checklist_done == [items[1]]  # the manager's save stands
            assert deal.version == version + 3
    finally:
        engine.dispose()
