"""The floor queries of `make bench` (bench/floor.py) answer what core answers, on the seeded
demo data, on SQLite and PostgreSQL: the pipeline by stage, the funnel of a quarter's cohort
and plan vs actual by region; and each comparison can fail (a changed answer is caught)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, text

from bench import floor
from core.org.access import load_actor
from core.performance import funnel, plan_vs_actual
from core.pipeline import views
from core.progress import figures
from db.schema import Person
from tests.conftest import SEED_TODAY


def _director(session):
    return load_actor(
        session, session.scalar(select(Person.id).where(Person.username == "director"))
    )


def _rows(session, sql: str, params: dict) -> list:
    return session.execute(text(sql), params).all()


def test_pipeline_by_stage_agrees_with_the_board(session):
    dialect = session.get_bind().dialect.name
    rows = _rows(session, floor.pipeline_by_stage(dialect), {})
    board = views.pipeline_board(session, _director(session), views.PipelineFilter())
    assert sum(int(r[2]) for r in rows) > 0
    assert floor.agree_pipeline(board, rows) is None
    changed = [(r[0], r[1], int(r[2]) + 1, r[3]) for r in rows]
    assert floor.agree_pipeline(board, changed) is not None


def test_funnel_of_the_last_closed_quarter_agrees(session):
    dialect = session.get_bind().dialect.name
    period = plan_vs_actual.last_closed_quarter(SEED_TODAY)
    rows = _rows(session, floor.funnel_cohort(dialect), {"fs": period.start, "fe": period.end})
    core = funnel.funnel(session, _director(session), period)
    assert core.deals > 0
    assert floor.agree_funnel(core, rows) is None
    fewer = [r for r in rows if r[0] != "deals"] + [("deals", None, 1, 0, 0, None, None, None)]
    assert floor.agree_funnel(core, fewer) is not None


def test_plan_vs_actual_by_region_agrees(session):
    dialect = session.get_bind().dialect.name
    period = plan_vs_actual.last_closed_quarter(SEED_TODAY)
    before = plan_vs_actual.year_before(period)
    params = {
        "s": period.start,
        "e": period.end,
        "bs": before.start,
        "be": before.end,
        "review_plan": figures.active_plan_id(session, period.fiscal_year),
    }
    rows = _rows(session, floor.plan_vs_actual_regions(dialect), params)
    core = plan_vs_actual.plan_vs_actual(
        session, _director(session), period, "region", today=SEED_TODAY
    )
    assert any(r[2] for r in rows), "some region won deals in the quarter"
    assert floor.agree_review(core, rows) is None
    more = [(r[0], r[1], Decimal(r[2] or 0) + 1, *r[3:]) for r in rows]
    assert floor.agree_review(core, more) is not None
