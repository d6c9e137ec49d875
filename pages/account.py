"""My account: who I am, and changing my own password."""

import streamlit as st

from core.errors import DomainError
from core.org import people
from ui.auth import current_actor
from ui.data import write

actor = current_actor()
st.title("My account")
st.write(f"**{actor.name}** · {actor.username} · {actor.role.value}")

with st.form("change_password", clear_on_submit=True):
    st.subheader("Change password")
    new = st.text_input("New password", type="password", key="new_password")
    repeat = st.text_input("Repeat new password", type="password", key="repeat_password")
    if st.form_submit_button("Change password"):
        if new != repeat:
            st.error("The two passwords differ; nothing was changed.")
        else:
            try:
                with write() as session:
                    people.set_password(session, actor, actor.username, new)
            except DomainError as exc:
                st.error(f"{exc} Nothing was changed.")
            else:
                st.success("Password changed.")
