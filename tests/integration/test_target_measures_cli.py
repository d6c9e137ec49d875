"""`manage.py report targets`, `plan create --measure ... --seasonality NAME`, `plan break-down`
and the series options of `plan show` / `plan approve`, as a daily job runs them; every figure
checked against raw SQL over the target rows, deals and visits. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, create_engine, func, select

from core.demo import seed as demo
from db.engine import make_engine, migrate
from db.schema import Activity, Deal, Person, Product, Region, Target, TargetPlan
from tests.conftest import SEED_TODAY
from tests.integration.test_performance_cli import run
from tests.support import fresh_postgres, skip_or_fail

COLUMNS = ["entity", "period", "measure", "target", "achieved", "attainment", "gap"]
YEAR = SEED_TODAY.year
"""The demo's fiscal years start in January: FY{YEAR} is the calendar year."""
ERPNEXT = [8] * 10 + [10, 10]


@pytest.fixture(scope="module")
def cli_db(backend, tmp_path_factory) -> str:
    """A throw-away database (never the shared test database) with the small demo data."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('targets_cli') / 'targets.db'}"
        engine = make_engine(url)
    else:
        base = os.environ.get("TEST_DATABASE_URL")
        if not base:
            skip_or_fail("TEST_DATABASE_URL is not set: no PostgreSQL to test against")
        engine = fresh_postgres(base, "targets_cli")
        url = engine.url.render_as_string(hide_password=False)
    migrate(engine)
    demo.seed(engine, scale="small", seed=3, today=SEED_TODAY)
    engine.dispose()
    return url


@pytest.fixture
def db(cli_db) -> Engine:
    engine = create_engine(cli_db)
    yield engine
    engine.dispose()


def _csv(done) -> list[dict[str, str]]:
    assert done.returncode == 0, done.stderr
    reader = csv.DictReader(io.StringIO(done.stdout))
    assert reader.fieldnames == COLUMNS
    return list(reader)


def _active_plan(conn, year: int, measure: str, line: str = "") -> int | None:
    """The newest approved or locked version of a series, straight from the table."""
    return conn.scalar(
        select(TargetPlan.id)
        .where(
            TargetPlan.fiscal_year == year,
            TargetPlan.measure == measure,
            TargetPlan.product_line == line,
            TargetPlan.status.in_(["approved", "locked"]),
        )
        .order_by(TargetPlan.version.desc())
        .limit(1)
    )


def _subtrees(conn) -> tuple[int, dict[int, set[int]], dict[int, str]]:
    """The root region, each region's subtree (itself and below) and its name."""
    rows = conn.execute(select(Region.id, Region.parent_id, Region.name)).all()
    children: dict[int | None, list[int]] = {}
    for rid, parent, _ in rows:
        children.setdefault(parent, []).append(rid)

    def below(rid: int) -> set[int]:
        out = {rid}
        for child in children.get(rid, []):
            out |= below(child)
        return out

    (root,) = children[None]
    return root, {rid: below(rid) for rid, _, _ in rows}, {rid: n for rid, _, n in rows}


def _check(row: dict[str, str], target: Decimal | None, achieved: Decimal) -> None:
    assert Decimal(row["achieved"]) == achieved, row
    if target is None:
        assert row["target"] == row["attainment"] == row["gap"] == "", row
        return
    assert Decimal(row["target"]) == target, row
    assert Decimal(row["gap"]) == target - achieved, row
    if target:
        assert abs(Decimal(row["attainment"]) - achieved / target) <= Decimal("0.00005"), row
    else:
        assert row["attainment"] == "", row


