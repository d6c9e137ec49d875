"""Audit log: who changed what and when (administrators and directors), filtered by who, what,
which record and a date range, paged through every entry, with a download of what is shown."""

import streamlit as st
from pydantic import ValidationError

from core.i18n import N_, _, number
from core.org import audit
from core.org.audit import COMMAND_LINE, AuditFilter
from ui.auth import current_actor
from ui.data import read
from ui.downloads import download_buttons

PAGE_SIZE = 100
DOWNLOAD_LIMIT = 100_000
ANY = N_("Any")

actor = current_actor()
st.title(_("Audit log"))
st.caption(_("Every change to people, customers, deals, targets and plans, newest first."))

with read() as session:
    choices = audit.audit_choices(session, actor)

people = {COMMAND_LINE: _("Command line (manage.py)"), **dict(choices.people)}
who_box, action_box, entity_box = st.columns(3)
who = who_box.selectbox(
    _("Who"),
    [None, *people],
    format_func=lambda p: _(ANY) if p is None else people[p],
    key="audit_who",
)
action = action_box.selectbox(
    _("What was done"),
    [None, *choices.actions],
    format_func=lambda a: _(ANY) if a is None else a,
    key="audit_action",
)
entity = entity_box.selectbox(
    _("Kind of record"),
    [None, *choices.entities],
    format_func=lambda e: _(ANY) if e is None else e,
    key="audit_entity",
)
record_box, start_box, end_box = st.columns(3)
record_text = record_box.text_input(_("Record id"), key="audit_record", placeholder=_("e.g. 42"))
start = start_box.date_input(_("From"), value=None, key="audit_start")
end = end_box.date_input(_("To"), value=None, key="audit_end")

if start and end and end < start:
    st.error(_("The To date is before the From date: choose a To date on or after it."))
    st.stop()
try:
    record_id = int(record_text) if record_text.strip() else None
    filters = AuditFilter(
        who=who, action=action, entity=entity, record_id=record_id, start=start, end=end
    )
except ValueError as exc:
    problem = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else None
    st.error(
        _("The filters cannot be used: {problem}.").format(problem=problem)
        if problem
        else _("The record id is a whole number, e.g. 42.")
    )
    st.stop()

# A new filter starts again at the first page.
if st.session_state.get("audit_filters") != filters:
    st.session_state["audit_filters"] = filters
    st.session_state["audit_offset"] = 0
offset = st.session_state.get("audit_offset", 0)

with read() as session:
    page = audit.audit_page(session, actor, filters, offset=offset, limit=PAGE_SIZE)

if page.total == 0:
    st.info(
        _("No changes match these filters. Choose Any in a box or widen the dates to see more.")
        if filters != AuditFilter()
        else _("No changes have been recorded yet.")
    )
    st.stop()

last = min(page.offset + PAGE_SIZE, page.total)
st.caption(
    _("Entries {first} to {last} of {total}.").format(
        first=number(page.offset + 1), last=number(last), total=number(page.total)
    )
)
st.dataframe(
    page.rows,
    hide_index=True,
    width="stretch",
    column_config={
        "when": st.column_config.DatetimeColumn(_("When"), format="YYYY-MM-DD HH:mm:ss"),
        "who": _("Who"),
        "action": _("What was done"),
        "entity": _("Kind of record"),
        "record": _("Record"),
        "before": _("Before"),
        "after": _("After"),
    },
)
newer, older, __ = st.columns([1, 1, 4])
if newer.button(_("← Newer"), disabled=page.offset == 0, key="audit_newer"):
    st.session_state["audit_offset"] = max(0, page.offset - PAGE_SIZE)
    st.rerun()
if older.button(_("Older →"), disabled=last >= page.total, key="audit_older"):
    st.session_state["audit_offset"] = page.offset + PAGE_SIZE
    st.rerun()

st.subheader(_("Download"))
if page.total > DOWNLOAD_LIMIT:
    st.caption(
        _(
            "The file holds the newest {limit} of the {total} matching entries; narrow the "
            "filters or the dates to get the rest."
        ).format(limit=number(DOWNLOAD_LIMIT), total=number(page.total))
    )
else:
    st.caption(_("The file holds all {total} matching entries.").format(total=number(page.total)))
if st.button(_("Prepare the file"), key="audit_prepare"):
    with read() as session:
        st.session_state["audit_download"] = (
            filters,
            audit.audit_download(session, actor, filters, limit=DOWNLOAD_LIMIT),
        )
prepared = st.session_state.get("audit_download")
if prepared and prepared[0] == filters:
    download_buttons(prepared[1], "audit-log", key="audit_file")
