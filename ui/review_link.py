"""A recorded pipeline review opened by its link (/reviews?review=ID): shown at the top of the
Pipeline reviews page, with the review's rep chosen below it."""

from __future__ import annotations

import streamlit as st

from core.errors import DomainError
from core.i18n import _
from core.models import Actor
from core.pipeline import reviews
from ui.data import read
from ui.format import sentence_day
from ui.links import linked_id, show_in_address

OPEN_KEY = "review_open"
REP_KEY = "review_rep"


def _close() -> None:
    st.session_state[OPEN_KEY] = None


def show_linked_review(actor: Actor) -> None:
    """The review a link opened (until closed), and that review's rep chosen on the page."""
    arrived = linked_id("review")
    if arrived is not None:
        st.session_state[OPEN_KEY] = arrived
    review_id = st.session_state.get(OPEN_KEY)
    show_in_address("review", review_id)
    if review_id is None:
        return
    try:
        with read() as session:
            detail = reviews.review_detail(session, actor, int(review_id))
    except DomainError as exc:
        st.error(str(exc))
        st.button(_("Close"), key="review_link_close", on_click=_close)
        return
    if arrived is not None:
        st.session_state[REP_KEY] = (detail.rep_id, detail.rep)
    with st.container(border=True):
        st.subheader(_("Review of {day}").format(day=sentence_day(detail.held_on)))
        st.caption(_("{rep}, reviewed by {manager}").format(rep=detail.rep, manager=detail.manager))
        st.markdown(detail.notes or _("_No notes were written._"))
        if detail.deals:
            st.markdown(_("**Deals discussed**") + "  \n" + "  \n".join(detail.deals))
        for what, due_on, done_on in detail.commitments:
            parts = [what]  # the commitment, then its due and done days, joined by " · "
            if due_on:
                parts.append(_("due {day}").format(day=sentence_day(due_on)))
            if done_on:
                parts.append(_("✔ done {day}").format(day=sentence_day(done_on)))
            st.markdown("- " + " · ".join(parts))
        st.button(_("Close this review"), key="review_link_close", on_click=_close)