def test_units_by_company_and_region_equal_the_target_rows_and_won_quantities(cli_db, db):
    done = run(
        cli_db, "report", "targets", "--measure", "units", "--period", f"FY{YEAR}",
        "--by", "region", "--format", "csv", "--today", SEED_TODAY.isoformat(),
    )  # fmt: skip
    rows = {r["entity"]: r for r in _csv(done)}
    start, end = date(YEAR, 1, 1), date(YEAR, 12, 31)
    with db.connect() as conn:
        root, subtree, names = _subtrees(conn)
        plan = _active_plan(conn, YEAR, "units")
        assert plan is not None, "the demo plans units for every year with a revenue plan"
        targets = dict(
            conn.execute(
                select(Target.region_id, func.sum(Target.amount))
                .where(
                    Target.plan_id == plan,
                    Target.person_id.is_(None),
                    Target.month.between(start, end),
                )
                .group_by(Target.region_id)
            ).all()
        )
        won = dict(
            conn.execute(
                select(Deal.region_id, func.sum(Deal.quantity))
                .where(Deal.status == "won", Deal.closed_on.between(start, end))
                .group_by(Deal.region_id)
            ).all()
        )
    assert set(rows) == {names[r] for r in subtree if r != root}
    for rid, name in names.items():
        if rid == root:
            continue
        achieved = Decimal(sum(won.get(r, 0) for r in subtree[rid]))
        target = targets.get(rid)
        _check(rows[name], None if target is None else Decimal(target), achieved)
        assert rows[name]["period"] == f"FY{YEAR}" and rows[name]["measure"] == "units"

    (company,) = _csv(
        run(
            cli_db, "report", "targets", "--measure", "units", "--period", f"FY{YEAR}",
            "--by", "company", "--format", "csv",
        )
    )  # fmt: skip
    assert company["entity"] == "company"
    _check(company, Decimal(targets[root]), Decimal(sum(won.values())))


def test_visits_by_rep_for_a_month_equal_the_rep_rows_and_the_visits_logged(cli_db, db):
    month = date(YEAR, max(SEED_TODAY.month - 1, 1), 1)
    end = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    period = month.strftime("%Y-%m")
    rows = _csv(
        run(
            cli_db, "report", "targets", "--measure", "visits", "--period", period,
            "--by", "rep", "--format", "csv", "--today", SEED_TODAY.isoformat(),
        )
    )  # fmt: skip
    with db.connect() as conn:
        plan = _active_plan(conn, YEAR, "visits")
        targets = dict(
            conn.execute(
                select(Person.email, func.sum(Target.amount))
                .join(Person, Person.id == Target.person_id)
                .where(Target.plan_id == plan, Target.month == month)
                .group_by(Person.email)
            ).all()
        )
        visits = dict(
            conn.execute(
                select(Person.email, func.count(Activity.id))
                .join(Person, Person.id == Activity.person_id)
                .where(
                    Activity.type == "visit",
                    Activity.occurred_on >= month,
                    Activity.occurred_on < end,
                )
                .group_by(Person.email)
            ).all()
        )
    by_rep = {r["entity"]: r for r in rows}
    assert len(by_rep) == len(rows), "one row per rep"
    assert set(targets) | set(visits) <= set(by_rep)
    assert targets and visits, "the demo plans and logs visits every month"
    for email, row in by_rep.items():
        target = targets.get(email)
        _check(row, None if target is None else Decimal(target), Decimal(visits.get(email, 0)))
        assert row["period"] == period


