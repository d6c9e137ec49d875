"""Organisation: the region tree with its managers, the people in it and the moves still to
come (directors, admins)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from core.org import changes as org
from core.org import people, views
from core.org.access import load_actor
from core.org.company import (
    fiscal_start_month,
    get_setting,
    set_fiscal_start_month,
    set_ramp_schedule,
)
from core.pipeline import team
from ui.auth import current_actor
from ui.data import cached, read, save
from ui.downloads import download_buttons
from ui.flash import show_flash
from ui.format import as_text, day

MONTHS = [date(2000, m, 1).strftime("%B") for m in range(1, 13)]


@cached("org", "settings", ttl=60, show_spinner=False)
def organisation() -> tuple[pd.DataFrame, pd.DataFrame, int, list]:
    with read() as session:
        return (
            views.regions_table(session),
            views.people_table(session),
            fiscal_start_month(session),
            get_setting(session, "ramp_schedule"),
        )


@cached("org", "settings", ttl=60, show_spinner=False)
def deal_team_functions() -> tuple[list[str], dict[int, list[str]]]:
    """The known functions and each person's."""
    with read() as session:
        return team.known_functions(session), team.people_functions(session)


@cached("org", "settings", ttl=60, show_spinner=False)
def scheduled_moves(person_id: int) -> pd.DataFrame:
    with read() as session:
        return views.scheduled_moves_table(session, load_actor(session, person_id))


def run_action(action, success) -> None:
    """Save `action` and report it; `success` is the message, or makes it from the result.
    An organisation change moves people, their deals and targets: every cache is cleared."""
    save(action, success, affects=None)


actor = current_actor()
st.title("🏢 Organisation")
show_flash("organisation")

regions, persons, start_month, ramp = organisation()
waiting = scheduled_moves(actor.id)
active_regions = regions[regions["active"]]
region_label = dict(zip(regions["id"], regions["region"].str.strip()))
active_ids = active_regions["id"].tolist()
managers = persons[persons["role"].isin(["manager", "director"]) & persons["active"]]
person_label = {row.id: f"{row.name} ({row.username}, {row.role})" for row in persons.itertuples()}

tree_tab, people_tab, settings_tab = st.tabs(["🌳 Regions", "👥 People", "⚙️ Fiscal year and ramp"])

with tree_tab:
    st.dataframe(
        regions.drop(columns=["id"]),
        hide_index=True,
        width="stretch",
        column_config={
            "region": "Region",
            "parent": "Parent",
            "active": st.column_config.CheckboxColumn("Active"),
            "managers": "Managers",
            "people": st.column_config.NumberColumn("Active people"),
        },
    )
    download_buttons(regions.drop(columns=["id"]), "regions")
    add, rename, move, retire, manage = st.tabs(["Add", "Rename", "Move", "Retire", "Managers"])
    with add, st.form("add_region"):
        name = st.text_input("Name of the new region or team", key="new_region_name")
        parent = st.selectbox("Under", active_ids, format_func=region_label.get, key="new_parent")
        if st.form_submit_button("Add region", type="primary"):
            run_action(
                lambda s: org.add_region(s, actor, name, parent),
                f"{name.strip()} added under {region_label[parent]}.",
            )
    with rename, st.form("rename_region"):
        region = st.selectbox("Region", active_ids, format_func=region_label.get, key="ren_r")
        name = st.text_input("New name", key="ren_name")
        if st.form_submit_button("Rename"):
            run_action(
                lambda s: org.rename_region(s, actor, region, name),
                f"{region_label[region]} is now {name.strip()}.",
            )
    with move, st.form("move_region"):
        region = st.selectbox("Region", active_ids, format_func=region_label.get, key="mv_r")
        parent = st.selectbox(
            "New parent", active_ids, format_func=region_label.get, key="mv_parent"
        )
        if st.form_submit_button("Move"):
            run_action(
                lambda s: org.move_region(s, actor, region, parent),
                f"{region_label[region]} now sits under {region_label[parent]}.",
            )
    with retire, st.form("retire_region"):
        region = st.selectbox("Region", active_ids, format_func=region_label.get, key="rt_r")
        st.caption("Only an empty region can be retired; its history stays.")
        if st.form_submit_button("Retire"):
            run_action(
                lambda s: org.retire_region(s, actor, region),
                f"{region_label[region]} is retired.",
            )
    with manage, st.form("assign_manager"):
        region = st.selectbox("Region", active_ids, format_func=region_label.get, key="am_r")
        manager = st.selectbox(
            "Manager", managers["id"].tolist(), format_func=person_label.get, key="am_p"
        )
        assign, remove = st.columns(2)
        if assign.form_submit_button("Assign manager"):
            run_action(
                lambda s: org.assign_manager(s, actor, region, manager),
                f"{person_label[manager]} manages {region_label[region]}.",
            )
        if remove.form_submit_button("Remove manager"):
            run_action(
                lambda s: org.remove_manager(s, actor, region, manager),
                f"{person_label[manager]} no longer manages {region_label[region]}.",
            )

