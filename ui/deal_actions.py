"""Deal actions beside the stage moves: mark lost with a listed reason, copy the deal, reopen a
lost deal. The rules are in core (`core.pipeline.deals`, `core.pipeline.creation`); the deal
view shows these where the read model allows them."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from sqlalchemy.orm import Session

from core.i18n import _
from core.models import Actor
from core.org.access import load_actor
from core.pipeline import creation, deals, lost_reasons
from core.pipeline.creation import CreationResult
from core.pipeline.deals import DealMove, DealReopen
from core.pipeline.views import DealDetail
from ui.data import cached, read, save
from ui.deal_form import save_new_deal
from ui.stage_names import shown

DEAL_WRITES = ("deals", "activities", "alerts", "customers")


@cached("settings", "deals", ttl=300, show_spinner=False)
def reason_choices() -> list[tuple[int, str]]:
    """The lost reasons on offer, in the administrator's order."""
    with read() as session:
        return lost_reasons.reasons_on_offer(session)


def render_mark_lost(actor: Actor, detail: DealDetail, key: str, lost_stage_id: int) -> None:
    """Mark an open deal lost: a reason from the list and an optional note."""
    reasons = reason_choices()
    with st.expander(_("❌ Mark lost")):
        if not reasons:
            st.info(
                _(
                    "The list of lost reasons is empty, so no deal can be marked lost yet; ask "
                    "an administrator to add reasons on the Pipeline stages page."
                )
            )
            return
        ids = [rid for rid, __ in reasons]
        names = dict(reasons)
        with st.form(f"{key}_lost_{detail.id}"):
            reason_id = st.selectbox(
                _("Lost reason *"),
                ids,
                index=None,
                format_func=lambda rid: shown(names.get(rid, "?")),
                placeholder=_("Pick the reason from the list"),
                key=f"{key}_lost_reason_{detail.id}",
            )
            note = st.text_area(
                _("Note (optional)"), max_chars=2000, key=f"{key}_lost_note_{detail.id}"
            )
            submitted = st.form_submit_button(_("Mark lost"), width="stretch")
        if not submitted:
            return
        if reason_id is None:
            st.error(_("Pick the lost reason from the list; nothing was saved."))
            return

        def action(session) -> None:
            move = DealMove(
                to_stage_id=lost_stage_id,
                seen_version=detail.version,
                lost_reason_id=reason_id,
                lost_note=note or None,
            )
            deals.move_deal(session, load_actor(session, actor.id), detail.id, move)

        save(action, _("{deal} is marked lost.").format(deal=detail.name), affects=DEAL_WRITES)


def render_reopen(actor: Actor, detail: DealDetail, key: str) -> None:
    """A manager (or above) reopens a lost deal with a reason."""
    if not detail.can_reopen:
        return
    with st.expander(_("↩️ Reopen this lost deal")):
        st.caption(
            _(
                "The deal goes back to the open stage it was lost from (the first stage when "
                "that stage no longer exists); the reopening is kept in its history."
            )
        )
        with st.form(f"{key}_reopen_{detail.id}"):
            reason = st.text_input(
                _("Why reopen it? *"), max_chars=300, key=f"{key}_reopen_reason_{detail.id}"
            )
            submitted = st.form_submit_button(_("Reopen the deal"), width="stretch")
        if not submitted:
            return

        def action(session) -> None:
            request = DealReopen(seen_version=detail.version, reason=reason)
            deals.reopen_lost_deal(session, load_actor(session, actor.id), detail.id, request)

        save(action, _("{deal} is open again.").format(deal=detail.name), affects=DEAL_WRITES)


def render_clone(
    actor: Actor, detail: DealDetail, key: str, on_created: Callable[[int], None] | None
) -> None:
    """Copy the deal into a new open deal at the first stage."""
    if not detail.can_edit:
        return
    pending_key = f"{key}_clone_pending_{detail.id}"
    with st.expander(_("📄 Copy this deal"), expanded=pending_key in st.session_state):
        st.caption(
            _(
                "A new open deal for the same customer, product, amount and quantity, at the "
                "first stage."
            )
        )
        confirm = pending_key in st.session_state
        if confirm:
            st.warning(st.session_state[pending_key])
        label = _("Copy it anyway") if confirm else _("Copy the deal")
        if not st.button(label, key=f"{key}_clone_{detail.id}", width="stretch"):
            return

        def create(session: Session) -> CreationResult:
            return creation.clone_deal(
                session, load_actor(session, actor.id), detail.id, confirm=confirm
            )

        save_new_deal(
            create,
            _("A copy of {deal} is created.").format(deal=detail.name),
            pending_key=pending_key,
            pending=str,
            forget=[pending_key],
            on_created=on_created,
        )
