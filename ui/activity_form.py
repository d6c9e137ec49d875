"""Quick-add of an activity (visit, call, meeting, demo, email) from a deal or a customer page,
or from My day. When the deal (or customer) has open follow-ups, the form offers to mark the
one the activity did as done and to set the next one: all in one save."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from core import clock
from core.i18n import N_, _, day
from core.models import ActivityType, Actor
from core.org.access import load_actor
from core.pipeline import follow_ups
from core.pipeline.activities import ActivityCreate
from core.pipeline.follow_ups import FollowUpRow, NextFollowUp
from ui.data import cached, read, save

ICONS = {
    ActivityType.VISIT: N_("🚗 Visit"),
    ActivityType.CALL: N_("📞 Call"),
    ActivityType.MEETING: N_("👥 Meeting"),
    ActivityType.DEMO: N_("🖥️ Demo"),
    ActivityType.EMAIL: N_("✉️ Email"),
}
NAMES = {
    ActivityType.VISIT: N_("Visit"),
    ActivityType.CALL: N_("Call"),
    ActivityType.MEETING: N_("Meeting"),
    ActivityType.DEMO: N_("Demo"),
    ActivityType.EMAIL: N_("Email"),
}

FOLLOW_UP_WRITES = ("activities", "deals", "alerts", "customers")
"""What a follow-up change touches: the follow-up lists (read with the activities), the deal's
next step, the overdue alerts and the customer's summary."""


@cached("activities", "deals", "org", ttl=30, show_spinner=False)
def open_follow_ups(
    person_id: int, deal_id: int | None, customer_id: int | None
) -> list[FollowUpRow]:
    """The open follow-ups an activity here could close (only those the person may change)."""
    with read() as session:
        return follow_ups.open_follow_up_choices(
            session, load_actor(session, person_id), deal_id=deal_id, customer_id=customer_id
        )


def _choice_label(row: FollowUpRow | None) -> str:
    if row is None:
        return _("None of them")
    if row.overdue:
        return _("{title} · due {day} (overdue)").format(title=row.title, day=day(row.due_on))
    return _("{title} · due {day}").format(title=row.title, day=day(row.due_on))


def _icon_label(kind: ActivityType | None) -> str:
    return _(ICONS[kind]) if kind is not None else ""


def quick_add_activity(
    actor: Actor,
    customer_id: int,
    deal_id: int | None = None,
    *,
    key: str,
    follow_up_id: int | None = None,
    kind: ActivityType | None = None,
) -> None:
    """A small form: type (visit by default), date (today), outcome, notes; then, when there
    are open follow-ups, the one this activity did (the given one preselected, else none) and
    the next follow-up to set."""
    choices: list[FollowUpRow | None] = [None, *open_follow_ups(actor.id, deal_id, customer_id)]
    preselected = next(
        (i for i, row in enumerate(choices) if row is not None and row.id == follow_up_id), 0
    )
    with st.form(key, clear_on_submit=True):
        st.markdown(_("**Log an activity**"))
        chosen_kind = st.segmented_control(
            _("Type"),
            list(ActivityType),
            default=kind or ActivityType.VISIT,
            format_func=_icon_label,
            key=f"{key}_type",
            label_visibility="collapsed",
        )
        occurred_on = st.date_input(_("Date"), value=clock.today(), key=f"{key}_on")
        outcome = st.text_input(_("Outcome"), key=f"{key}_outcome", max_chars=200)
        notes = st.text_area(_("Notes"), key=f"{key}_notes", height=68)
        closes = None
        if len(choices) > 1:
            closes = st.selectbox(
                _("Follow-up this activity did (marked done)"),
                choices,
                index=preselected,
                format_func=_choice_label,
                key=f"{key}_closes",
            )
        next_title = st.text_input(
            _("Next follow-up (leave empty for none)"),
            key=f"{key}_next_title",
            max_chars=200,
            placeholder=_("For example: send the offer"),
        )
        next_on = st.date_input(
            _("Next follow-up due on"),
            value=clock.today() + timedelta(days=7),
            min_value=clock.today(),
            key=f"{key}_next_on",
        )
        submitted = st.form_submit_button(_("📝 Log activity"), width="stretch")
    if not submitted:
        return
    chosen_kind = chosen_kind or ActivityType.VISIT
    close_id = closes.id if closes is not None else None

    def log(session):
        data = ActivityCreate(
            type=chosen_kind,
            occurred_on=occurred_on,
            customer_id=customer_id,
            deal_id=deal_id,
            outcome=outcome or None,
            notes=notes or None,
        )
        following = NextFollowUp(title=next_title, due_on=next_on) if next_title.strip() else None
        return follow_ups.log_activity_with_follow_ups(
            session,
            load_actor(session, actor.id),
            data,
            close_follow_up_id=close_id,
            next_follow_up=following,
        )

    what = _(NAMES[chosen_kind])
    if close_id is not None and next_title.strip():
        done = _("{what} logged; the follow-up is done and the next one is set for {day}.").format(
            what=what, day=day(next_on)
        )
    elif close_id is not None:
        done = _("{what} logged and the follow-up is done.").format(what=what)
    elif next_title.strip():
        done = _("{what} logged; the next follow-up is set for {day}.").format(
            what=what, day=day(next_on)
        )
    else:
        done = _("{what} logged.").format(what=what)
    save(
        log,
        done,
        labels={"title": _("Next follow-up")},
        # the deal view's readers are not tagged yet: an activity on a deal clears every cache
        affects=FOLLOW_UP_WRITES if deal_id is None else None,
    )


def add_follow_up_form(
    actor: Actor, customer_id: int, deal_id: int | None = None, *, key: str
) -> None:
    """A small form to add a follow-up (what, which day, optional time and type) on a deal or a
    customer; it shows on My day on its day and becomes the deal's next step."""
    with st.expander(_("📌 Add a follow-up")), st.form(key, clear_on_submit=True, border=False):
        title = st.text_input(
            _("Follow-up"), max_chars=200, key=f"{key}_title", placeholder=_("Call back about…")
        )
        due_on = st.date_input(
            _("Due on"),
            value=clock.today() + timedelta(days=1),
            min_value=clock.today(),
            key=f"{key}_on",
        )
        due_at = st.time_input(_("At (optional)"), value=None, key=f"{key}_at")
        kind = st.selectbox(
            _("Type"),
            [None, *ActivityType],
            format_func=lambda k: _("Task") if k is None else _(ICONS[k]),
            key=f"{key}_kind",
        )
        submitted = st.form_submit_button(_("📌 Add follow-up"), width="stretch")
    if not submitted:
        return
    save(
        lambda session: follow_ups.add_follow_up(
            session,
            load_actor(session, actor.id),
            title=title,
            due_on=due_on,
            due_at=due_at,
            deal_id=deal_id,
            customer_id=None if deal_id is not None else customer_id,
            kind=kind,
        ),
        _("Follow-up added for {day}.").format(day=day(due_on)),
        affects=FOLLOW_UP_WRITES if deal_id is None else None,
    )
