"""The leaderboard's score-only path (both quarters in one pass, scores without explanations)
against the explained scorecard of every rep, and one rep's one-pass figures against raw SQL."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from core.org.company import fiscal_start_month
from core.performance import scorecard
from core.performance.scorecard_figures import rep_figures_by_period
from core.periods import quarter_of
from core.progress import snapshots
from db.schema import Person, PlanBudgetRate
from tests import factories
from tests.conftest import SEED_TODAY


def _actor(session, username):
    return factories.actor(
        session, session.scalar(select(Person).where(Person.username == username))
    )


def _manager(session):
    first = session.scalar(select(Person).where(Person.role == "manager").order_by(Person.id))
    return factories.actor(session, first)


def _quarters(session):
    """This quarter (open) and the last closed one."""
    fsm = fiscal_start_month(session)
    now = quarter_of(SEED_TODAY, fsm)
    return [now, scorecard.previous_period(now, fsm)]


@pytest.mark.parametrize("who", ["director", "manager"])
def test_every_score_on_the_leaderboard_is_the_explained_scorecards_score(session, who):
    actor = _actor(session, "director") if who == "director" else _manager(session)
    fsm = fiscal_start_month(session)
    for period in _quarters(session):
        before = scorecard.previous_period(period, fsm)
        board = scorecard.leaderboard(session, actor, period)
        visible = {pid for pid, _name, _region in scorecard.visible_reps(session, actor)}
        assert {row.person_id for row in board} == visible and len(board) > 1
        assert any(row.score is not None and row.score > 0 for row in board)
        for row in board:
            card = scorecard.rep_scorecard(session, actor, row.person_id, period)
            earlier = scorecard.rep_scorecard(session, actor, row.person_id, before)
            assert (row.score, row.attainment) == (card.score, card.attainment), row.rep
            assert row.previous_score == earlier.score, row.rep
            assert row.region == card.region


def _one(session, sql, **params):
    return session.execute(text(sql), params).one()


def test_one_reps_figures_of_both_quarters_equal_raw_sql(session):
    assert not session.scalar(select(func.count()).select_from(PlanBudgetRate))  # amounts as is
    current, before = _quarters(session)
    earlier, now = rep_figures_by_period(
        session, [before, current], None, scorecard.benchmarks(session)
    )
    rep = max(now, key=lambda pid: (now[pid].won_deals, pid))  # the busiest rep this quarter
    for period, figures in ((before, earlier[rep]), (current, now[rep])):
        span = {"s": period.start, "e": period.end, "rep": rep, "no": False, "yes": True}
        credited = """
            SELECT d.company_amount AS a, d.closed_on, d.created_on FROM deal d
             WHERE d.status = :status AND d.closed_on BETWEEN :s AND :e
               AND d.owner_id = :rep AND d.credit_shared = :no
            UNION ALL
            SELECT c.amount, d.closed_on, d.created_on FROM deal d
              JOIN credit_split c ON c.deal_id = d.id
             WHERE d.status = :status AND d.closed_on BETWEEN :s AND :e
               AND c.person_id = :rep AND d.credit_shared = :yes"""
        won, wins = _one(
            session, f"SELECT SUM(a), COUNT(a) FROM ({credited}) x", status="won", **span
        )
        __, losses = _one(
            session, f"SELECT SUM(a), COUNT(a) FROM ({credited}) x", status="lost", **span
        )
        cycle = sum(
            (_day(closed) - _day(opened)).days
            for amount, closed, opened in session.execute(text(credited), {"status": "won", **span})
            if amount is not None
        )
        created = _one(
            session,
            """SELECT SUM(a) FROM (
                 SELECT company_amount AS a FROM deal WHERE created_on BETWEEN :s AND :e
                    AND owner_id = :rep AND credit_shared = :no
                 UNION ALL
                 SELECT c.amount FROM deal d JOIN credit_split c ON c.deal_id = d.id
                  WHERE d.created_on BETWEEN :s AND :e AND c.person_id = :rep
                    AND d.credit_shared = :yes) x""",
            **span,
        )[0]
        kinds = dict(
            session.execute(
                text(
                    "SELECT type, COUNT(*) FROM activity WHERE person_id = :rep"
                    " AND occurred_on BETWEEN :s AND :e GROUP BY type"
                ),
                span,
            ).all()
        )
        assert figures.won_amount == Decimal(won or 0).quantize(Decimal("0.01"))
        assert (figures.won_deals, figures.lost_deals) == (wins, losses)
        assert figures.cycle_days_total == pytest.approx(cycle)
        assert figures.pipeline_created == Decimal(created or 0).quantize(Decimal("0.01"))
        assert figures.visits == kinds.get("visit", 0)
        assert figures.calls == kinds.get("call", 0)
        others = sum(n for kind, n in kinds.items() if kind not in ("visit", "call"))
        assert figures.meetings + figures.demos + figures.emails == others
        # the count measures: each quarter's own months of the plan, and what was counted in it
        units = _one(
            session,
            "SELECT SUM(quantity) FROM deal WHERE status = 'won' AND owner_id = :rep"
            " AND closed_on BETWEEN :s AND :e",
            **span,
        )[0]
        done = {"units": units or 0, "visits": kinds.get("visit", 0)}
        for measure in ("units", "visits"):
            planned = _one(
                session,
                """SELECT SUM(t.amount), COUNT(t.amount) FROM target t
                    WHERE t.person_id = :rep AND t.month BETWEEN :s AND :e AND t.plan_id = (
                      SELECT id FROM target_plan WHERE measure = :m AND product_line = ''
                         AND fiscal_year = :y AND status IN ('approved', 'locked')
                       ORDER BY version DESC LIMIT 1)""",
                m=measure,
                y=period.fiscal_year,
                **span,
            )
            if not planned[1]:
                assert measure not in figures.counts, measure
                continue
            count = figures.counts[measure]
            assert count.target == Decimal(str(planned[0])).quantize(Decimal(1)), measure
            assert count.achieved == done[measure], measure
        assert set(figures.counts) <= {"units", "visits", "deals_created"}
    assert now[rep].won_deals > 0
    assert now[rep].counts and earlier[rep].counts  # the demo plans units and visits


def test_the_deals_committed_at_a_start_are_each_deals_last_stage_before_it(session):
    """The per-deal seek of the stage history against every change read in Python, at the
    starts of this quarter and the two before (the demo, seeded as of today, may have no deal
    committed at one of them; at least one start has some)."""
    this = quarter_of(SEED_TODAY, fiscal_start_month(session))
    earlier = quarter_of(this.start - timedelta(days=1), fiscal_start_month(session))
    oldest = quarter_of(earlier.start - timedelta(days=1), fiscal_start_month(session))
    probability = scorecard.benchmarks(session).commit_probability
    found = 0
    for start in (this.start, earlier.start, oldest.start):
        found += _check_committed_at(session, start, probability)
    assert found


def _check_committed_at(session, start: date, probability: float) -> int:
    committed = snapshots.committed_from_history([start], probability)
    got = {
        row.deal_id: (row.owner_id, row.stage_id, Decimal(row.amount).quantize(Decimal("0.01")))
        for row in session.execute(select(committed))
    }
    stages = {
        sid: (Decimal(str(p)), won or lost)  # 0.6 as stored, not the float 0.5999...
        for sid, p, won, lost in session.execute(
            text("SELECT id, probability, is_won, is_lost FROM stage")
        )
    }
    deals = {
        did: (owner, amount, company, closed)
        for did, owner, amount, company, closed in session.execute(
            text("SELECT id, owner_id, amount, company_amount, closed_on FROM deal")
        )
    }
    last: dict[int, tuple] = {}
    for hid, did, changed, stage, amount in session.execute(
        text("SELECT id, deal_id, changed_at, to_stage_id, amount FROM deal_stage_history")
    ):
        changed = changed if isinstance(changed, datetime) else datetime.fromisoformat(changed)
        if (
            changed < datetime.combine(start, time())
            and (changed, hid) > last.get(did, (changed, -1))[:2]
        ):
            last[did] = (changed, hid, stage, amount)
    expected = {}
    for did, (__, __, stage, amount) in last.items():
        owner, full, company, closed = deals[did]
        if company is None or (closed is not None and _day(closed) < start):
            continue
        probability_of, closed_stage = stages[stage]
        if closed_stage or probability_of < Decimal(str(probability)):
            continue
        share = Decimal(amount) if not full else Decimal(amount) * Decimal(company) / Decimal(full)
        expected[did] = (owner, stage, share.quantize(Decimal("0.01")))
    assert got == expected, start
    return len(expected)


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
