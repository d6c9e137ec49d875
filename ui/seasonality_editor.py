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
from babel.dates import get_month_names

from core.i18n import N_, _, babel_locale
from core.models import Actor
from core.org.access import load_actor
from core.plans import seasonality
from core.plans.cells import PlanInfo
from ui.data import cached, read, save
from ui.downloads import download_buttons

MONTHS = list(calendar.month_abbr)[1:]
NEW = "A new profile"
"""The choice that adds a profile (a stable value: widget keys are built from it); shown
translated."""
NEW_LABEL = N_("A new profile")


def month_names() -> list[str]:
    """The calendar months' short names in the current language: Jan... or 1月..."""
    names = get_month_names("abbreviated", locale=babel_locale())
    return [names[m] for m in range(1, 13)]


@cached("targets", "settings")
def profiles_of(person_id: int) -> dict[str, list[Decimal]]:
    with read() as session:
        return seasonality.profiles(session, load_actor(session, person_id))


def season_options(built_in: dict[str, str], actor: Actor) -> dict[str, str]:
    """The form's seasonality choices: the built-in ones, then every named profile."""
    return {key: _(label) for key, label in built_in.items()} | {
        name: _("Profile: {name}").format(name=name) for name in profiles_of(actor.id)
    }


def manual_season_editor(info: PlanInfo | None, suffix: str) -> list[Decimal]:
    """Twelve monthly percentages of a by-hand seasonality, starting from the plan's own."""
    values = (
        [float(v) for v in info.manual_season]
        if info is not None and info.manual_season
        else [round(100 / 12, 2)] * 11 + [round(100 - 11 * round(100 / 12, 2), 2)]
    )
    base = pd.DataFrame([values], columns=[f"M{m}" for m in range(1, 13)], index=[_("% of year")])
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
    shown = month_names()
    data = pd.DataFrame(
        [
            {"profile": name, "month": shown[i], "percent": float(v)}
            for name, values in profiles.items()
            for i, v in enumerate(values)
        ]
    )
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("month:N", title=None, sort=shown, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("percent:Q", title=_("% of the year")),
            color=alt.Color("profile:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("profile:N", title=_("Profile")),
                alt.Tooltip("month:N", title=_("Month")),
                alt.Tooltip("percent:Q", title=_("Percent"), format=".2f"),
            ],
        )
        .properties(height=260, title=_("Share of the year by calendar month"))
    )


def _percent_editor(start: list[Decimal], key: str) -> list[Decimal]:
    """Twelve percentages, a row per month, with the running total under them."""
    base = pd.DataFrame({"Month": month_names(), "Percent": [float(v) for v in start]})
    edited = st.data_editor(
        base,
        hide_index=True,
        width="stretch",
        disabled=["Month"],
        column_config={
            "Month": st.column_config.TextColumn(_("Month")),
            "Percent": st.column_config.NumberColumn(
                _("Percent"), min_value=0.0, max_value=100.0, step=0.01, format="%.2f"
            ),
        },
        key=key,
    )
    values = [Decimal(0) if pd.isna(v) else Decimal(str(v)) for v in edited["Percent"]]
    total = sum(values, Decimal(0))
    if total == 100:
        st.caption(_("The twelve months add up to exactly 100.00 %."))
    else:
        st.warning(
            _(
                "The twelve months add up to {total} %; they must add up to exactly 100.00 %."
            ).format(total=f"{total:.2f}")
        )
    return values


def _even() -> list[Decimal]:
    return [Decimal("8.33")] * 8 + [Decimal("8.34")] * 4


def _editor(actor: Actor, profiles: dict[str, list[Decimal]]) -> None:
    """Add a profile or replace one; delete one no plan uses."""
    choice = st.selectbox(
        _("Add or replace"),
        [NEW, *profiles],
        key="season_profile_choice",
        format_func=lambda c: _(NEW_LABEL) if c == NEW else c,
        help=_("Pick a profile to change it, or add a new one."),
    )
    if choice == NEW:
        name = st.text_input(_("Name of the new profile"), max_chars=30, key="season_profile_name")
        start = _even()
    else:
        name, start = choice, profiles[choice]
    values = _percent_editor(start, f"season_profile_{choice}")
    if st.button(_("Save the profile"), type="primary", key="season_profile_save"):
        save(
            lambda s: seasonality.save_profile(s, actor, name, values),
            lambda saved: _("The seasonality profile {name} is saved.").format(name=saved),
            affects={"settings"},
            forget=["season_profile_choice", "season_profile_name"],
        )
    if choice != NEW and st.button(
        _("Delete the profile {name}").format(name=choice), key="season_profile_delete"
    ):
        save(
            lambda s: seasonality.delete_profile(s, actor, choice),
            _("The seasonality profile {name} is deleted.").format(name=choice),
            affects={"settings"},
            forget=["season_profile_choice"],
        )


def profiles_section(actor: Actor) -> None:
    """The named profiles: a table and a chart for everyone, the editor for directors and
    administrators."""
    profiles = profiles_of(actor.id)
    with st.expander(_("📅 Seasonality profiles")):
        if profiles:
            table = profile_table(profiles)
            # read here, changed in the editor below: a static table
            st.table(
                table.set_index("Profile")
                .rename(columns=dict(zip(MONTHS, month_names(), strict=True)))
                .rename_axis(_("Profile"))
                .map(lambda v: f"{v:.2f}"),
                border="horizontal",
            )
            download_buttons(table, "seasonality-profiles", key="season_profiles_download")
            st.altair_chart(profile_chart(profiles), width="stretch")
        elif actor.sees_everything:
            st.info(
                _(
                    "There is no named seasonality profile yet. Add one below: twelve monthly "
                    "percentages, January to December, that add up to exactly 100."
                )
            )
        else:
            st.info(
                _(
                    "There is no named seasonality profile yet: directors add them here, and a "
                    "plan can spread its targets over the months by one."
                )
            )
        if actor.sees_everything:
            _editor(actor, profiles)
