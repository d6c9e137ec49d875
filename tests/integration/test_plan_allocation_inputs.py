"""A plan keeps how it was allocated (method, seasonality, padding, ramp mode, manual monthly
percentages and rep weights), through a new version too, so it can be allocated again the
same way; manual weights are checked before anything is written."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from core.errors import PermissionDenied, ValidationFailed
from core.plans.allocation import create_plan
from core.plans.manual_weights import weight_table, weights_by_login
from core.plans.views import get_plan
from core.plans.workflow import approve_plan, new_version
from db.schema import Person, Target, TargetPlan
from tests.plan_factories import actor_named

D = Decimal
YEAR = 2032
SEASON = [D(6)] * 6 + [D("10.5")] * 5 + [D("11.5")]  # sums to 100


def _rep_totals(session, plan_id) -> dict[int, Decimal]:
    return dict(
        session.execute(
            select(Target.person_id, func.sum(Target.amount))
            .where(Target.plan_id == plan_id, Target.person_id.is_not(None))
            .group_by(Target.person_id)
        ).all()
    )


def test_the_plan_keeps_its_ramp_mode_and_manual_inputs_into_a_new_version(session):
    director = actor_named(session, "director")
    table = weight_table(session, director)
    first, second = (int(p) for p in table.person_id[:2])
    weights = {first: D(3), second: D(1)} | {int(p): D(0) for p in table.person_id[2:]}
    info = create_plan(
        session,
        director,
        fiscal_year=YEAR,
        company_target=D(12_000_000),
        method="manual",
        seasonality="manual",
        padding_pct=D(0),
        ramp_mode="absorb",
        manual_weights=weights,
        manual_season=SEASON,
    )
    assert info.method == "manual" and info.ramp_mode == "absorb"
    assert info.manual_season == SEASON
    assert info.manual_weights == weights
    totals = _rep_totals(session, info.id)  # reps hired long before 2032 are fully ramped
    assert totals[first] == D(9_000_000) and totals[second] == D(3_000_000)
    assert all(totals[int(p)] == 0 for p in table.person_id[2:])

    approved = approve_plan(session, director, info.id)
    copy = new_version(session, director, approved.id)
    assert copy.version == info.version + 1
    assert (copy.method, copy.seasonality, copy.ramp_mode) == ("manual", "manual", "absorb")
    assert copy.manual_season == SEASON and copy.manual_weights == weights
    again = weight_table(session, director, copy.manual_weights)
    assert dict(zip(again.person_id, again.weight)) == weights


def test_allocating_again_in_place_replaces_the_kept_inputs(session):
    director = actor_named(session, "director")
    create_plan(
        session, director, fiscal_year=YEAR, company_target=D(1_200_000), method="equal",
        seasonality="manual", manual_season=SEASON, ramp_mode="absorb",
    )  # fmt: skip
    create_plan(
        session, director, fiscal_year=YEAR, company_target=D(1_200_000), method="potential",
        seasonality="flat", padding_pct=D("2.5"), ramp_mode="spread",
    )  # fmt: skip
    info = get_plan(session, director, YEAR)
    assert info.version == 1
    assert (info.method, info.seasonality, info.padding_pct, info.ramp_mode) == (
        "potential",
        "flat",
        D("2.50"),
        "spread",
    )
    assert info.manual_season is None and info.manual_weights is None
    stored = session.scalar(select(TargetPlan.manual_inputs).where(TargetPlan.id == info.id))
    assert stored is None


def test_bad_manual_weights_are_refused_and_nothing_is_written(session):
    director = actor_named(session, "director")
    before = session.scalar(select(func.count()).select_from(TargetPlan))
    manager = session.scalar(select(Person.id).where(Person.username == "manager"))
    rep = session.scalar(select(Person.id).where(Person.username == "rep"))
    options = {"fiscal_year": YEAR, "company_target": D(1_000_000), "method": "manual"}
    with pytest.raises(ValidationFailed, match="is not an active rep"):
        create_plan(session, director, **options, manual_weights={manager: D(1)})
    with pytest.raises(ValidationFailed, match="must be zero or more"):
        create_plan(session, director, **options, manual_weights={rep: D(-1)})
    with pytest.raises(ValidationFailed, match="positive manual weight"):
        create_plan(session, director, **options, manual_weights={rep: D(0)})
    assert session.scalar(select(func.count()).select_from(TargetPlan)) == before


def test_weights_are_read_by_username_or_email_and_bad_rows_are_named(session):
    rep = session.execute(
        select(Person.id, Person.username, Person.email).where(Person.username == "rep")
    ).one()
    other = session.execute(
        select(Person.id, Person.email).where(Person.role == "rep", Person.id != rep.id).limit(1)
    ).one()
    weights = weights_by_login(
        session, [{"rep": rep.username.upper(), "weight": "2"}, {"rep": other.email, "weight": "1"}]
    )
    assert weights == {rep.id: D(2), other.id: D(1)}
    with pytest.raises(ValidationFailed, match="Row 3: there is no person 'nobody'"):
        weights_by_login(session, [{"rep": "rep", "weight": "1"}, {"rep": "nobody", "weight": "1"}])
    with pytest.raises(ValidationFailed, match="Row 2: .* is not an active rep"):
        weights_by_login(session, [{"rep": "manager", "weight": "1"}])
    with pytest.raises(ValidationFailed, match="Row 3: .* is named twice"):
        weights_by_login(session, [{"rep": "rep", "weight": "1"}, {"rep": "rep", "weight": "2"}])
    with pytest.raises(ValidationFailed, match="Row 2: the weight of .* plain number"):
        weights_by_login(session, [{"rep": "rep", "weight": "lots"}])


def test_a_weights_file_is_read_with_one_query_whatever_its_length(session):
    reps = session.execute(
        select(Person.id, Person.email).where(Person.role == "rep", Person.active.is_(True))
    ).all()
    assert len(reps) >= 5
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", seen)
    try:
        weights = weights_by_login(session, [{"rep": r.email, "weight": "1"} for r in reps])
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    assert weights == {r.id: D(1) for r in reps}
    assert len(statements) == 1


@pytest.mark.parametrize("username", ["manager", "rep"])
def test_only_directors_read_the_table_of_manual_weights(session, username):
    with pytest.raises(PermissionDenied):
        weight_table(session, actor_named(session, username))
