"""Organisation: the region tree with its managers, the people in it and the moves still to
come (directors, admins)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from core import clock
from core.i18n import _, is_chinese
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
from ui.format import as_text, day, day_in_words, month_name, month_year
from ui.language import role_name
from ui.stage_names import shown

ROLES = ["rep", "manager", "director", "admin"]


def role_text(role: str) -> str:
    """A role as the lists write it: its code in English (rep), its name in Chinese."""
    return role_name(role) if is_chinese() else role


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
st.title(_("🏢 Organisation"))
show_flash("organisation")

regions, persons, start_month, ramp = organisation()
waiting = scheduled_moves(actor.id)
active_regions = regions[regions["active"]]
region_label = dict(zip(regions["id"], regions["region"].str.strip()))
active_ids = active_regions["id"].tolist()
managers = persons[persons["role"].isin(["manager", "director"]) & persons["active"]]
person_label = {
    row.id: f"{row.name} ({row.username}, {role_text(row.role)})" for row in persons.itertuples()
}

tree_tab, people_tab, settings_tab = st.tabs(
    [_("🌳 Regions"), _("👥 People"), _("⚙️ Fiscal year and ramp")]
)

with tree_tab:
    st.dataframe(
        regions.drop(columns=["id"]),
        hide_index=True,
        width="stretch",
        column_config={
            "region": _("Region"),
            "parent": _("Parent"),
            "active": st.column_config.CheckboxColumn(_("Active")),
            "managers": _("Managers"),
            "people": st.column_config.NumberColumn(_("Active people")),
        },
    )
    download_buttons(regions.drop(columns=["id"]), "regions")
    add, rename, move, retire, manage = st.tabs(
        [_("Add"), _("Rename"), _("Move"), _("Retire"), _("Managers")]
    )
    with add, st.form("add_region"):
        name = st.text_input(_("Name of the new region or team"), key="new_region_name")
        parent = st.selectbox(
            _("Under"), active_ids, format_func=region_label.get, key="new_parent"
        )
        if st.form_submit_button(_("Add region"), type="primary"):
            run_action(
                lambda s: org.add_region(s, actor, name, parent),
                _("{name} added under {parent}.").format(
                    name=name.strip(), parent=region_label[parent]
                ),
            )
    with rename, st.form("rename_region"):
        region = st.selectbox(_("Region"), active_ids, format_func=region_label.get, key="ren_r")
        name = st.text_input(_("New name"), key="ren_name")
        if st.form_submit_button(_("Rename")):
            run_action(
                lambda s: org.rename_region(s, actor, region, name),
                _("{region} is now {name}.").format(region=region_label[region], name=name.strip()),
            )
    with move, st.form("move_region"):
        region = st.selectbox(_("Region"), active_ids, format_func=region_label.get, key="mv_r")
        parent = st.selectbox(
            _("New parent"), active_ids, format_func=region_label.get, key="mv_parent"
        )
        if st.form_submit_button(_("Move")):
            run_action(
                lambda s: org.move_region(s, actor, region, parent),
                _("{region} now sits under {parent}.").format(
                    region=region_label[region], parent=region_label[parent]
                ),
            )
    with retire, st.form("retire_region"):
        region = st.selectbox(_("Region"), active_ids, format_func=region_label.get, key="rt_r")
        st.caption(_("Only an empty region can be retired; its history stays."))
        if st.form_submit_button(_("Retire")):
            run_action(
                lambda s: org.retire_region(s, actor, region),
                _("{region} is retired.").format(region=region_label[region]),
            )
    with manage, st.form("assign_manager"):
        region = st.selectbox(_("Region"), active_ids, format_func=region_label.get, key="am_r")
        manager = st.selectbox(
            _("Manager"), managers["id"].tolist(), format_func=person_label.get, key="am_p"
        )
        assign, remove = st.columns(2)
        if assign.form_submit_button(_("Assign manager")):
            run_action(
                lambda s: org.assign_manager(s, actor, region, manager),
                _("{person} manages {region}.").format(
                    person=person_label[manager], region=region_label[region]
                ),
            )
        if remove.form_submit_button(_("Remove manager")):
            run_action(
                lambda s: org.remove_manager(s, actor, region, manager),
                _("{person} no longer manages {region}.").format(
                    person=person_label[manager], region=region_label[region]
                ),
            )

with people_tab:
    st.dataframe(
        # A person imported without a hire date reads "–", not "None".
        persons.drop(columns=["id"]).assign(
            hire_date=lambda f: as_text(f["hire_date"], day),
            role=lambda f: [role_text(r) for r in f["role"]],
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "name": _("Name"),
            "username": _("Username"),
            "role": _("Role"),
            "region": _("Region"),
            "hire_date": _("Hired"),
            "active": st.column_config.CheckboxColumn(_("Active")),
        },
    )
    download_buttons(persons.drop(columns=["id"]), "people")
    active_people = persons[persons["active"]]["id"].tolist()
    add, move, upcoming, hire, functions_tab, leave = st.tabs(
        [
            _("Add"),
            _("Move to another region"),
            _("Scheduled moves"),
            _("Hire date"),
            _("Functions"),
            _("Deactivate"),
        ]
    )
    with add, st.form("add_person", clear_on_submit=False):
        left, right = st.columns(2)
        name = left.text_input(_("Name"), key="p_name")
        email = right.text_input(_("Email"), key="p_email")
        role = left.selectbox(_("Role"), ROLES, format_func=role_text, key="p_role")
        region = right.selectbox(_("Region"), active_ids, format_func=region_label.get, key="p_reg")
        hired = left.date_input(_("Hire date"), value=clock.today(), key="p_hired")
        password = right.text_input(_("First password"), type="password", key="p_password")
        if st.form_submit_button(_("Add person"), type="primary"):

            def add_person(session):
                data = people.PersonCreate(
                    email=email, name=name, role=role, region=region_label[region],
                    hire_date=hired, password=password,
                )  # fmt: skip
                people.add_person(session, actor, data)

            run_action(add_person, _("{name} added.").format(name=name))
    with move, st.form("move_person"):
        who = st.selectbox(_("Person"), active_people, format_func=person_label.get, key="mp_p")
        region = st.selectbox(_("To region"), active_ids, format_func=region_label.get, key="mp_r")
        today = clock.today()
        since = st.date_input(_("From month"), value=date(today.year, today.month, 1), key="mp_m")
        st.caption(
            _(
                "Targets before that month stay with the old region; from that month on they "
                "count for the new one. Open deals follow the person."
            )
        )
        st.caption(
            _(
                "A move from this month or an earlier one happens at once. A move from a later "
                "month is scheduled: until that month starts the person keeps their region, "
                "deals and targets."
            )
        )
        if st.form_submit_button(_("Move")):
            moved_now = _("{person} moves to {region} from {month}.").format(
                person=person_label[who], region=region_label[region], month=month_year(since)
            )
            scheduled = _(
                "{person} is scheduled to move to {region} from {month}; until then nothing "
                "changes."
            ).format(person=person_label[who], region=region_label[region], month=month_year(since))
            run_action(
                lambda s: org.move_person(s, actor, who, region, since),
                lambda moved: scheduled if moved["scheduled_change"] else moved_now,
            )
    with upcoming:
        if waiting.empty:
            st.info(_("No moves are scheduled."))
        else:
            st.dataframe(
                waiting.drop(columns=["id"]),
                hide_index=True,
                width="stretch",
                column_config={
                    "person": _("Person"),
                    "from_region": _("Now in"),
                    "to_region": _("Moves to"),
                    "from_month": st.column_config.DateColumn(
                        _("From"), format="YYYY-MM" if is_chinese() else "MMMM YYYY"
                    ),
                    "scheduled_by": _("Scheduled by"),
                    "scheduled_at": st.column_config.DatetimeColumn(_("Scheduled on")),
                },
            )
            move_label = {
                row.id: _("{person} to {region} from {month}").format(
                    person=row.person, region=row.to_region, month=month_year(row.from_month)
                )
                for row in waiting.itertuples()
            }
            with st.form("cancel_move"):
                change = st.selectbox(
                    _("Scheduled move"), list(move_label), format_func=move_label.get, key="cm_c"
                )
                if st.form_submit_button(_("Cancel this move")):
                    run_action(
                        lambda s: org.cancel_scheduled_move(s, actor, change),
                        _("The move of {move} is cancelled.").format(move=move_label[change]),
                    )
    with hire, st.form("hire_date"):
        who = st.selectbox(_("Person"), active_people, format_func=person_label.get, key="hd_p")
        hired = st.date_input(_("Hire date"), key="hd_d")
        st.caption(_("The hire date sets the new-hire ramp in the next plans."))
        if st.form_submit_button(_("Set hire date")):
            run_action(
                lambda s: org.set_hire_date(s, actor, who, hired),
                _("Hire date of {person} set to {day}.").format(
                    person=person_label[who], day=day_in_words(hired)
                ),
            )
    with functions_tab:
        known, held = deal_team_functions()
        who = st.selectbox(_("Person"), active_people, format_func=person_label.get, key="fn_p")
        with st.form("person_functions"):
            chosen = st.multiselect(
                _("Deal-team functions this person can fill"),
                known,
                default=[f for f in held.get(who, []) if f in known],
                format_func=shown,
                key=f"fn_f_{who}",
            )
            st.caption(
                _("A stage's required role is met only by a team member who has that function.")
            )
            if st.form_submit_button(_("Save functions")):
                run_functions = (
                    _("Functions of {person}: {functions}.").format(
                        person=person_label[who], functions=", ".join(chosen)
                    )
                    if chosen
                    else _("{person} has no deal-team functions now.").format(
                        person=person_label[who]
                    )
                )
                save(
                    lambda s: team.set_person_functions(s, actor, who, chosen),
                    run_functions,
                    affects={"org"},
                )
    with leave, st.form("deactivate"):
        who = st.selectbox(_("Person"), active_people, format_func=person_label.get, key="dp_p")
        st.caption(_("A deactivated person can no longer sign in; their records stay."))
        if st.form_submit_button(_("Deactivate")):
            username = persons.set_index("id").loc[who, "username"]
            run_action(
                lambda s: people.deactivate(s, actor, username),
                _("{person} is deactivated.").format(person=person_label[who]),
            )

with settings_tab:
    with st.form("fiscal_year"):
        month = st.selectbox(
            _("The fiscal year starts in"),
            range(1, 13),
            index=start_month - 1,
            format_func=month_name,
            key="fy_start",
        )
        st.caption(
            _("Existing plans keep their months; new plans and period labels use the new start.")
        )
        if st.form_submit_button(_("Save")):
            run_action(
                lambda s: set_fiscal_start_month(s, actor, month),
                _("The fiscal year now starts in {month}.").format(month=month_name(month)),
            )
    with st.form("ramp"):
        steps = st.text_input(
            _("New-hire ramp: % of a full quota in months 1, 2, 3… of tenure"),
            value=", ".join(str(p) for p in ramp),
            key="ramp_steps",
        )
        st.caption(_("Full quota after the last step. Used by the next plans."))
        if st.form_submit_button(_("Save ramp")):
            parts = [p.strip() for p in steps.replace(";", ",").split(",") if p.strip()]
            run_action(
                lambda s: set_ramp_schedule(s, actor, parts),
                _("New-hire ramp saved: {steps}.").format(steps=", ".join(p + "%" for p in parts)),
            )
