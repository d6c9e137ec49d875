"""The hand-written queries `make bench` times core against compute the same figures as core
(company amounts, split deals credited through their shares), on the seeded demo data, on
SQLite and PostgreSQL: a faster query that answered something else would prove nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select, text

from bench.run import CASES
from core.org.access import load_actor
from core.org.regions import load_region_tree
from core.performance import scorecard
from core.periods import quarter_of
from core.progress import attainment, figures, scopes
from db.schema import Deal, Person, RegionManager
from tests.conftest import SEED_TODAY

CENT = Decimal("0.01")
PERIOD = quarter_of(SEED_TODAY)


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def _case(name: str, dialect: str) -> str:
    case = next(c for c in CASES if c.name.startswith(name))
    return case.sql if isinstance(case.sql, str) else case.sql[dialect]


def _params(session, **extra) -> dict:
    people = dict(
        session.execute(
            select(Person.username, Person.id).where(Person.username.in_(["director", "manager"]))
        ).all()
    )
    return {
        "start": PERIOD.start,
        "open_start": max(PERIOD.start, SEED_TODAY),
        "end": PERIOD.end,
        "plan": figures.active_plan_id(session, PERIOD.fiscal_year),
        "manager": people["manager"],
        "director": people["director"],
        "today": SEED_TODAY,
        **extra,
    }


def _run(session, name: str, params: dict) -> list:
    sql = _case(name, session.get_bind().dialect.name)
    return session.execute(text(sql), params).all()


def test_won_by_region_and_by_rep_credit_split_deals_like_core(session):
    assert session.scalar(
        select(Deal.id).where(Deal.credit_shared.is_(True), *figures.won_in(PERIOD)).limit(1)
    ), "a split deal won this quarter, so the split part of the queries is exercised"
    params = _params(session)
    by_region = {r: _money(won) for r, won, _ in _run(session, "attainment by region", params)}
    core = figures.won(session, PERIOD, by="region")
    assert {k: v for k, v in by_region.items() if v} == {k: t.amount for k, t in core.items()}

    tree = load_region_tree(session)
    managed = session.scalars(
        select(RegionManager.region_id).where(RegionManager.person_id == params["manager"])
    )
    region_ids = set().union(*(tree.subtree(r) for r in managed))
    by_rep = {p: _money(won) for p, won, _ in _run(session, "attainment by rep", params)}
    core = figures.won(session, PERIOD, by="owner", where=[Deal.region_id.in_(region_ids)])
    assert {k: v for k, v in by_rep.items() if v} == {k: t.amount for k, t in core.items()}


def test_company_figures_match_the_headline(session):
    params = _params(session)
    ((won, open_pipeline, weighted, target),) = _run(session, "company figures", params)
    director = load_actor(session, params["director"])
    head = attainment.scope_figures(
        session, scopes.default_scope(session, director), PERIOD, today=SEED_TODAY
    )
    assert (_money(won), _money(open_pipeline), _money(target)) == (
        head.won,
        head.open_pipeline,
        head.target,
    )
    assert abs(_money(weighted) - head.weighted_pipeline) <= CENT


def test_the_leaderboard_query_gives_each_rep_the_scorecards_raw_figures(session):
    nothing = date(1900, 1, 1)  # the previous-quarter half of the query left empty
    params = _params(session, prev_start=nothing, prev_end=nothing)
    rows: dict[int, dict] = {}
    for rep, won, _target, wins, losses, _cycle, created, _visits, _other in _run(
        session, "leaderboard", params
    ):
        if rep is None:
            continue
        row = rows.setdefault(rep, {"won": CENT * 0, "wins": 0, "losses": 0, "created": CENT * 0})
        row["won"] += _money(won)
        row["wins"] += int(wins or 0)
        row["losses"] += int(losses or 0)
        row["created"] += _money(created)
    core = scorecard.rep_figures(session, PERIOD, None, scorecard.benchmarks(session))
    compared = 0
    for rep, row in rows.items():
        if not (row["wins"] or row["losses"] or row["created"]):
            continue
        figures_of = core[rep]
        assert (figures_of.won_amount, figures_of.won_deals, figures_of.lost_deals) == (
            row["won"],
            row["wins"],
            row["losses"],
        ), rep
        assert figures_of.pipeline_created == row["created"], rep
        compared += 1
    assert compared > 3


def test_the_measure_queries_count_units_and_visits_like_core(session):
    from core.periods import week_of
    from core.progress import measures

    manager = load_actor(session, _params(session)["manager"])
    week = week_of(SEED_TODAY)
    params = _params(
        session,
        units_plan=figures.active_plan_id(session, PERIOD.fiscal_year, "units"),
        visits_plan=figures.active_plan_id(session, week.fiscal_year, "visits"),
        week_start=week.start,
        week_end=week.end,
        week_month=week.start.replace(day=1),
    )
    assert params["units_plan"] and params["visits_plan"], "the demo plans units and visits"
    units = {
        person: (Decimal(achieved or 0), Decimal(target or 0))
        for person, achieved, target in _run(session, "units attainment by rep", params)
    }
    core = measures.targets_report(session, manager, PERIOD, "units", "rep", today=SEED_TODAY)
    assert units and any(a for a, _ in units.values())
    shown = {int(r.key.split(":")[1]): (r.achieved, r.target or 0) for r in core}
    assert {p: v for p, v in shown.items() if any(v)} == {p: v for p, v in units.items() if any(v)}
    # a week's target is its working days' part of the month: only the visits are compared
    visits = {
        person: Decimal(n or 0)
        for person, n, _target in _run(session, "visits attainment by rep", params)
    }
    assert visits, "the manager's reps visited customers in the week"
    core = measures.targets_report(session, manager, week, "visits", "rep", today=SEED_TODAY)
    assert {int(r.key.split(":")[1]): r.achieved for r in core if r.achieved} == {
        p: n for p, n in visits.items() if n
    }
