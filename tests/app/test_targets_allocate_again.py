"""Targets page, allocating again: the form opens with how the plan was allocated (method,
seasonality, padding, ramp) and keeps it when nothing is re-picked; switching the fiscal year
puts that year's figure in the target field; the manual method takes a weight per rep."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select

from core.periods import fiscal_year_of
from core.plans.allocation import create_plan
from db.engine import make_engine, session_factory
from db.schema import Person, Target, TargetPlan
from tests.app.conftest import signed_in
from tests.plan_factories import actor_named

THIS = fiscal_year_of(date.today())
NEXT = THIS + 1


@pytest.fixture
def db(app_database):
    engine = make_engine(app_database)
    yield session_factory(engine)
    engine.dispose()


def _fresh_plan(db, **options):
    """A fresh FY NEXT draft plan made by the director with `options` (earlier versions gone)."""
    with db.begin() as session:
        session.execute(delete(TargetPlan).where(TargetPlan.fiscal_year == NEXT))
        director = actor_named(session, "director")
        settings = {"fiscal_year": NEXT, "company_target": Decimal(6_000_000), "method": "equal"}
        return create_plan(session, director, **(settings | options))


def _targets(year: int = NEXT):
    at = signed_in("director")
    at.switch_page("pages/targets.py").run()
    assert not at.exception, at.exception
    if at.selectbox(key="targets_year").value != year:
        at.selectbox(key="targets_year").select(year).run()
    assert not at.exception, at.exception
    return at


def _form(at) -> dict:
    return {
        "target": at.number_input(key="plan_target").value,
        "method": at.selectbox(key="plan_method").value,
        "season": at.selectbox(key="plan_season").value,
        "padding": at.number_input(key="plan_padding").value,
        "ramp": at.radio(key="plan_ramp").value,
    }


def _weights_shown(at):
    """The table of manual weights the form shows (rep, region, weight)."""
    tables = [d.value for d in at.dataframe if list(d.value.columns) == ["rep", "region", "weight"]]
    assert len(tables) == 1, "one table of weights"
    return tables[0]


def test_allocate_again_opens_with_the_plans_own_settings_and_keeps_them(db):
    plan = _fresh_plan(
        db,
        company_target=Decimal(7_200_000),
        method="potential",
        seasonality="history",
        padding_pct=Decimal(5),
        ramp_mode="absorb",
    )
    at = _targets()
    assert _form(at) == {
        "target": 7_200_000,
        "method": "potential",
        "season": "history",
        "padding": 5.0,
        "ramp": "absorb",
    }
    assert at.button(key="plan_create").label == "Allocate again"
    at.button(key="plan_create").click().run()
    assert not at.exception, at.exception
    assert at.success and at.success[0].value.startswith(f"FY{NEXT} plan allocated")
    with db() as session:
        stored = session.get(TargetPlan, plan.id)
        assert stored.lock_version > plan.lock_version, "it was allocated again"
        assert (stored.method, stored.seasonality, stored.padding_pct, stored.ramp_mode) == (
            "potential",
            "history",
            Decimal("5.00"),
            "absorb",
        )
        assert stored.company_target == Decimal(7_200_000)


def test_switching_the_fiscal_year_puts_that_years_figure_in_the_target_field(db):
    _fresh_plan(db, company_target=Decimal(6_300_000))
    with db() as session:
        this_years = session.scalar(
            select(TargetPlan.company_target)
            .where(
                TargetPlan.fiscal_year == THIS,
                TargetPlan.measure == "revenue",
                TargetPlan.product_line == "",
            )
            .order_by(TargetPlan.version.desc())
            .limit(1)
        )
    assert this_years is not None and this_years != Decimal(6_300_000)
    at = _targets(THIS)
    assert at.number_input(key="plan_target").value == int(this_years)
    at.selectbox(key="targets_year").select(NEXT).run()
    assert not at.exception, at.exception
    assert at.number_input(key="plan_target").value == 6_300_000
    at.selectbox(key="targets_year").select(THIS).run()
    assert at.number_input(key="plan_target").value == int(this_years)


def test_a_year_without_a_plan_starts_with_an_empty_target_not_another_years(db):
    with db.begin() as session:
        session.execute(delete(TargetPlan).where(TargetPlan.fiscal_year == NEXT))
    at = _targets(THIS)
    at.selectbox(key="targets_year").select(NEXT).run()
    assert not at.exception, at.exception
    assert _form(at) == {
        "target": None,
        "method": "equal",
        "season": "flat",
        "padding": 0.0,
        "ramp": "spread",
    }
    assert any(f"Enter FY{NEXT}'s company target" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "plan_create"], "nothing to create from yet"


def test_the_manual_method_takes_a_weight_per_rep_and_allocate_again_keeps_them(db):
    with db.begin() as session:
        session.execute(delete(TargetPlan).where(TargetPlan.fiscal_year == NEXT))
    at = _targets()
    assert "Manual weights (one per rep)" in at.selectbox(key="plan_method").options
    at.number_input(key="plan_target").set_value(6_000_000).run()
    at.selectbox(key="plan_method").select("manual").run()
    assert not at.exception, at.exception
    shown = _weights_shown(at)
    assert set(shown["weight"]) == {1.0}, "every rep starts at weight 1"
    editor = f"plan_weights_{NEXT}_new"
    with db() as session:
        from core.plans.manual_weights import weight_table

        table = weight_table(session, actor_named(session, "director"))
    idle = int(table.index[0])
    idle_rep = int(table.person_id[idle])
    at.session_state[editor] = {
        "edited_rows": {idle: {"weight": 0.0}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception, at.exception
    at.button(key="plan_create").click().run()
    assert not at.exception, at.exception
    assert at.success and at.success[0].value == f"FY{NEXT} plan allocated: 6,000,000."
    with db() as session:
        plan = session.scalar(select(TargetPlan).where(TargetPlan.fiscal_year == NEXT))
        assert plan.method == "manual"
        assert plan.manual_inputs["weights"][str(idle_rep)] == "0.0"
        carried = dict(
            session.execute(
                select(Target.person_id, func.sum(Target.amount))
                .where(Target.plan_id == plan.id, Target.person_id.is_not(None))
                .group_by(Target.person_id)
            ).all()
        )
        name = session.scalar(select(Person.name).where(Person.id == idle_rep))
    assert carried[idle_rep] == 0, f"{name} weighs 0 and carries nothing"
    assert sum(1 for v in carried.values() if v > 0) == len(table) - 1

    again = _targets()
    assert again.selectbox(key="plan_method").value == "manual"
    shown = _weights_shown(again)
    assert list(shown["rep"]) == list(table["rep"])
    assert shown["weight"].tolist() == [0.0] + [1.0] * (len(table) - 1), "the kept weights"
