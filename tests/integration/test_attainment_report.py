"""Every figure of `manage.py report attainment` equals an independent pandas computation over
the same rows (and the probability equals an exact distribution computed by dynamic
programming), on SQLite and PostgreSQL."""

from __future__ import annotations

import calendar
import csv
import io
import json
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

import manage
from core.periods import quarter_of
from db.config import get_settings
from db.schema import Deal, DealStageHistory, Person, Region, Stage, Target, TargetPlan
from tests.conftest import SEED_TODAY

COLUMNS = [
    "entity",
    "period",
    "target",
    "won",
    "attainment",
    "expected_to_date",
    "gap",
    "open_pipeline",
    "weighted_pipeline",
    "forecast",
    "probability",
]
CENT, RATIO = Decimal("0.01"), Decimal("0.0001")


@pytest.fixture
def report(engine, monkeypatch, capsys):
    """Run `manage.py report attainment ...` in-process against the test database."""
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()

    def run(*args: str) -> tuple[int, str, str]:
        code = manage.main(["report", "attainment", *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    yield run
    get_settings.cache_clear()


def _frame(session, query) -> pd.DataFrame:
    result = session.execute(query)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


class Books:
    """The raw rows, read once, and the business rules written again with pandas."""

    def __init__(self, session, period, today):
        self.period, self.today = period, today
        self.deals = _frame(
            session,
            select(
                Deal.id,
                Deal.owner_id,
                Deal.region_id,
                Deal.amount,
                Deal.status,
                Deal.closed_on,
                Deal.expected_close,
                Deal.stage_id,
                Stage.probability,
            ).join(Stage, Stage.id == Deal.stage_id),
        )
        plan = session.scalar(
            select(TargetPlan.id)
            .where(
                TargetPlan.fiscal_year == period.fiscal_year,
                TargetPlan.status.in_(["approved", "locked"]),
            )
            .order_by(TargetPlan.version.desc())
        )
        self.targets = _frame(
            session,
            select(Target.region_id, Target.person_id, Target.month, Target.amount).where(
                Target.plan_id == plan
            ),
        )
        self.regions = _frame(session, select(Region.id, Region.name, Region.parent_id))
        self.people = _frame(session, select(Person.id, Person.email))
        self.history = _frame(
            session, select(DealStageHistory.deal_id, DealStageHistory.to_stage_id)
        )
        self.stages = _frame(session, select(Stage.id, Stage.probability))
        self.calibrated = self._calibrate()

    def subtree(self, region_id) -> set[int]:
        out, frontier = {region_id}, {region_id}
        while frontier:
            frontier = set(self.regions[self.regions.parent_id.isin(frontier)].id)
            out |= frontier
        return out

    def _calibrate(self) -> dict[int, float]:
        closed = self.deals[
            self.deals.status.isin(["won", "lost"]) & (self.deals.closed_on <= self.today)
        ].sort_values(["closed_on", "id"], ascending=False)[:20_000]
        joined = self.history.merge(closed[["id", "status"]], left_on="deal_id", right_on="id")
        out = {}
        for stage_id, configured in zip(self.stages.id, self.stages.probability):
            seen = joined[joined.to_stage_id == stage_id].drop_duplicates("deal_id")
            won = int((seen.status == "won").sum())
            value = (Decimal(won) + 20 * configured) / Decimal(len(seen) + 20)
            out[stage_id] = float(value.quantize(RATIO))
        return out

    def expected(self, monthly: pd.DataFrame) -> Decimal:
        total = Decimal(0)
        for month, amount in zip(monthly.month, monthly.amount):
            days = calendar.monthrange(month.year, month.month)[1]
            last = date(month.year, month.month, days)
            if last < self.today:
                share = Decimal(1)
            elif month > self.today:
                share = Decimal(0)
            else:
                share = Decimal(self.today.day) / Decimal(days)
            total += amount * share
        return total.quantize(CENT)

    def figures(self, deal_mask, target_mask) -> dict:
        p, d = self.period, self.deals
        won = d[deal_mask & (d.status == "won") & d.closed_on.between(p.start, p.end)]
        pipe = d[deal_mask & (d.status == "open") & d.expected_close.between(p.start, p.end)]
        monthly = self.targets[target_mask & self.targets.month.between(p.start, p.end)]
        won_amount = sum(won.amount, Decimal(0))
        open_amount = sum(pipe.amount, Decimal(0))
        weighted = sum((a * q for a, q in zip(pipe.amount, pipe.probability)), Decimal(0))
        target = sum(monthly.amount, Decimal(0)) if len(monthly) else None
        row = {
            "target": target,
            "won": won_amount,
            "attainment": (won_amount / target).quantize(RATIO) if target else None,
            "expected_to_date": self.expected(monthly) if len(monthly) else None,
            "gap": target - won_amount if target is not None else None,
            "open_pipeline": open_amount,
            "weighted_pipeline": weighted.quantize(CENT),
            "forecast": won_amount + weighted.quantize(CENT),
            "probability": None,
        }
        if target is not None:
            row["probability"] = self.exact_probability(won_amount, target, pipe)
        return row

    def exact_probability(self, won, target, pipe) -> float:
        """P(won + wins >= target), exactly, by dynamic programming over amounts in tens."""
        amounts = [int(a / 10) for a in pipe.amount]
        assert all(Decimal(a) * 10 == b for a, b in zip(amounts, pipe.amount))
        dist = np.zeros(sum(amounts) + 1)
        dist[0] = 1.0
        for amount, stage_id in zip(amounts, pipe.stage_id):
            p = self.calibrated[stage_id]
            shifted = np.zeros_like(dist)
            shifted[amount:] = dist[: len(dist) - amount]
            dist = dist * (1 - p) + shifted * p
        needed = (target - won) / 10
        return float(dist[np.arange(len(dist)) >= float(needed)].sum())


def _money(text):
    return None if text == "" else Decimal(text)


def _check(row: dict[str, str], expected: dict, period_label: str) -> None:
    assert row["period"] == period_label
    for column in ("target", "won", "expected_to_date", "gap", "open_pipeline", "forecast"):
        assert _money(row[column]) == expected[column], (row["entity"], column)
    assert abs(_money(row["weighted_pipeline"]) - expected["weighted_pipeline"]) <= CENT
    assert _money(row["attainment"]) == expected["attainment"], row["entity"]
    if expected["probability"] is None:
        assert row["probability"] == ""
    else:
        # 10,000 seeded trials against the exact value: within about 4 standard errors.
        assert abs(float(row["probability"]) - expected["probability"]) < 0.021, row


@pytest.mark.parametrize("by", ["company", "region", "rep"])
def test_every_figure_of_the_report_matches_an_independent_computation(session, report, by):
    period = quarter_of(SEED_TODAY)
    code, out, err = report(
        "--period", period.label, "--by", by, "--format", "csv", "--today", SEED_TODAY.isoformat()
    )
    assert code == 0, err
    reader = csv.DictReader(io.StringIO(out))
    assert reader.fieldnames == COLUMNS
    rows = list(reader)
    books = Books(session, period, SEED_TODAY)
    d, t = books.deals, books.targets
    names = dict(zip(books.regions.name, books.regions.id))
    root = int(books.regions[books.regions.parent_id.isna()].id.iloc[0])
    expected: dict[str, dict] = {}
    if by == "company":
        expected["company"] = books.figures(
            d.id.notna(), t.person_id.isna() & (t.region_id == root)
        )
    elif by == "region":
        for name, region_id in names.items():
            if region_id != root:
                expected[name] = books.figures(
                    d.region_id.isin(books.subtree(region_id)),
                    t.person_id.isna() & (t.region_id == region_id),
                )
    else:
        emails = dict(zip(books.people.id, books.people.email))
        in_period = d.closed_on.between(period.start, period.end) | (
            (d.status == "open") & d.expected_close.between(period.start, period.end)
        )
        owners = set(d[in_period & d.status.isin(["won", "open"])].owner_id)
        owners |= set(t[t.person_id.notna() & t.month.between(period.start, period.end)].person_id)
        for owner in owners:
            expected[emails[int(owner)]] = books.figures(d.owner_id == owner, t.person_id == owner)
    assert sorted(r["entity"] for r in rows) == sorted(expected)
    for row in rows:
        _check(row, expected[row["entity"]], period.label)
    probabilities = [float(r["probability"]) for r in rows if r["probability"]]
    assert probabilities, "some entity has a target"
    if by != "company":
        assert any(0.02 < p < 0.98 for p in probabilities), "a case the simulation must decide"


def test_a_region_filter_lists_the_region_and_the_regions_below_it(session, report):
    period = quarter_of(SEED_TODAY)
    code, out, err = report(
        "--period",
        period.label,
        "--by",
        "region",
        "--region",
        "Europe",
        "--format",
        "json",
        "--today",
        SEED_TODAY.isoformat(),
    )
    assert code == 0, err
    rows = json.loads(out)
    books = Books(session, period, SEED_TODAY)
    europe = int(books.regions[books.regions.name == "Europe"].id.iloc[0])
    below = set(books.regions[books.regions.id.isin(books.subtree(europe))].name)
    assert [r["entity"] for r in rows][0] == "Europe"
    assert {r["entity"] for r in rows} == below
    assert list(rows[0]) == COLUMNS


def test_a_month_and_a_fiscal_year_report_too(report):
    for label in (SEED_TODAY.strftime("%Y-%m"), f"FY{SEED_TODAY.year}"):
        code, out, err = report("--period", label, "--by", "company")
        assert code == 0, err
        lines = out.splitlines()
        assert lines[0].split() == COLUMNS
        assert lines[2].split()[:2] == ["company", label]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2026Q5", "--by", "company"], "error: Unknown period '2026Q5'"),
        (["--period", "2026Q1", "--by", "team"], "error: Unknown level 'team'"),
        (
            ["--period", "2026Q1", "--by", "rep", "--region", "Atlantis"],
            "error: No region named 'Atlantis'.",
        ),
    ],
)
def test_bad_input_exits_non_zero_with_one_clear_line(report, args, message):
    code, out, err = report(*args)
    assert code == 1
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith(message), err


def test_with_few_deals_simulated_one_by_one_the_normal_tail_keeps_the_probability(
    session, monkeypatch
):
    """Only the 5 largest open deals of each region simulated individually, the rest as one
    normal total: the probability stays close to the exact one."""
    from core import evaluation
    from core.permissions import SYSTEM_ACTOR

    monkeypatch.setattr(evaluation, "SIMULATED_DEALS", 5)
    period = quarter_of(SEED_TODAY)
    rows = evaluation.attainment_report(session, SYSTEM_ACTOR, period, "region", today=SEED_TODAY)
    books = Books(session, period, SEED_TODAY)
    d, t = books.deals, books.targets
    names = dict(zip(books.regions.name, books.regions.id))
    checked = 0
    for row in rows:
        if row.tail_deals == 0 or row.target is None:
            continue
        region_id = names[row.entity]
        expected = books.figures(
            d.region_id.isin(books.subtree(region_id)),
            t.person_id.isna() & (t.region_id == region_id),
        )
        assert row.simulated_deals == 5
        assert abs(float(row.probability) - expected["probability"]) < 0.03, row.entity
        checked += 0.02 < expected["probability"] < 0.98
    assert checked, "a region whose outcome is uncertain"
