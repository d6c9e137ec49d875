"""My account: who I am, the language the app and my emails speak, which digests I receive by
email, and changing my own password."""

import streamlit as st

from core.i18n import LANGUAGES, N_, _, use_language
from core.org import people
from core.performance.digests.services import opted_out_kinds, set_opt_out
from db.schema import DigestKind
from ui.auth import TOKEN_KEY, current_actor
from ui.data import read, save
from ui.flash import show_flash
from ui.language import company_language, role_name

DIGESTS = {
    DigestKind.WEEKLY: (
        N_("Weekly progress digest"),
        N_(
            "On Mondays: your quarter's target, won, attainment, pace, gap and the probability of "
            "making it, with the deals to close this month and your alerts (a manager: each rep "
            "of the area, ranked, with the biggest risks; a director: each region)."
        ),
    ),
    DigestKind.DAILY: (
        N_("Daily alert digest"),
        N_("Each morning: the new high-severity alerts of your area, when there are some."),
    ),
    DigestKind.REMINDERS: (
        N_("Follow-up reminders"),
        N_("Each morning: your follow-ups due today and overdue, when there are some."),
    ),
}
DEFAULT = ""  # the language choice "company default" (no language of one's own)

actor = current_actor()
st.title(_("My account"))
show_flash("account")
st.write(
    _("Signed in as **{name}**. Username: {username}. Role: {role}.").format(
        name=actor.name, username=actor.username, role=role_name(actor.role)
    )
)


def language_label(code: str) -> str:
    if code == DEFAULT:
        return _("Company default ({language})").format(language=LANGUAGES[company_language()])
    return LANGUAGES[code]


def saved_in(code: str) -> str:
    """The confirmation in the language just chosen, which the page reruns in."""
    with use_language(code or company_language()):
        return _("Language saved.")


st.subheader(_("Language"))
choices = [DEFAULT, *LANGUAGES]
chosen = st.selectbox(
    _("The language of the app and of your emails"),
    choices,
    index=choices.index(actor.language) if actor.language in choices else 0,
    format_func=language_label,
    key="account_language",
)
if st.button(_("Save language"), key="save_language"):
    save(
        lambda s: people.set_own_language(s, actor, chosen or None),
        lambda __: saved_in(chosen),
        affects=("org",),
    )

st.subheader(_("Email digests"))
st.caption(
    _(
        "The app emails you these digests, each in your language. Untick one to stop it; "
        'the weekly digest stays on Home under "This week" either way.'
    )
)
with read() as session:
    stopped = opted_out_kinds(session, actor)
with st.form("digest_choices"):
    wanted = {}
    for kind, (title, explanation) in DIGESTS.items():
        wanted[kind] = st.checkbox(
            _(title), value=kind.value not in stopped, help=_(explanation), key=f"digest_{kind}"
        )
        st.caption(_(explanation))
    if st.form_submit_button(_("Save email choices")):

        def choose(session) -> None:
            for kind, keep in wanted.items():
                set_opt_out(session, actor, actor.id, kind.value, not keep)

        save(choose, _("Your email choices are saved."), affects=())

with st.form("change_password", clear_on_submit=True):
    st.subheader(_("Change password"))
    current = st.text_input(_("Current password"), type="password", key="current_password")
    new = st.text_input(_("New password"), type="password", key="new_password")
    repeat = st.text_input(_("Repeat new password"), type="password", key="repeat_password")
    if st.form_submit_button(_("Change password")):
        if new != repeat:
            st.error(_("The two passwords differ; nothing was changed."))
        else:
            save(
                lambda s: people.change_own_password(
                    s, actor, current, new, this_session=st.session_state.get(TOKEN_KEY)
                ),
                _("Password changed. You stay signed in here; every other sign-in has ended."),
                affects=(),
            )
