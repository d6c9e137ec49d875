"""Targets page, top-down vs bottom-up: reps who have not committed read "Not yet committed",
a region's partial commitment is shown as committed so far with no gap, and the table has
formatted figures under readable column names."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select

from core.org.regions import load_region_tree
from core.periods import fiscal_year_of
from core.plans.allocation import create_plan
from core.plans.bottom_up import set_commitments
from db.engine import make_engine, session_factory
from db.schema import Commitment, Person, Target, TargetPlan
from tests.app.conftest import signed_in
from tests.plan_factories import actor_named

NEXT = fiscal_year_of(date.today()) + 1
COLUMNS = [
    "Sub-region / rep",
    "Top-down target",
    "Bottom-up commitment",
    "Gap (commitment − target)",
    "Gap % of target",
]


@pytest.fixture
def db(app_database):
    engine = make_engine(app_database)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def one_rep_committed(db):
    """A fresh FY NEXT plan in which only the demo rep "rep" has committed (1,000 a month)."""
    with db.begin() as session:
        session.execute(delete(TargetPlan).where(TargetPlan.fiscal_year == NEXT))
        session.execute(delete(Commitment).where(Commitment.fiscal_year == NEXT))
        director = actor_named(session, "director")
        info = create_plan(
            session, director, fiscal_year=NEXT, company_target=Decimal(6_000_000), method="equal"
        )
        rep = session.scalar(select(Person).where(Person.username == "rep"))
        set_commitments(
            session, director, NEXT, {m: Decimal(1_000) for m in range(12)}, person_id=rep.id
        )
        tree = load_region_tree(session)
        top = next(r for r in tree.path(rep.region_id) if tree.parents.get(r) == tree.root_id)
        reps_below = session.scalar(
            select(func.count(func.distinct(Target.person_id))).where(
                Target.plan_id == info.id,
                Target.person_id.is_not(None),
                Target.region_id.in_(tree.subtree(top)),
            )
        )
        return {
            "plan": info,
            "rep": rep.name,
            "rep_region": rep.region_id,
            "top": tree.names[top],
            "reps_below": reps_below,
        }


def _gaps_table(at):
    tables = [d.value for d in at.dataframe if "Bottom-up commitment" in d.value.columns]
    assert len(tables) == 1, "one top-down vs bottom-up table"
    return tables[0].set_index("Sub-region / rep")


def _open_targets():
    at = signed_in("director")
    at.switch_page("pages/targets.py").run()
    if at.selectbox(key="targets_year").value != NEXT:
        at.selectbox(key="targets_year").select(NEXT).run()
    assert not at.exception, at.exception
    return at


def test_the_company_view_shows_a_partial_commitment_without_a_shortfall(one_rep_committed):
    at = _open_targets()
    table = _gaps_table(at)
    assert list(table.reset_index().columns) == COLUMNS
    top = table.loc[f"🗂 {one_rep_committed['top']}"]
    assert top["Bottom-up commitment"] == (
        f"12,000 so far (1 of {one_rep_committed['reps_below']} reps)"
    )
    assert top["Gap (commitment − target)"] == "–" and top["Gap % of target"] == "–"
    others = table.drop(index=f"🗂 {one_rep_committed['top']}")
    assert set(others["Bottom-up commitment"]) == {"Not yet committed"}
    for value in table["Top-down target"]:  # whole units with thousands separators
        assert value == f"{int(value.replace(',', '')):,}"
    assert any("," in value for value in table["Top-down target"])
    assert not any("None" in str(v) or "nan" in str(v) for v in table.to_numpy().ravel())


def test_a_region_view_marks_reps_who_have_not_committed(one_rep_committed):
    at = _open_targets()
    info = one_rep_committed["plan"]
    at.selectbox(key=f"targets_region_{info.id}").select(one_rep_committed["rep_region"]).run()
    assert not at.exception, at.exception
    table = _gaps_table(at)
    mine = table.loc[f"👤 {one_rep_committed['rep']}"]
    assert mine["Bottom-up commitment"] == "12,000"
    target = int(mine["Top-down target"].replace(",", ""))
    assert mine["Gap (commitment − target)"] == f"{12_000 - target:+,}"
    assert mine["Gap % of target"] == f"{(12_000 - target) / target * 100:+.1f}%"
    others = table.drop(index=f"👤 {one_rep_committed['rep']}")
    assert len(others) and set(others["Bottom-up commitment"]) == {"Not yet committed"}
    assert set(others["Gap (commitment − target)"]) == {"–"}


def test_a_rep_who_has_not_committed_is_told_so_not_shown_a_shortfall(db, one_rep_committed):
    with db.begin() as session:
        session.execute(delete(Commitment).where(Commitment.fiscal_year == NEXT))
    at = signed_in("rep")
    at.switch_page("pages/targets.py").run()
    if at.selectbox(key="targets_year").value != NEXT:
        at.selectbox(key="targets_year").select(NEXT).run()
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption]
    assert any(c.startswith("You have not committed yet.") for c in captions)
    assert not any("Commitment minus target" in c for c in captions)