with people_tab:
    st.dataframe(
        # A person imported without a hire date reads "–", not "None".
        persons.drop(columns=["id"]).assign(hire_date=lambda f: as_text(f["hire_date"], day)),
        hide_index=True,
        width="stretch",
        column_config={
            "name": "Name",
            "username": "Username",
            "role": "Role",
            "region": "Region",
            "hire_date": "Hired",
            "active": st.column_config.CheckboxColumn("Active"),
        },
    )
    download_buttons(persons.drop(columns=["id"]), "people")
    active_people = persons[persons["active"]]["id"].tolist()
    add, move, upcoming, hire, functions_tab, leave = st.tabs(
        ["Add", "Move to another region", "Scheduled moves", "Hire date", "Functions", "Deactivate"]
    )
    with add, st.form("add_person", clear_on_submit=False):
        left, right = st.columns(2)
        name = left.text_input("Name", key="p_name")
        email = right.text_input("Email", key="p_email")
        role = left.selectbox("Role", ["rep", "manager", "director", "admin"], key="p_role")
        region = right.selectbox("Region", active_ids, format_func=region_label.get, key="p_reg")
        hired = left.date_input("Hire date", value=date.today(), key="p_hired")
        password = right.text_input("First password", type="password", key="p_password")
        if st.form_submit_button("Add person", type="primary"):

            def add_person(session):
                data = people.PersonCreate(
                    email=email, name=name, role=role, region=region_label[region],
                    hire_date=hired, password=password,
                )  # fmt: skip
                people.add_person(session, actor, data)

            run_action(add_person, f"{name} added.")
    with move, st.form("move_person"):
        who = st.selectbox("Person", active_people, format_func=person_label.get, key="mp_p")
        region = st.selectbox("To region", active_ids, format_func=region_label.get, key="mp_r")
        today = date.today()
        since = st.date_input("From month", value=date(today.year, today.month, 1), key="mp_m")
        st.caption(
            "Targets before that month stay with the old region; from that month on they "
            "count for the new one. Open deals follow the person."
        )
        st.caption(
            "A move from this month or an earlier one happens at once. A move from a later "
            "month is scheduled: until that month starts the person keeps their region, deals "
            "and targets."
        )
        if st.form_submit_button("Move"):
            moved_now = f"{person_label[who]} moves to {region_label[region]} from {since:%B %Y}."
            scheduled = (
                f"{person_label[who]} is scheduled to move to {region_label[region]} from "
                f"{since:%B %Y}; until then nothing changes."
            )
            run_action(
                lambda s: org.move_person(s, actor, who, region, since),
                lambda moved: scheduled if moved["scheduled_change"] else moved_now,
            )
    with upcoming:
        if waiting.empty:
            st.info("No moves are scheduled.")
        else:
            st.dataframe(
                waiting.drop(columns=["id"]),
                hide_index=True,
                width="stretch",
                column_config={
                    "person": "Person",
                    "from_region": "Now in",
                    "to_region": "Moves to",
                    "from_month": st.column_config.DateColumn("From", format="MMMM YYYY"),
                    "scheduled_by": "Scheduled by",
                    "scheduled_at": st.column_config.DatetimeColumn("Scheduled on"),
                },
            )
            move_label = {
                row.id: f"{row.person} to {row.to_region} from {row.from_month:%B %Y}"
                for row in waiting.itertuples()
            }
            with st.form("cancel_move"):
                change = st.selectbox(
                    "Scheduled move", list(move_label), format_func=move_label.get, key="cm_c"
                )
                if st.form_submit_button("Cancel this move"):
                    run_action(
                        lambda s: org.cancel_scheduled_move(s, actor, change),
                        f"The move of {move_label[change]} is cancelled.",
                    )
    with hire, st.form("hire_date"):
        who = st.selectbox("Person", active_people, format_func=person_label.get, key="hd_p")
        hired = st.date_input("Hire date", key="hd_d")
        st.caption("The hire date sets the new-hire ramp in the next plans.")
        if st.form_submit_button("Set hire date"):
            run_action(
                lambda s: org.set_hire_date(s, actor, who, hired),
                f"Hire date of {person_label[who]} set to {hired:%d %B %Y}.",
            )
    with functions_tab:
        known, held = deal_team_functions()
        who = st.selectbox("Person", active_people, format_func=person_label.get, key="fn_p")
        with st.form("person_functions"):
            chosen = st.multiselect(
                "Deal-team functions this person can fill",
                known,
                default=[f for f in held.get(who, []) if f in known],
                key=f"fn_f_{who}",
            )
            st.caption(
                "A stage's required role is met only by a team member who has that function."
            )
            if st.form_submit_button("Save functions"):
                run_functions = (
                    f"Functions of {person_label[who]}: {', '.join(chosen)}."
                    if chosen
                    else f"{person_label[who]} has no deal-team functions now."
                )
                save(
                    lambda s: team.set_person_functions(s, actor, who, chosen),
                    run_functions,
                    affects={"org"},
                )
    with leave, st.form("deactivate"):
        who = st.selectbox("Person", active_people, format_func=person_label.get, key="dp_p")
        st.caption("A deactivated person can no longer sign in; their records stay.")
        if st.form_submit_button("Deactivate"):
            username = persons.set_index("id").loc[who, "username"]
            run_action(
                lambda s: people.deactivate(s, actor, username),
                f"{person_label[who]} is deactivated.",
            )

with settings_tab:
    with st.form("fiscal_year"):
        month = st.selectbox(
            "The fiscal year starts in",
            range(1, 13),
            index=start_month - 1,
            format_func=lambda m: MONTHS[m - 1],
            key="fy_start",
        )
        st.caption(
            "Existing plans keep their months; new plans and period labels use the new start."
        )
        if st.form_submit_button("Save"):
            run_action(
                lambda s: set_fiscal_start_month(s, actor, month),
                f"The fiscal year now starts in {MONTHS[month - 1]}.",
            )
    with st.form("ramp"):
        steps = st.text_input(
            "New-hire ramp: % of a full quota in months 1, 2, 3… of tenure",
            value=", ".join(str(p) for p in ramp),
            key="ramp_steps",
        )
        st.caption("Full quota after the last step. Used by the next plans.")
        if st.form_submit_button("Save ramp"):
            parts = [p.strip() for p in steps.replace(";", ",").split(",") if p.strip()]
            run_action(
                lambda s: set_ramp_schedule(s, actor, parts),
                "New-hire ramp saved: " + ", ".join(p + "%" for p in parts) + ".",
            )
