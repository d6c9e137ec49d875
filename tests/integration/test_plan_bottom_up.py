"""Top-down vs bottom-up: a rep who has not committed is "not yet committed", not 0, and a
region's commitment has a gap only once every rep in it (or the region itself) committed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from core.org.regions import load_region_tree
from core.plans import bottom_up as commitments
from core.plans.allocation import create_plan
from db.schema import Person
from tests.plan_factories import actor_named, target_rows

D = Decimal
YEAR = 2031


@pytest.fixture
def plan(session):
    director = actor_named(session, "director")
    return create_plan(
        session, director, fiscal_year=YEAR, company_target=D(12_000_000), method="equal"
    )


def _region_with_reps(session, plan_id):
    """A top region and the reps carrying targets anywhere below it (from the stored rows)."""
    tree = load_region_tree(session)
    rows = target_rows(session, plan_id)
    reps_at = rows[rows.person_id.notna()][["person_id", "region_id"]].drop_duplicates()
    for top in tree.children[tree.root_id]:
        below = tree.subtree(top)
        reps = sorted({int(p) for p, r in zip(reps_at.person_id, reps_at.region_id) if r in below})
        if len(reps) >= 2:
            yearly = rows[rows.region_id.isin(below) & rows.person_id.isna()]
            target = yearly[yearly.region_id == top].amount.sum()
            return tree, top, reps, target
    raise AssertionError("the demo data has a top region with two reps")


def test_one_reps_early_commitment_is_not_the_regions_shortfall(session, plan):
    director = actor_named(session, "director")
    tree, top, reps, region_target = _region_with_reps(session, plan.id)
    first, *others = reps
    commitments.set_commitments(
        session, director, YEAR, {m: D(1_000) for m in range(12)}, person_id=first
    )
    company = commitments.topdown_vs_bottomup(session, director, plan.id, tree.root_id)
    row = company.set_index("name").loc[tree.names[top]]
    assert row.target == region_target
    assert row.commitment == D(12_000)
    assert (row.reps, row.reps_committed) == (len(reps), 1)
    assert not row.complete
    assert row.gap is None and row.gap_pct is None, "a partial commitment has no gap yet"

    names = dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(reps))).all())
    home = session.scalar(select(Person.region_id).where(Person.id == first))
    own = commitments.topdown_vs_bottomup(session, director, plan.id, home).set_index("name")
    assert own.loc[names[first], "commitment"] == D(12_000) and own.loc[names[first], "complete"]
    for other in others:
        if names[other] in own.index:
            assert own.loc[names[other], "commitment"] is None
            assert own.loc[names[other], "gap"] is None
            assert not own.loc[names[other], "complete"]


def test_the_regions_gap_appears_once_every_rep_has_committed(session, plan):
    director = actor_named(session, "director")
    tree, top, reps, region_target = _region_with_reps(session, plan.id)
    for person_id in reps:
        commitments.set_commitments(
            session, director, YEAR, {m: D(2_000) for m in range(12)}, person_id=person_id
        )
    company = commitments.topdown_vs_bottomup(session, director, plan.id, tree.root_id)
    row = company.set_index("name").loc[tree.names[top]]
    committed = D(24_000) * len(reps)
    assert row.complete and row.reps_committed == len(reps)
    assert row.commitment == committed
    assert row.gap == committed - region_target
    assert row.gap_pct == ((committed - region_target) / region_target).quantize(D("0.0001"))


def test_a_commitment_entered_for_the_region_is_complete_on_its_own(session, plan):
    director = actor_named(session, "director")
    tree, top, _, region_target = _region_with_reps(session, plan.id)
    commitments.set_commitments(session, director, YEAR, {0: D(50_000)}, region_id=top)
    company = commitments.topdown_vs_bottomup(session, director, plan.id, tree.root_id)
    row = company.set_index("name").loc[tree.names[top]]
    assert row.complete and row.commitment == D(50_000)
    assert row.gap == D(50_000) - region_target
    untouched = company[company.name != tree.names[top]]
    assert untouched.commitment.isna().all() and untouched.gap.isna().all()
