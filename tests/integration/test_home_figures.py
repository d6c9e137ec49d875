"""Home page figures from SQL equal an independent pandas computation over the same rows."""

from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import select

from core.errors import PermissionDenied
from core.org.access import load_actor
from core.org.regions import load_region_tree
from core.periods import quarter_of
from core.progress import attainment as evaluation
from core.progress import figures as figure_rules
from core.progress import scopes
from db.schema import Deal, Person, Stage, Target
from tests.attainment_books import credited, priced
from tests.conftest import SEED_TODAY


def _deals(session) -> pd.DataFrame:
    """The priced deals in the company currency (tests/attainment_books converts them)."""
    result = session.execute(
        select(
            Deal.id,
            Deal.owner_id,
            Deal.region_id,
            Deal.amount,
            Deal.currency,
            Deal.status,
            Deal.closed_on,
            Deal.expected_close,
            Stage.probability,
        ).join(Stage, Stage.id == Deal.stage_id)
    )
    return priced(session, pd.DataFrame(result.all(), columns=list(result.keys())))


def _targets(session, plan_id) -> pd.DataFrame:
    result = session.execute(
        select(Target.region_id, Target.person_id, Target.month, Target.amount).where(
            Target.plan_id == plan_id
        )
    )
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def _person(session, username):
    return load_actor(session, session.scalar(select(Person.id).where(Person.username == username)))


def _expected(deals, mask, period):
    won = deals[
        mask
        & (deals.status == "won")
        & (deals.closed_on >= period.start)
        & (deals.closed_on <= period.end)
    ]
    pipe = deals[
        mask
        & (deals.status == "open")
        # the rest of the period: deals whose expected close has passed are overdue
        & (deals.expected_close >= max(period.start, SEED_TODAY))
        & (deals.expected_close <= period.end)
    ]
    weighted = sum((a * p for a, p in zip(pipe.amount, pipe.probability)), Decimal(0))
    return sum(won.amount, Decimal(0)), sum(pipe.amount, Decimal(0)), weighted


@pytest.mark.parametrize("username", ["director", "manager", "rep"])
def test_each_roles_home_figures_match_an_independent_computation(session, username):
    actor = _person(session, username)
    period = quarter_of(SEED_TODAY)
    scope = scopes.default_scope(session, actor)
    figures = evaluation.scope_figures(session, scope, period)

    deals = _deals(session)
    targets = _targets(session, figure_rules.active_plan_id(session, period.fiscal_year))
    in_period = (targets.month >= period.start) & (targets.month <= period.end)
    tree = load_region_tree(session)
    if username != "director":
        deals = credited(session, deals)  # a rep and a region count their shares
    if username == "rep":
        mask = deals.owner_id == actor.id
        target = targets[in_period & (targets.person_id == actor.id)].amount.sum()
    elif username == "manager":
        mask = deals.region_id.isin(actor.scope_region_ids)
        target = targets[
            in_period & targets.person_id.isna() & targets.region_id.isin(scope.top_region_ids)
        ].amount.sum()
        assert set(scope.top_region_ids) == {actor.region_id}
    else:
        mask = deals.region_id.notna()
        target = targets[
            in_period & targets.person_id.isna() & (targets.region_id == tree.root_id)
        ].amount.sum()
    won, pipeline, weighted = _expected(deals, mask, period)
    assert figures.won == won
    assert figures.target == Decimal(target)
    assert figures.open_pipeline == pipeline
    assert abs(figures.weighted_pipeline - weighted) <= Decimal("0.01")
    assert figures.attainment == (won / Decimal(target)).quantize(Decimal("0.0001"))
    assert won > 0


def test_the_company_breakdown_by_region_adds_up_to_the_company(session):
    actor = _person(session, "director")
    period = quarter_of(SEED_TODAY)
    scope = scopes.default_scope(session, actor)
    rows = evaluation.breakdown(session, scope, period)
    figures = evaluation.scope_figures(session, scope, period)
    assert sum(r.won for r in rows) == figures.won
    assert sum(r.target for r in rows) == figures.target


def test_a_managers_breakdown_lists_the_reps_of_the_managed_regions(session):
    actor = _person(session, "manager")
    period = quarter_of(SEED_TODAY)
    rows = evaluation.breakdown(session, scopes.default_scope(session, actor), period)
    in_scope = set(
        session.scalars(
            select(Person.name).where(
                Person.region_id.in_(actor.scope_region_ids), Person.role == "rep"
            )
        )
    )
    assert {r.label for r in rows} <= in_scope and rows


def test_a_reps_breakdown_is_the_months_of_the_quarter(session):
    actor = _person(session, "rep")
    period = quarter_of(SEED_TODAY)
    rows = evaluation.breakdown(session, scopes.default_scope(session, actor), period)
    assert len(rows) == 3
    assert (
        sum(r.won for r in rows)
        == evaluation.scope_figures(session, scopes.default_scope(session, actor), period).won
    )


def test_a_rep_may_not_open_another_reps_or_a_regions_figures(session):
    rep = _person(session, "rep")
    other = session.scalar(select(Person.id).where(Person.role == "rep", Person.id != rep.id))
    with pytest.raises(PermissionDenied):
        scopes.rep_scope(session, rep, other)
    with pytest.raises(PermissionDenied):
        scopes.region_scope(session, rep, rep.region_id)


def test_a_manager_may_not_open_a_region_outside_the_subtree(session):
    manager = _person(session, "manager")
    outside = next(r for r in load_region_tree(session).names if r not in manager.scope_region_ids)
    with pytest.raises(PermissionDenied):
        scopes.region_scope(session, manager, outside)


def test_home_parts_carry_the_expected_to_date_attainment_colours_by(session):
    """Home and Attainment colour a region by the same rule, so both read the same expected to
    date for it; a rep's months: ended months expected in full, later ones not at all, this
    month by day."""
    import calendar

    director = _person(session, "director")
    period = quarter_of(SEED_TODAY)
    scope = scopes.default_scope(session, director)
    home = {r.label: r for r in evaluation.breakdown(session, scope, period, today=SEED_TODAY)}
    _, parts = evaluation.scope_attainment(session, scope, period, today=SEED_TODAY, simulate=False)
    assert parts and {p.label for p in parts} == set(home)
    for part in parts:
        assert home[part.label].expected_to_date == part.expected_to_date, part.label

    rep = _person(session, "rep")
    months = evaluation.breakdown(
        session, scopes.default_scope(session, rep), period, today=SEED_TODAY
    )
    for month, row in zip(period.months(), months, strict=True):
        if row.target is None:
            assert row.expected_to_date is None
        elif (month.year, month.month) < (SEED_TODAY.year, SEED_TODAY.month):
            assert row.expected_to_date == row.target
        elif (month.year, month.month) > (SEED_TODAY.year, SEED_TODAY.month):
            assert row.expected_to_date == 0
        else:
            days = calendar.monthrange(month.year, month.month)[1]
            share = Decimal(SEED_TODAY.day) / Decimal(days)
            assert row.expected_to_date == (row.target * share).quantize(Decimal("0.01"))
