"""My account: who I am, and changing my own password."""

import streamlit as st

from core.org import people
from ui.auth import current_actor
from ui.data import save
from ui.flash import show_flash

actor = current_actor()
st.title("My account")
show_flash("account")
st.write(f"**{actor.name}** · {actor.username} · {actor.role.value}")

with st.form("change_password", clear_on_submit=True):
    st.subheader("Change password")
    new = st.text_input("New password", type="password", key="new_password")
    repeat = st.text_input("Repeat new password", type="password", key="repeat_password")
    if st.form_submit_button("Change password"):
        if new != repeat:
            st.error("The two passwords differ; nothing was changed.")
        else:
            save(
                lambda s: people.set_password(s, actor, actor.username, new),
                "Password changed.",
                affects=(),
            )