def test_a_measure_by_product_line_as_json_and_as_a_table(cli_db, db):
    done = run(
        cli_db, "report", "targets", "--measure", "units", "--period", f"FY{YEAR}",
        "--by", "product_line", "--format", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    start, end = date(YEAR, 1, 1), date(YEAR, 12, 31)
    with db.connect() as conn:
        won = dict(
            conn.execute(
                select(Product.product_line, func.sum(Deal.quantity))
                .join(Product, Product.id == Deal.product_id)
                .where(Deal.status == "won", Deal.closed_on.between(start, end))
                .group_by(Product.product_line)
            ).all()
        )
        lines = sorted(set(conn.scalars(select(Product.product_line))))
        line_plans = {line: _active_plan(conn, YEAR, "units", line) for line in lines}
    assert [r["entity"] for r in rows] == lines
    for row in rows:
        assert list(row) == COLUMNS
        assert Decimal(row["achieved"]) == won.get(row["entity"], 0)
        if line_plans[row["entity"]] is None:  # no units target on the line: nothing to attain
            assert row["target"] is None and row["attainment"] is None and row["gap"] is None
    table = run(
        cli_db, "report", "targets", "--measure", "units", "--period", f"FY{YEAR}",
        "--by", "product_line",
    )  # fmt: skip
    assert table.returncode == 0, table.stderr
    assert table.stdout.split("\n")[0].split() == COLUMNS
    assert len(table.stdout.strip().split("\n")) == 2 + len(lines)

    week = run(
        cli_db, "report", "targets", "--measure", "visits", "--period", f"{YEAR}-W10",
        "--by", "company", "--format", "json",
    )  # fmt: skip
    assert week.returncode == 0, week.stderr
    (company,) = json.loads(week.stdout)
    assert company["period"] == f"{YEAR}-W10" and company["target"] is not None

    refused = run(cli_db, "report", "targets", "--measure", "visits", "--by", "product_line")
    assert refused.returncode == 1 and "Visits have no product line" in refused.stderr


def _company_months(conn, year: int, measure: str, line: str = "") -> list[Decimal]:
    plan = conn.scalar(
        select(TargetPlan.id)
        .where(
            TargetPlan.fiscal_year == year,
            TargetPlan.measure == measure,
            TargetPlan.product_line == line,
        )
        .order_by(TargetPlan.version.desc())
        .limit(1)
    )
    root = conn.scalar(select(Region.id).where(Region.parent_id.is_(None)))
    return [
        Decimal(a)
        for a in conn.scalars(
            select(Target.amount)
            .where(Target.plan_id == plan, Target.person_id.is_(None), Target.region_id == root)
            .order_by(Target.month)
        )
    ]


def test_plan_create_units_with_a_named_profile_and_stretch_levels(cli_db, db, tmp_path):
    profile = tmp_path / "profile.csv"
    profile.write_text(
        "name,month,percent\n" + "".join(f"ERPNext,{m},{p}\n" for m, p in enumerate(ERPNEXT, 1))
    )
    imported = run(cli_db, "import", "seasonality", str(profile))
    assert imported.returncode == 0, imported.stderr
    with db.connect() as conn:
        plans = conn.scalar(select(func.count()).select_from(TargetPlan))
    for extra, message in [
        (["--seasonality", "Nope"], "Unknown seasonality 'Nope'"),
        (["--seasonality", "ERPNext", "--product-line", "Nope"], "no product line 'Nope'"),
        (["--measure", "visits", "--product-line", "Platform"], "Only revenue and units"),
        (["--stretch", "90"], "above 100"),
    ]:
        refused = run(
            cli_db, "plan", "create", "--year", "2034", "--target", "30000", "--method", "equal",
            "--measure", "units", *extra,
        )  # fmt: skip
        assert refused.returncode == 1 and message in refused.stderr, (extra, refused.stderr)
    with db.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(TargetPlan)) == plans

    created = run(
        cli_db, "plan", "create", "--year", "2034", "--target", "30,000", "--method", "equal",
        "--measure", "units", "--seasonality", "ERPNext", "--stretch", "110,125",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("FY2034 units v1 (draft): 30,000 allocated")
    assert "ERPNext seasonality; stretch levels 110 %, 125 %" in created.stdout
    with db.connect() as conn:
        months = _company_months(conn, 2034, "units")
        plan = conn.execute(
            select(TargetPlan.seasonality, TargetPlan.stretch_levels).where(
                TargetPlan.fiscal_year == 2034, TargetPlan.measure == "units"
            )
        ).one()
        reps = conn.scalars(
            select(Target.amount)
            .join(TargetPlan, TargetPlan.id == Target.plan_id)
            .where(
                TargetPlan.fiscal_year == 2034,
                TargetPlan.measure == "units",
                Target.person_id.is_not(None),
            )
        ).all()
        revenue = conn.scalar(
            select(func.count())
            .select_from(TargetPlan)
            .where(TargetPlan.fiscal_year == 2034, TargetPlan.measure == "revenue")
        )
    assert months == [Decimal(300 * p) for p in ERPNEXT]
    quarters = [sum(months[q * 3 : q * 3 + 3]) for q in range(4)]
    assert quarters == [7200, 7200, 7200, 8400]
    assert plan == ("ERPNext", ["110", "125"])
    assert reps and all(a == a.to_integral_value() for a in reps), "units are whole"
    assert revenue == 0, "a units plan leaves the revenue series alone"

    shown = run(cli_db, "plan", "show", "--year", "2034", "--measure", "units", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    payload = json.loads(shown.stdout)
    assert (payload["measure"], payload["product_line"], payload["seasonality"]) == (
        "units",
        "",
        "ERPNext",
    )
    assert payload["stretch_levels"] == ["110", "125"]
    missing = run(cli_db, "plan", "approve", "--year", "2034")
    assert missing.returncode == 1 and "There is no FY2034 plan yet" in missing.stderr
    approved = run(cli_db, "plan", "approve", "--year", "2034", "--measure", "units")
    assert approved.returncode == 0 and approved.stdout.strip() == "FY2034 units v1 approved."


def test_plan_break_down_by_product_line(cli_db, db):
    with db.connect() as conn:
        lines = sorted(
            set(conn.scalars(select(Product.product_line).where(Product.active.is_(True))))
        )
    assert len(lines) == 3, "the demo catalogue has three product lines"
    created = run(
        cli_db, "plan", "create", "--year", "2035", "--target", "3000000", "--method", "equal"
    )
    assert created.returncode == 0, created.stderr
    shares = {lines[0]: 50, lines[1]: 30, lines[2]: 20}
    text = ",".join(f"{line}={share}" for line, share in shares.items())

    def line_plans(conn) -> dict[tuple[str, str], Decimal]:
        return {
            (m, line): Decimal(t)
            for m, line, t in conn.execute(
                select(
                    TargetPlan.measure, TargetPlan.product_line, TargetPlan.company_target
                ).where(TargetPlan.fiscal_year == 2035, TargetPlan.product_line != "")
            )
        }

    for extra, message in [
        (["--by-line", "manual", "--shares", text.replace("=20", "=10")], "add up to 90"),
        (["--by-line", "manual"], "needs --shares"),
        (["--by-line", "equal", "--shares", text], "--shares is for --by-line manual"),
        (["--by-line", "manual", "--shares", "Nowhere=100"], "Unknown product line: Nowhere"),
        (["--by-line", "equal", "--measure", "units"], "There is no FY2035 units plan"),
    ]:
        refused = run(cli_db, "plan", "break-down", "--year", "2035", *extra)
        assert refused.returncode == 1 and message in refused.stderr, (extra, refused.stderr)
    with db.connect() as conn:
        assert line_plans(conn) == {}

    done = run(cli_db, "plan", "break-down", "--year", "2035", "--by-line", "manual",
               "--shares", text)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip().split("\n")) == 3
    assert f"FY2035 revenue · {lines[0]} v1 (draft): 1,500,000 allocated" in done.stdout
    with db.connect() as conn:
        assert line_plans(conn) == {
            ("revenue", line): Decimal(30_000 * share) for line, share in shares.items()
        }
        for line, share in shares.items():
            assert sum(_company_months(conn, 2035, "revenue", line)) == 30_000 * share

    units = run(
        cli_db, "plan", "create", "--year", "2035", "--target", "30000", "--method", "equal",
        "--measure", "units",
    )  # fmt: skip
    assert units.returncode == 0, units.stderr
    equal = run(
        cli_db, "plan", "break-down", "--year", "2035", "--measure", "units", "--by-line", "equal"
    )
    assert equal.returncode == 0, equal.stderr
    with db.connect() as conn:
        assert {k: v for k, v in line_plans(conn).items() if k[0] == "units"} == {
            ("units", line): Decimal(10_000) for line in lines
        }
    shown = run(
        cli_db, "plan", "show", "--year", "2035", "--measure", "units", "--product-line",
        lines[1], "--format", "csv",
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    table = list(csv.DictReader(io.StringIO(shown.stdout)))
    company = [r for r in table if r["level"] == "region" and r["region"] == "Company"]
    assert [Decimal(r["total"]) for r in company] == [Decimal(10_000)]
