"""Targets and Organisation pages under AppTest, per role, over the seeded SQLite database."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select

from core.org.regions import load_region_tree
from core.periods import fiscal_year_of
from core.plans.allocation import create_plan
from core.plans.cells import PlanInfo, month_labels, plan_months
from core.plans.grid import TargetEdits, region_grid, save_edits
from core.plans.workflow import approve_plan
from db.engine import make_engine, session_factory
from db.schema import Commitment, Person, Region, Target, TargetPlan
from tests.app.conftest import signed_in
from tests.plan_factories import actor_named, sum_problems

NEXT = fiscal_year_of(date.today()) + 1


@pytest.fixture
def db(app_database):
    engine = make_engine(app_database)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def draft(db):
    """A fresh FY NEXT draft plan made by the director (earlier versions removed)."""
    with db.begin() as session:
        session.execute(delete(TargetPlan).where(TargetPlan.fiscal_year == NEXT))
        director = actor_named(session, "director")
        info = create_plan(
            session, director, fiscal_year=NEXT, company_target=Decimal(6_000_000), method="equal"
        )
    return info


def _targets(username: str, year: int = NEXT):
    at = signed_in(username)
    at.switch_page("pages/targets.py").run()
    assert not at.exception, at.exception
    if at.selectbox(key="targets_year").value != year:
        at.selectbox(key="targets_year").select(year).run()
    assert not at.exception, at.exception
    return at


def _chart_marks(at) -> list[str]:
    elements = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    marks = []
    for element in elements:
        spec = json.loads(element.proto.spec)
        mark = spec.get("mark") or spec["layer"][0]["mark"]
        marks.append(mark["type"] if isinstance(mark, dict) else mark)
    return marks


def _grid_key(db, plan: PlanInfo) -> str:
    """The director's editor key: the company grid of the plan at its current lock version."""
    with db() as session:
        root = load_region_tree(session).root_id
    return f"grid_{plan.id}_{root}_{plan.lock_version}"


def test_a_director_sets_the_company_target_sees_a_preview_and_creates_the_plan(db):
    with db.begin() as session:
        session.execute(delete(TargetPlan).where(TargetPlan.fiscal_year == NEXT))
    at = _targets("director")
    assert any(f"no FY{NEXT} plan yet" in i.value for i in at.info)
    at.number_input(key="plan_target").set_value(9_000_000).run()
    assert any("9,000,000" in m.value for m in at.markdown if "Preview" in m.value)
    assert _chart_marks(at)[:2] == ["bar", "bar"]
    at.button(key="plan_create").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [f"FY{NEXT} plan allocated: 9,000,000."]
    with db() as session:
        plan = session.scalar(select(TargetPlan).where(TargetPlan.fiscal_year == NEXT))
        root = load_region_tree(session).root_id
        total = session.scalar(
            select(func.sum(Target.amount)).where(
                Target.plan_id == plan.id, Target.region_id == root, Target.person_id.is_(None)
            )
        )
        assert total == Decimal(9_000_000)
        assert sum_problems(session, plan.id) == []
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Company target"] == "9,000,000"


