"""Named seasonality profiles on the Targets page: twelve calendar-month percentages (January
to December) that add up to exactly 100.00. Directors and administrators add, replace and
delete them; everyone else reads them. A plan's form offers them beside flat, from history
and by hand. The rules are core.plans.seasonality's (a profile a plan uses is not deleted)."""

from __future__ import annotations

import calendar
from decimal import Decimal

import altair as alt
import pandas as pd
import streamlit as st

from core.models import Actor
from core.org.access import load_actor
from core.plans import seasonality
from core.plans.cells import PlanInfo
from ui.data import cached, read, save
from ui.downloads import download_buttons

MONTHS = list(calendar.month_abbr)[1:]
NEW = "A new profile"


@cached("targets", "settings")
def profiles_of(person_id: int) -> dict[str, list[Decimal]]:
    with read() as session:
        return seasonality.profiles(session, load_actor(session, person_id))


def season_options(built_in: dict[str, str], actor: Actor) -> dict[str, str]:
    """The form's seasonality choices: the built-in ones, then every named profile."""
    return built_in | {name: f"Profile: {name}" for name in profiles_of(actor.id)}


def manual_season_editor(info: PlanInfo | None, suffix: str) -> list[Decimal]:
    """Twelve monthly percentages of a by-hand seasonality, starting from the plan's own."""
    values = (
        [float(v) for v in info.manual_season]
        if info is not None and info.manual_season
        else [round(100 / 12, 2)] * 11 + [round(100 - 11 * round(100 / 12, 2), 2)]
    )
    base = pd.DataFrame([values], columns=[f"M{m}" for m in range(1, 13)], index=["% of year"])
    edited = st.data_editor(base, key=f"plan_manual_season_{suffix}")
    return [Decimal(str(v)) for v in edited.iloc[0].tolist()]


def profile_table(profiles: dict[str, list[Decimal]]) -> pd.DataFrame:
    """One row per profile, a column per calendar month."""
    return pd.DataFrame(
        [[name, *[float(v) for v in values]] for name, values in profiles.items()],
        columns=["Profile", *MONTHS],
    )


def profile_chart(profiles: dict[str, list[Decimal]]) -> alt.Chart:
    """Every profile's months as a line, January to December."""
    data = pd.DataFrame(
        [
            {"profile": name, "month": MONTHS[i], "percent": float(v)}
            for name, values in profiles.items()
            for i, v in enumerate(values)
        ]
    )
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("month:N", title=None, sort=MONTHS, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("percent:Q", title="% of the year"),
            color=alt.Color("profile:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("profile:N", title="Profile"),
                alt.Tooltip("month:N", title="Month"),
                alt.Tooltip("percent:Q", title="Percent", format=".2f"),
            ],
        )
        .properties(height=260, title="Share of the year by calendar month")
    )


def _percent_editor(start: list[Decimal], key: str) -> list[Decimal]:
    """Twelve percentages, a row per month, with the running total under them."""
    base = pd.DataFrame({"Month": MONTHS, "Percent": [float(v) for v in start]})
    edited = st.data_editor(
        base,
        hide_index=True,
        width="stretch",
        disabled=["Month"],
        column_config={
            "Percent": st.column_config.NumberColumn(
                "Percent", min_value=0.0, max_value=100.0, step=0.01, format="%.2f"
            )
        },
        key=key,
    )
    values = [Decimal(0) if pd.isna(v) else Decimal(str(v)) for v in edited["Percent"]]
    total = sum(values, Decimal(0))
    if total == 100:
        st.caption("The twelve months add up to exactly 100.00 %.")
    else:
        st.warning(
            f"The twelve months add up to {total:.2f} %; they must add up to exactly 100.00 %."
        )
    return values


def _even() -> list[Decimal]:
    return [Decimal("8.33")] * 8 + [Decimal("8.34")] * 4


def _editor(actor: Actor, profiles: dict[str, list[Decimal]]) -> None:
    """Add a profile or replace one; delete one no plan uses."""
    choice = st.selectbox(
        "Add or replace", [NEW, *profiles], key="season_profile_choice", help="Pick a profile "
        "to change it, or add a new one."
    )  # fmt: skip
    if choice == NEW:
        name = st.text_input("Name of the new profile", max_chars=30, key="season_profile_name")
        start = _even()
    else:
        name, start = choice, profiles[choice]
    values = _percent_editor(start, f"season_profile_{choice}")
    if st.button("Save the profile", type="primary", key="season_profile_save"):
        save(
            lambda s: seasonality.save_profile(s, actor, name, values),
            lambda saved: f"The seasonality profile {saved} is saved.",
            affects={"settings"},
            forget=["season_profile_choice", "season_profile_name"],
        )
    if choice != NEW and st.button(f"Delete the profile {choice}", key="season_profile_delete"):
        save(
            lambda s: seasonality.delete_profile(s, actor, choice),
            f"The seasonality profile {choice} is deleted.",
            affects={"settings"},
            forget=["season_profile_choice"],
        )


def profiles_section(actor: Actor) -> None:
    """The named profiles: a table and a chart for everyone, the editor for directors and
    administrators."""
    profiles = profiles_of(actor.id)
    with st.expander("📅 Seasonality profiles"):
        if profiles:
            table = profile_table(profiles)
            # read here, changed in the editor below: a static table
            st.table(
                table.set_index("Profile").map(lambda v: f"{v:.2f}"),
                border="horizontal",
            )
            download_buttons(table, "seasonality-profiles", key="season_profiles_download")
            st.altair_chart(profile_chart(profiles), width="stretch")
        elif actor.sees_everything:
            st.info(
                "There is no named seasonality profile yet. Add one below: twelve monthly "
                "percentages, January to December, that add up to exactly 100."
            )
        else:
            st.info(
                "There is no named seasonality profile yet: directors add them here, and a plan "
                "can spread its targets over the months by one."
            )
        if actor.sees_everything:
            _editor(actor, profiles)
