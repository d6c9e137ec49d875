"""Who sees which attainment figures, and how the page's scopes split into parts."""

import pytest
from sqlalchemy import select

from core.errors import PermissionDenied, ValidationFailed
from core.org.access import load_actor
from core.org.regions import load_region_tree
from core.periods import quarter_of
from core.progress import attainment as evaluation
from core.progress import scopes, views
from db.schema import Person
from tests.conftest import SEED_TODAY

PERIOD = quarter_of(SEED_TODAY)


def _actor(session, username):
    return load_actor(session, session.scalar(select(Person.id).where(Person.username == username)))


def test_only_directors_and_admins_see_the_company_row(session):
    for username in ("manager", "rep"):
        with pytest.raises(PermissionDenied):
            evaluation.attainment_report(session, _actor(session, username), PERIOD, "company")
    rows = evaluation.attainment_report(
        session, _actor(session, "director"), PERIOD, "company", simulate=False
    )
    assert [r.entity for r in rows] == ["company"]


def test_a_manager_lists_only_the_regions_and_reps_of_the_managed_subtree(session):
    manager = _actor(session, "manager")
    tree = load_region_tree(session)
    regions = evaluation.attainment_report(session, manager, PERIOD, "region", simulate=False)
    assert {r.entity for r in regions} == {tree.names[i] for i in manager.scope_region_ids}
    reps = evaluation.attainment_report(session, manager, PERIOD, "rep", simulate=False)
    in_scope = set(
        session.scalars(select(Person.email).where(Person.region_id.in_(manager.scope_region_ids)))
    )
    assert reps and {r.entity for r in reps} <= in_scope
    outside = next(name for i, name in tree.names.items() if i not in manager.scope_region_ids)
    with pytest.raises(PermissionDenied):
        evaluation.attainment_report(session, manager, PERIOD, "region", region=outside)


def test_a_rep_sees_only_their_own_row_and_deals(session):
    rep = _actor(session, "rep")
    rows = evaluation.attainment_report(session, rep, PERIOD, "rep", simulate=False)
    assert [r.entity for r in rows] == [session.get(Person, rep.id).email]
    with pytest.raises(PermissionDenied):
        evaluation.attainment_report(session, rep, PERIOD, "region")
    other = session.scalar(select(Person.id).where(Person.role == "rep", Person.id != rep.id))
    with pytest.raises(PermissionDenied):
        views.rep_deals(session, rep, other, PERIOD)
    with pytest.raises(PermissionDenied):
        scopes.scope_for(session, rep, "company")
    with pytest.raises(ValidationFailed):
        scopes.scope_for(session, rep, "galaxy:1")


def test_the_company_view_adds_up_over_its_regions_and_the_series_end_at_the_totals(session):
    director = _actor(session, "director")
    view = views.attainment_view(session, director, "company", PERIOD, today=SEED_TODAY)
    assert view.part_kind == "region" and view.parts
    assert sum(p.won for p in view.parts) == view.head.won
    assert sum(p.target for p in view.parts) == view.head.target
    assert sum(p.open_pipeline for p in view.parts) == view.head.open_pipeline
    last_won = [c["won"] for c in view.cumulative if c["won"] is not None][-1]
    assert last_won == view.head.won
    assert view.cumulative[-1]["target"] == view.head.target
    heat_won = sum(c["won"] for c in view.heatmap)
    assert heat_won == view.head.won


def test_a_team_without_sub_regions_splits_into_its_reps(session):
    manager = _actor(session, "manager")
    tree = load_region_tree(session)
    team = next(i for i in manager.scope_region_ids if not tree.children.get(i))
    view = views.attainment_view(session, manager, f"region:{team}", PERIOD, today=SEED_TODAY)
    assert view.part_kind == "rep"
    assert sum(p.won for p in view.parts) == view.head.won
    deals = views.rep_deals(session, manager, int(view.parts[0].key[4:]), PERIOD)
    assert all(d["status"] in ("won", "open") for d in deals)
