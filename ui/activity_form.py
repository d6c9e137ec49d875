"""Quick-add of an activity (visit, call, meeting, demo, email) from a deal or a customer page."""

from __future__ import annotations

from datetime import date

import streamlit as st

from core.models import ActivityType, Actor
from core.pipeline import activities
from core.pipeline.activities import ActivityCreate
from ui.data import save

ICONS = {
    ActivityType.VISIT: "🚗 Visit",
    ActivityType.CALL: "📞 Call",
    ActivityType.MEETING: "👥 Meeting",
    ActivityType.DEMO: "🖥️ Demo",
    ActivityType.EMAIL: "✉️ Email",
}


def quick_add_activity(
    actor: Actor, customer_id: int, deal_id: int | None = None, *, key: str
) -> None:
    """A small form: type (visit by default), date (today), outcome, notes."""
    with st.form(key, clear_on_submit=True):
        st.markdown("**Log an activity**")
        kind = st.segmented_control(
            "Type",
            list(ActivityType),
            default=ActivityType.VISIT,
            format_func=ICONS.get,
            key=f"{key}_type",
            label_visibility="collapsed",
        )
        occurred_on = st.date_input("Date", value=date.today(), key=f"{key}_on")
        outcome = st.text_input("Outcome", key=f"{key}_outcome", max_chars=200)
        notes = st.text_area("Notes", key=f"{key}_notes", height=68)
        submitted = st.form_submit_button("📝 Log activity", width="stretch")
    if not submitted:
        return
    kind = kind or ActivityType.VISIT

    def log(session):
        data = ActivityCreate(
            type=kind,
            occurred_on=occurred_on,
            customer_id=customer_id,
            deal_id=deal_id,
            outcome=outcome or None,
            notes=notes or None,
        )
        return activities.log_activity(session, actor, data)

    save(
        log,
        f"{ICONS[kind].split(' ', 1)[1]} logged.",
        # the deal view's readers are not tagged yet: an activity on a deal clears every cache
        affects={"activities", "customers"} if deal_id is None else None,
    )
