"""Email digests (admins and directors): the log of digests the mail server accepted, with
filters and a download, and a preview of anyone's digest of each kind as it would go out today."""

from datetime import timedelta

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from core import clock
from core.errors import DomainError
from core.i18n import N_, _
from core.performance.digests.services import people_choices, preview, sent_log
from db.schema import DigestKind
from ui.auth import current_actor
from ui.data import read
from ui.downloads import download_buttons

KIND_NAMES = {
    DigestKind.WEEKLY.value: N_("Weekly progress"),
    DigestKind.DAILY.value: N_("Daily alerts"),
    DigestKind.REMINDERS.value: N_("Follow-up reminders"),
}
ALL = ""

actor = current_actor()
st.title(_("Email digests"))
if not actor.sees_everything:
    st.error(_("Only admins and directors see the digests sent."))
    st.stop()
st.caption(
    _(
        "`manage.py digest send --kind weekly|daily|reminders` sends them when cron runs it; "
        "each person receives at most one per kind and period and can stop a kind on My account."
    )
)

st.subheader(_("Sent"))
kind_col, since_col, until_col = st.columns(3)
kind = kind_col.selectbox(
    _("Kind"),
    [ALL, *KIND_NAMES],
    format_func=lambda k: _("Every kind") if k == ALL else _(KIND_NAMES[k]),
    key="digest_log_kind",
)
since = since_col.date_input(_("Sent from"), clock.today() - timedelta(days=30), key="digest_since")
until = until_col.date_input(_("Sent until"), clock.today(), key="digest_until")
with read() as session:
    log = sent_log(session, actor, kind=kind or None, since=since, until=until)
frame = pd.DataFrame([row.model_dump() for row in log])
if frame.empty:
    st.info(
        _(
            "No digest was sent in these days. Run `manage.py digest send` from cron (see "
            "`docs/digests.md`), or widen the dates."
        )
    )
else:
    shown = frame.drop(columns=["id", "person_id"]).rename(
        columns={
            "sent_at": _("Sent at"),
            "kind": _("Kind"),
            "period_key": _("Period"),
            "person": _("Person"),
            "recipient": _("Email"),
            "subject": _("Subject"),
            "language": _("Language"),
            "items": _("Items"),
        }
    )
    st.dataframe(shown, hide_index=True, width="stretch")
    download_buttons(frame, "digests-sent", key="digest_log")

st.subheader(_("Preview"))
with read() as session:
    people = people_choices(session, actor)
names = dict(people)
who_col, what_col = st.columns(2)
person_id = who_col.selectbox(
    _("Person"), [pid for pid, __ in people], format_func=lambda p: names[p], key="digest_person"
)
preview_kind = what_col.selectbox(
    _("Kind"),
    list(KIND_NAMES),
    format_func=lambda k: _(KIND_NAMES[k]),
    key="digest_preview_kind",
)
if person_id is not None:
    try:
        with read() as session:
            result = preview(session, actor, person_id, preview_kind, clock.today())
    except DomainError as exc:
        st.error(str(exc))
        result = None
    else:
        if result is None:
            st.info(
                _("This person's digest of this kind has nothing to say today: none would be sent.")
            )
    if result is not None:
        __, email = result
        st.markdown(_("**Subject:** {subject}").format(subject=email.subject))
        html_tab, text_tab = st.tabs([_("HTML"), _("Plain text")])
        with html_tab:
            components.html(email.html, height=700, scrolling=True)
        with text_tab:
            st.code(email.text, language=None)
