"""My account: who I am, and changing my own password."""

import streamlit as st

from core.org import people
from ui.auth import TOKEN_KEY, current_actor
from ui.data import save
from ui.flash import show_flash

actor = current_actor()
st.title("My account")
show_flash("account")
st.write(
    f"Signed in as **{actor.name}**. Username: {actor.username}. "
    f"Role: {actor.role.value.capitalize()}."
)

with st.form("change_password", clear_on_submit=True):
    st.subheader("Change password")
    current = st.text_input("Current password", type="password", key="current_password")
    new = st.text_input("New password", type="password", key="new_password")
    repeat = st.text_input("Repeat new password", type="password", key="repeat_password")
    if st.form_submit_button("Change password"):
        if new != repeat:
            st.error("The two passwords differ; nothing was changed.")
        else:
            save(
                lambda s: people.change_own_password(
                    s, actor, current, new, this_session=st.session_state.get(TOKEN_KEY)
                ),
                "Password changed. You stay signed in here; every other sign-in has ended.",
                affects=(),
            )
