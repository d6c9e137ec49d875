"""Targets page on every measure, under AppTest: a director creates a visits plan spread by a
named seasonality profile, with stretch levels; the Plan box offers the year's series (revenue
first); a director breaks the revenue plan down by product line with own shares; the profile
editor refuses twelve months that add up to 99.99 and a profile a plan uses is not deleted;
budget rates and commitments are shown for the company revenue plan only. Each test works on
its own copy of the demo database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import streamlit as st
from sqlalchemy import delete, select

from core.org.regions import load_region_tree
from core.periods import fiscal_year_of
from core.plans import seasonality
from core.plans.allocation import create_plan
from core.plans.lines import product_lines
from db.config import get_settings
from db.engine import make_engine, session_factory
from db.schema import SeasonalityPercent, Target, TargetPlan
from tests.app.conftest import signed_in
from tests.plan_factories import actor_named
from tests.support import sqlite_copy

NEXT = fiscal_year_of(date.today()) + 1
PROFILE = "Quiet summer"
# Calendar months: 10 % in January to April and September to December, 5 % in May to August.
PERCENTAGES = [Decimal(10)] * 4 + [Decimal(5)] * 4 + [Decimal(10)] * 4


@pytest.fixture
def db(app_database, tmp_path, monkeypatch):
    """A copy of the demo database without FY NEXT plans and with the profile PROFILE."""
    path = tmp_path / "measures.db"
    sqlite_copy(app_database, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()
    engine = make_engine(url)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        session.execute(delete(TargetPlan).where(TargetPlan.fiscal_year == NEXT))
        seasonality.save_profile(session, actor_named(session, "director"), PROFILE, PERCENTAGES)
    yield sessions
    engine.dispose()


def _plan(sessions, **options):
    with sessions.begin() as session:
        settings = {"fiscal_year": NEXT, "company_target": Decimal(6_000_000), "method": "equal"}
        return create_plan(session, actor_named(session, "director"), **(settings | options))


def _targets(username: str = "director"):
    at = signed_in(username).switch_page("pages/targets.py").run()
    assert not at.exception, at.exception
    if at.selectbox(key="targets_year").value != NEXT:
        at.selectbox(key="targets_year").select(NEXT).run()
    assert not at.exception, at.exception
    return at


def _choose_plan(at, label: str):
    box = at.selectbox(key="targets_series")
    box.select_index(box.options.index(label)).run()
    assert not at.exception, at.exception
    return at


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_a_director_creates_a_visits_plan_spread_by_a_named_profile(db):
    at = _choose_plan(_targets(), "Visits")
    assert any(
        f"No visits plan for FY{NEXT} yet: a director creates one above." in i.value
        for i in at.info
    )
    assert f"Profile: {PROFILE}" in at.selectbox(key="plan_season").options
    at.number_input(key="plan_target").set_value(1_200)
    at.selectbox(key="plan_season").select(PROFILE)
    at.text_input(key="plan_stretch").input("125, 110").run()
    assert not at.exception, at.exception
    preview = next(m.value for m in at.markdown if m.value.startswith("**Preview:**"))
    assert preview.startswith("**Preview:** 1,200 visits to ")
    at.button(key="plan_create").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == [
        f"The FY{NEXT} visits plan is allocated: 1,200 visits."
    ]
    assert _metric(at, "Company target") == "1,200 visits"
    assert _metric(at, f"FY{NEXT} visits v1") == "📝 draft"
    with db() as session:
        plan = session.scalar(
            select(TargetPlan).where(TargetPlan.fiscal_year == NEXT, TargetPlan.measure == "visits")
        )
        assert (plan.seasonality, plan.stretch_levels) == (PROFILE, ["110", "125"])
        root = load_region_tree(session).root_id
        months = dict(
            session.execute(
                select(Target.month, Target.amount).where(
                    Target.plan_id == plan.id, Target.person_id.is_(None), Target.region_id == root
                )
            ).all()
        )
    # the demo's fiscal year starts in January: 120 visits a month, 60 in May to August
    assert {m.month: int(a) for m, a in months.items()} == {
        m: 60 if 5 <= m <= 8 else 120 for m in range(1, 13)
    }


def test_the_plan_box_offers_the_years_series_with_revenue_first(db):
    _plan(db, measure="units", company_target=Decimal(3_000))
    _plan(db)
    line = product_lines_of(db)[0]
    _plan(db, product_line=line, company_target=Decimal(2_000_000))
    manager = _targets("manager")
    assert manager.selectbox(key="targets_series").options == [
        "Revenue",
        "Units",
        f"Revenue · {line}",
    ]
    director = _targets()
    assert director.selectbox(key="targets_series").options == [
        "Revenue",
        "Units",
        "Visits",
        "Deals created",
        f"Revenue · {line}",
    ]
    assert _metric(director, "Company target") == "6,000,000"
    _choose_plan(director, "Units")
    assert _metric(director, "Company target") == "3,000 units"
    assert _metric(director, f"FY{NEXT} units v1") == "📝 draft"
    _choose_plan(director, f"Revenue · {line}")
    assert _metric(director, "Company target") == "2,000,000"
    assert _metric(director, f"FY{NEXT} revenue · {line} v1") == "📝 draft"


def product_lines_of(sessions) -> list[str]:
    with sessions() as session:
        return product_lines(session)


def test_a_director_breaks_the_revenue_plan_down_by_product_line_with_own_shares(db):
    plan = _plan(db)
    lines = product_lines_of(db)
    assert len(lines) == 3, "the demo catalogue has three product lines"
    at = _targets()
    at.radio(key=f"line_method_{plan.id}").set_value("manual").run()
    assert not at.exception, at.exception
    at.session_state[f"line_shares_{plan.id}"] = {
        "edited_rows": {0: {"Share (%)": 20.0}, 1: {"Share (%)": 50.0}, 2: {"Share (%)": 25.0}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert any("The shares add up to 95.00 %" in w.value for w in at.warning)
    at.session_state[f"line_shares_{plan.id}"] = {
        "edited_rows": {0: {"Share (%)": 20.0}, 1: {"Share (%)": 50.0}, 2: {"Share (%)": 30.0}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert any(c.value == "The shares add up to 100 %." for c in at.caption)
    at.button(key=f"line_break_{plan.id}").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == [
        f"FY{NEXT} v1 is broken down into 3 product-line plans: {', '.join(lines)}. Choose one "
        "in the Plan box to edit it."
    ]
    with db() as session:
        figures = dict(
            session.execute(
                select(TargetPlan.product_line, TargetPlan.company_target).where(
                    TargetPlan.fiscal_year == NEXT, TargetPlan.product_line != ""
                )
            ).all()
        )
    assert figures == dict(
        zip(lines, [Decimal(1_200_000), Decimal(3_000_000), Decimal(1_800_000)], strict=True)
    )
    options = at.selectbox(key="targets_series").options
    assert options[-3:] == [f"Revenue · {line}" for line in lines]
    _choose_plan(at, f"Revenue · {lines[1]}")
    assert _metric(at, "Company target") == "3,000,000"


def _profiles_shown(at) -> dict[str, list[str]]:
    """The table of profiles: name -> the twelve percentages as shown, January first."""
    (table,) = [t.value for t in at.table]
    assert list(table.columns) == ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                   "Sep", "Oct", "Nov", "Dec"]  # fmt: skip
    return {name: list(row) for name, row in table.iterrows()}


def _profile_editor(at, name: str, edits: dict):
    at.text_input(key="season_profile_name").input(name).run()
    at.session_state["season_profile_A new profile"] = {
        "edited_rows": edits,
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_profile_editor_refuses_months_that_add_up_to_99_99(db):
    at = _targets()
    # the new profile starts at 8.33 for January to August and 8.34 after: January 8.32 is 99.99
    _profile_editor(at, "Almost", {0: {"Percent": 8.32}})
    assert any(
        "The twelve months add up to 99.99 %; they must add up to exactly 100.00 %." in w.value
        for w in at.warning
    )
    at.button(key="season_profile_save").click().run()
    assert [e.value for e in at.error] == [
        "Profile 'Almost': Monthly percentages add up to 99.99, not exactly 100."
    ]
    with db() as session:
        assert not session.scalar(
            select(SeasonalityPercent.name).where(SeasonalityPercent.name == "Almost")
        )
    _profile_editor(at, "Almost", {0: {"Percent": 8.33}})
    at.button(key="season_profile_save").click().run()
    assert [s.value for s in at.success] == ["The seasonality profile Almost is saved."]
    assert set(_profiles_shown(at)) >= {"Almost", PROFILE}


def test_a_profile_a_plan_uses_is_not_deleted(db):
    _plan(db, measure="visits", company_target=Decimal(1_200), seasonality=PROFILE)
    at = _targets()
    at.selectbox(key="season_profile_choice").select(PROFILE).run()
    at.button(key="season_profile_delete").click().run()
    assert [e.value for e in at.error] == [
        f"A plan uses the profile '{PROFILE}'; it cannot be deleted."
    ]
    with db() as session:
        assert session.scalar(
            select(SeasonalityPercent.name).where(SeasonalityPercent.name == PROFILE)
        )


def test_a_manager_reads_the_profiles_without_the_editor(db):
    at = _targets("manager")
    assert _profiles_shown(at)[PROFILE] == [f"{v:.2f}" for v in PERCENTAGES]
    assert not [b for b in at.button if b.key == "season_profile_save"]


def test_budget_rates_and_commitments_are_hidden_for_a_units_plan(db):
    _plan(db)
    _plan(db, measure="units", company_target=Decimal(3_000))
    at = _targets()
    assert [e for e in at.expander if "Budget rates of" in e.label], "the revenue plan has them"
    assert any(h.value == "Top-down vs bottom-up" for h in at.subheader)
    _choose_plan(at, "Units")
    assert not [e for e in at.expander if "Budget rates of" in e.label]
    assert not [h for h in at.subheader if h.value == "Top-down vs bottom-up"]
    assert not [e for e in at.expander if "Capacity" in e.label]


def test_versions_and_compare_follow_the_chosen_series(db):
    from core.plans.grid import TargetEdits, region_grid, save_edits
    from core.plans.workflow import approve_plan

    _plan(db)
    units = _plan(db, measure="units", company_target=Decimal(3_000))
    with db.begin() as session:
        director = actor_named(session, "director")
        approved = approve_plan(session, director, units.id)
        root = load_region_tree(session).root_id
        grid = region_grid(session, director, approved.id, root)
        key, total, name = grid.rows.key[0], int(grid.rows.Total[0]), grid.rows.name[0]
        save_edits(
            session,
            director,
            approved.id,
            root,
            TargetEdits(totals={key: Decimal(total + 120)}),
            expected_lock_version=approved.lock_version,
        )
    at = _targets()
    assert not [s for s in at.selectbox if s.key == "targets_version"], "revenue has one version"
    _choose_plan(at, "Units")
    assert at.selectbox(key="targets_version").value == 2
    assert _metric(at, f"FY{NEXT} units v2") == "📝 draft"
    assert _metric(at, "Company target") == "3,000 units", "the other regions absorb the change"
    changes = at.dataframe[-1].value
    region_change = changes[(changes.level == "region") & changes.region.str.endswith(name)]
    assert region_change["change"].item() == 120
    at.selectbox(key="targets_version").select(1).run()
    assert _metric(at, f"FY{NEXT} units v1") == "✅ approved"
    _choose_plan(at, "Revenue")
    assert _metric(at, f"FY{NEXT} v1") == "📝 draft", "back to the revenue plan's own version"


def test_a_director_names_the_stretch_levels_of_a_draft_plan(db):
    plan = _plan(db, measure="units", company_target=Decimal(3_000))
    at = _choose_plan(_targets(), "Units")
    key = f"stretch_{plan.id}_{plan.lock_version}"
    at.text_input(key=key).input("95").run()
    at.button(key=f"{key}_save").click().run()
    assert [e.value for e in at.error] == [
        "A stretch level is a percentage of the target above 100 (got 95.00)."
    ]
    at.text_input(key=key).input("125; 110 %").run()
    at.button(key=f"{key}_save").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == [
        f"FY{NEXT} units v1 now has the stretch levels 110, 125 %."
    ]
    with db() as session:
        assert session.get(TargetPlan, plan.id).stretch_levels == ["110", "125"]
