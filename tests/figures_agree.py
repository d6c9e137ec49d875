"""One check that every consumer of the figures shows the same target, won, open pipeline,
expected to date and coverage, to the cent, for every rep, every region and the company, and
that those figures equal an independent pandas computation over the raw rows (Books).

Consumers: Home (scope_figures), Attainment (the page's view), `report attainment`, the
scorecard's inputs, plan vs actual (ended periods), the alerts' pace and coverage figures and
the pipeline review's quarter (the current quarter)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from sqlalchemy import select

import manage
from core.models import Actor, Period
from core.org.access import load_actor
from core.org.company import fiscal_start_month
from core.performance import alerts, scorecard
from core.performance.plan_vs_actual import plan_vs_actual
from core.periods import quarter_of
from core.progress import attainment, scopes, views
from core.progress.measures import targets_report
from db.schema import Person, Role
from tests.attainment_books import Books

FIGURES = ("target", "won", "open_pipeline", "expected_to_date", "coverage")


def _director(session) -> Actor:
    person_id = session.scalar(
        select(Person.id).where(Person.role == Role.DIRECTOR, Person.active.is_(True)).limit(1)
    )
    return load_actor(session, person_id)


def _coverage(open_pipeline: Decimal, gap: Decimal | None) -> Decimal | None:
    if gap is None or gap <= 0:
        return None
    return (open_pipeline / gap).quantize(Decimal("0.0001"))


def independent(session, period: Period, today: date) -> dict[str, dict]:
    """Target, won, open, expected and coverage of the company, every region and every rep
    with figures in the period, written again with pandas."""
    books = Books(session, period, today)
    d, c, t = books.deals, books.credit, books.targets
    root = int(books.regions[books.regions.parent_id.isna()].id.iloc[0])
    out: dict[str, dict] = {}

    def keep(key, row):
        out[key] = {
            "target": row["target"],
            "won": row["won"],
            "open_pipeline": row["open_pipeline"],
            "expected_to_date": row["expected_to_date"],
            "coverage": None if period.end < today else _coverage(row["open_pipeline"], row["gap"]),
        }

    keep("company", books.figures(d.id.notna(), t.person_id.isna() & (t.region_id == root)))
    for region_id in books.regions.id:
        if region_id != root:
            keep(
                f"region:{region_id}",
                books.figures(
                    c.region_id.isin(books.subtree(region_id)),
                    t.person_id.isna() & (t.region_id == region_id),
                    credit=True,
                ),
            )
    window_start = max(period.start, today)
    active = c.closed_on.between(period.start, period.end) & (c.status == "won")
    active |= (c.status == "open") & c.expected_close.between(window_start, period.end)
    owners = set(c[active].owner_id)
    owners |= set(t[t.person_id.notna() & t.month.between(period.start, period.end)].person_id)
    for owner in owners:
        keep(
            f"rep:{int(owner)}",
            books.figures(c.owner_id == owner, t.person_id == owner, credit=True),
        )
    return out


def _pick(row, names=FIGURES) -> dict:
    return {name: getattr(row, name) for name in names}


def _report(url: str, period: Period, by: str, today: date, monkeypatch, capsys) -> list[dict]:
    monkeypatch.setenv("DATABASE_URL", url)
    from db.config import get_settings

    get_settings.cache_clear()
    code = manage.main(
        ["report", "attainment", "--period", period.label, "--by", by, "--format", "csv"]
        + ["--today", today.isoformat()]
    )
    out = capsys.readouterr()
    get_settings.cache_clear()
    assert code == 0, out.err
    return list(csv.DictReader(io.StringIO(out.out)))


def _money(text: str) -> Decimal | None:
    return None if text == "" else Decimal(text)


def check_figures_agree(session, period: Period, today: date, *, cli=None) -> int:
    """Compare every consumer with the independent figures; returns how many entities were
    compared. `cli` = (url, monkeypatch, capsys) also runs `manage.py report attainment`."""
    director = _director(session)
    expected = independent(session, period, today)

    # `report attainment` (the engine the Attainment page reads) for every level
    rows = {}
    for by in ("company", "region", "rep"):
        for row in attainment.attainment_report(
            session, director, period, by, today=today, simulate=False
        ):
            key = row.key if by != "company" else "company"
            rows[key] = row
    assert set(rows) == set(expected), set(rows) ^ set(expected)
    for key, row in rows.items():
        got = _pick(row)
        want = expected[key]
        for name in FIGURES:
            assert got[name] == want[name], (key, name, got[name], want[name])

    # Home: the headline of each scope
    for key, row in rows.items():
        if key == "company":
            scope = scopes.default_scope(session, director)
        elif key.startswith("region:"):
            scope = scopes.region_scope(session, director, int(key.split(":")[1]))
        else:
            scope = scopes.rep_scope(session, director, int(key.split(":")[1]))
        home = attainment.scope_figures(session, scope, period, today=today)
        assert (home.target, home.won, home.open_pipeline) == (
            row.target,
            row.won,
            row.open_pipeline,
        ), key

    # Home's breakdown: the company by region (each with its subtree)
    company = scopes.default_scope(session, director)
    for part in attainment.breakdown(session, company, period, today=today):
        row = rows[f"region:{part.key}"]
        assert (part.target, part.won) == (row.target, row.won), part.key

    # Attainment page: the company's head and its parts
    view = views.attainment_view(session, director, "company", period, today=today)
    assert _pick(view.head) == _pick(rows["company"])
    for part in view.parts:
        assert _pick(part) == _pick(rows[part.key]), part.key

    # the scorecard's inputs
    bench = scorecard.benchmarks(session)
    reps = scorecard.rep_figures(session, period, None, bench)
    for key, row in rows.items():
        if key.startswith("rep:"):
            figures = reps.get(int(key.split(":")[1]))
            won = figures.won_amount if figures else Decimal(0)
            target = figures.target if figures else None
            assert (target, won) == (row.target, row.won), key
    region_ids = [int(k.split(":")[1]) for k in rows if k.startswith("region:")]
    regions = scorecard.region_figures(session, period, region_ids, bench)
    for region_id, figures in regions.items():
        row = rows[f"region:{region_id}"]
        assert (figures.target, figures.won_amount) == (row.target, row.won), region_id

    # plan vs actual, for a period that has ended
    if period.end < today:
        for dimension, prefix in (("region", "region:"), ("rep", "rep:")):
            for review in plan_vs_actual(session, director, period, dimension, today=today):
                row = rows.get(prefix + review.key)
                if row is None:
                    assert review.won == 0 and review.target is None, review
                    continue
                assert (review.target, review.won) == (row.target, row.won), review.key

    # the alerts' pace and coverage figures, for the quarter of today
    if period == quarter_of(today, fiscal_start_month(session)):
        for pace in alerts.rep_pace(session, director, today):
            row = rows.get(f"rep:{pace.person_id}")
            if row is None:
                assert pace.won_to_date == 0 and pace.open_pipeline == 0
                continue
            assert pace.won_to_date == row.won, pace.person_id
            assert pace.open_pipeline == row.open_pipeline, pace.person_id
            assert pace.target == (row.target or 0), pace.person_id
            assert pace.expected_to_date == (row.expected_to_date or 0), pace.person_id
            if row.coverage is not None:
                assert abs(Decimal(str(pace.coverage)) - row.coverage) < Decimal("0.0001")
        # a pipeline review's "this quarter"
        for key, row in rows.items():
            if key.startswith("rep:"):
                standing = views.rep_quarter(session, director, int(key[4:]), today=today)
                assert _pick(standing) == _pick(row), key
        for alert in alerts.current_alerts(session, director, today=today):
            if "measure" in alert.figures:  # behind pace on another measure or a line
                measure, line = alert.figures["measure"], alert.figures["product_line"]
                report = targets_report(
                    session, director, period, measure, "rep", product_line=line, today=today
                )
                row = next(r for r in report if r.key == f"rep:{alert.subject_id}")
                assert Decimal(alert.figures["achieved"]) == row.achieved
                assert Decimal(alert.figures["target"]) == row.target
                assert Decimal(alert.figures["expected_to_date"]) == row.expected_to_date
            elif alert.rule in ("behind_pace", "low_coverage"):
                row = rows[f"rep:{alert.subject_id}"]
                assert Decimal(alert.figures["open_pipeline"]) == row.open_pipeline
                assert Decimal(alert.figures["won_to_date"]) == row.won

    # the command line's report, as a script reads it
    if cli is not None:
        url, monkeypatch, capsys = cli
        for by in ("company", "region"):
            for line in _report(url, period, by, today, monkeypatch, capsys):
                key = "company" if by == "company" else None
                if key is None:
                    key = next(
                        k
                        for k, r in rows.items()
                        if r.level == "region" and r.entity == line["entity"]
                    )
                row = rows[key]
                assert _money(line["won"]) == row.won
                assert _money(line["target"]) == row.target
                assert _money(line["open_pipeline"]) == row.open_pipeline
                assert _money(line["expected_to_date"]) == row.expected_to_date
    return len(rows)