def test_a_director_edit_is_previewed_then_saved_and_every_level_still_adds_up(db, draft):
    at = _targets("director")
    key = _grid_key(db, draft)
    month = month_labels(plan_months(NEXT, 1))[0]
    at.session_state[key] = {
        "edited_rows": {0: {month: 100_000}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    assert any("Preview after your change" in m.value for m in at.markdown)
    with db() as session:
        before = session.scalar(select(TargetPlan.lock_version).where(TargetPlan.id == draft.id))
    assert before == draft.lock_version, "a preview writes nothing"
    at.button(key="grid_save").click().run()
    assert not at.exception
    assert at.success and "saved" in at.success[0].value
    with db() as session:
        first = load_region_tree(session).children[load_region_tree(session).root_id][0]
        jan = session.scalar(
            select(Target.amount).where(
                Target.plan_id == draft.id,
                Target.region_id == first,
                Target.person_id.is_(None),
                Target.month == date(NEXT, 1, 1),
            )
        )
        assert jan == Decimal(100_000)
        assert sum_problems(session, draft.id) == []


def test_an_impossible_edit_shows_a_clear_message_and_saves_nothing(db, draft):
    at = _targets("director")
    key = _grid_key(db, draft)
    month = month_labels(plan_months(NEXT, 1))[3]
    at.session_state[key] = {
        "edited_rows": {0: {month: 999_999_999}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    assert "This change is not possible" in at.error[0].value
    assert "Nothing was saved" in at.error[0].value
    with db() as session:
        plan = session.get(TargetPlan, draft.id)
        assert plan.lock_version == draft.lock_version
        assert sum_problems(session, draft.id) == []


def test_a_manager_sees_and_edits_only_their_own_regions(db, draft):
    at = _targets("manager")
    with db() as session:
        manager = actor_named(session, "manager")
        tree = load_region_tree(session)
    options = at.selectbox(key=f"targets_region_{draft.id}").options
    names_in_scope = {tree.names[r] for r in manager.scope_region_ids}
    assert options and all(option.split(" / ")[-1] in names_in_scope for option in options)
    assert at.get("arrow_data_frame") or at.dataframe
    assert any(b.label.startswith("📨 Submit") for b in at.button)
    assert not any(b.label.startswith("✅ Approve") for b in at.button)


def test_a_rep_reads_their_own_targets_and_enters_a_commitment(db, draft):
    at = _targets("rep")
    with db() as session:
        rep_id = session.scalar(select(Person.id).where(Person.username == "rep"))
        mine = session.scalar(
            select(func.sum(Target.amount)).where(
                Target.plan_id == draft.id, Target.person_id == rep_id
            )
        )
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["My yearly target"] == f"{int(mine):,}"
    assert "region" not in [s.value for s in at.selectbox]  # no region grids for reps
    at.session_state[f"my_commitment_{NEXT}"] = {
        "edited_rows": {0: {month_labels(plan_months(NEXT, 1))[0]: 4242}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="save_commitment").click().run()
    assert not at.exception
    assert at.success[0].value == "Your commitment is saved."
    with db() as session:
        amounts = session.scalars(
            select(Commitment.amount).where(
                Commitment.person_id == rep_id, Commitment.fiscal_year == NEXT
            )
        ).all()
    assert sorted(amounts)[-1] == Decimal(4242) and len(amounts) == 12


@pytest.mark.parametrize("username", ["director", "admin"])
def test_directors_and_admins_open_the_organisation_page(username):
    at = signed_in(username)
    at.switch_page("pages/organisation.py").run()
    assert not at.exception
    assert at.title[0].value == "🏢 Organisation"
    shown = at.dataframe[0].value
    assert "Company" in " ".join(shown["region"])


@pytest.mark.parametrize("username", ["manager", "rep"])
def test_managers_and_reps_have_no_organisation_page(username):
    at = signed_in(username)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/organisation.py")


def test_adding_a_region_on_the_organisation_page_saves_it_and_a_duplicate_is_refused(db):
    at = signed_in("admin")
    at.switch_page("pages/organisation.py").run()
    name = f"AppTest region {date.today():%Y%m%d}"
    with db.begin() as session:
        session.execute(delete(Region).where(Region.name == name))
    at.text_input(key="new_region_name").input(name)
    at.button(key="FormSubmitter:add_region-Add region").click().run()
    assert not at.exception
    assert at.success and name in at.success[0].value
    at.text_input(key="new_region_name").input(name)
    at.button(key="FormSubmitter:add_region-Add region").click().run()
    assert "already a region" in at.error[0].value
    with db() as session:
        assert session.scalar(select(func.count()).where(Region.name == name)) == 1


def test_a_change_to_an_approved_plan_shows_as_a_new_version_that_can_be_compared(db, draft):
    with db.begin() as session:
        director = actor_named(session, "director")
        approved = approve_plan(session, director, draft.id)
        root = load_region_tree(session).root_id
        grid = region_grid(session, director, approved.id, root)
        key, total = grid.rows.key[0], int(grid.rows.Total[0])
        save_edits(
            session,
            director,
            approved.id,
            root,
            TargetEdits(totals={key: Decimal(total + 1200)}),
            expected_lock_version=approved.lock_version,
        )
        name = grid.rows.name[0]
    at = _targets("director")
    assert at.selectbox(key="targets_version").value == 2
    assert any(m.label == f"FY{NEXT} v2" and "draft" in m.value for m in at.metric)
    assert at.selectbox(key="compare_a").value == 1
    assert at.selectbox(key="compare_b").value == 2
    changes = at.dataframe[-1].value
    region_change = changes[(changes.level == "region") & changes.region.str.endswith(name)]
    assert region_change["change"].item() == 1200


def test_a_manager_re_splits_their_region_by_a_method_from_the_page(db, draft):
    at = _targets("manager")
    region_id = at.selectbox(key=f"targets_region_{draft.id}").value
    at.selectbox(key=f"resplit_method_{region_id}").select("potential").run()
    at.button(key=f"resplit_{region_id}").click().run()
    assert not at.exception
    assert "shared again by customer potential" in at.success[0].value
    with db() as session:
        assert sum_problems(session, draft.id) == []
        assert session.scalar(
            select(func.count()).where(
                TargetPlan.id == draft.id, TargetPlan.lock_version > draft.lock_version
            )
        )


def test_the_ramp_is_set_on_the_organisation_page_and_bad_input_is_refused(db):
    from core.org.company import get_setting

    at = signed_in("director")
    at.switch_page("pages/organisation.py").run()
    at.text_input(key="ramp_steps").input("10, 40, 80")
    at.button(key="FormSubmitter:ramp-Save ramp").click().run()
    assert not at.exception
    assert at.success[0].value == "New-hire ramp saved: 10%, 40%, 80%."
    at.text_input(key="ramp_steps").input("10, lots")
    at.button(key="FormSubmitter:ramp-Save ramp").click().run()
    assert "'lots' is not a percentage" in at.error[0].value
    with db.begin() as session:
        assert get_setting(session, "ramp_schedule") == [10, 40, 80]
        from core.org.company import set_ramp_schedule

        set_ramp_schedule(session, actor_named(session, "admin"), [0, 25, 50, 75])
