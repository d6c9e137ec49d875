"""`manage.py plan create --method manual --weights FILE` as a user runs it, on a real SQLite
file: the reps named in the file carry the plan by their weights, bad files change nothing."""

from __future__ import annotations

import json

from sqlalchemy import create_engine, func, select

from core.demo import seed as demo
from db.engine import make_engine, migrate
from db.schema import Person, Target, TargetPlan
from tests.integration.test_cli import run


def test_manual_weights_from_a_file_and_bad_files_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    seeded = make_engine(url)
    migrate(seeded)
    demo.seed(seeded, scale="small", seed=3)
    seeded.dispose()
    engine = create_engine(url)
    with engine.connect() as conn:
        (a, a_login), (b, b_email) = conn.execute(
            select(Person.id, Person.username)
            .where(Person.role == "rep", Person.active.is_(True))
            .order_by(Person.id)
            .limit(2)
        ).all()
        b_email = conn.scalar(select(Person.email).where(Person.id == b))
    weights = tmp_path / "weights.csv"
    weights.write_text(f"rep,weight\n{a_login},3\n{b_email},1\n", encoding="utf-8")

    refused = [
        (["--method", "manual"], "The manual method needs --weights FILE"),
        (["--method", "equal", "--weights", str(weights)], "--weights is for the manual"),
        (["--method", "manual", "--weights", str(tmp_path / "none.csv")], "cannot be read"),
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text(f"rep,weight\n{a_login},3\nnobody,1\n", encoding="utf-8")
    refused.append((["--method", "manual", "--weights", str(bad)], "Row 3: there is no person"))
    columns = tmp_path / "columns.csv"
    columns.write_text("name,share\nx,1\n", encoding="utf-8")
    refused.append((["--method", "manual", "--weights", str(columns)], "needs the columns rep"))
    for extra, message in refused:
        result = run(url, "plan", "create", "--year", "2031", "--target", "12000000", *extra)
        assert result.returncode != 0 and message in result.stderr, (extra, result.stderr)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).where(TargetPlan.fiscal_year == 2031)) == 0

    created = run(
        url, "plan", "create", "--year", "2031", "--target", "12,000,000",
        "--method", "manual", "--weights", str(weights),
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "by manual" in created.stdout
    with engine.connect() as conn:
        plan = conn.scalar(select(TargetPlan.id).where(TargetPlan.fiscal_year == 2031))
        totals = dict(
            conn.execute(
                select(Target.person_id, func.sum(Target.amount))
                .where(Target.plan_id == plan, Target.person_id.is_not(None))
                .group_by(Target.person_id)
            ).all()
        )
    assert totals.pop(a) == 9_000_000 and totals.pop(b) == 3_000_000
    assert set(totals.values()) == {0}, "reps left out of the file weigh 0"
    shown = json.loads(run(url, "plan", "show", "--year", "2031", "--format", "json").stdout)
    assert shown["method"] == "manual" and shown["ramp_mode"] == "spread"

    months = ["5"] * 10 + ["25", "25"]  # a year-end heavy profile, summing to 100
    short = run(
        url, "plan", "create", "--year", "2032", "--target", "1200000", "--method", "equal",
        "--seasonality", "manual", "--months", ",".join(months[:11]),
    )  # fmt: skip
    assert short.returncode != 0 and "exactly 12 monthly percentages" in short.stderr
    seasonal = run(
        url, "plan", "create", "--year", "2032", "--target", "1200000", "--method", "equal",
        "--seasonality", "manual", "--months", ",".join(months), "--ramp", "absorb",
    )  # fmt: skip
    assert seasonal.returncode == 0, seasonal.stderr
    table = json.loads(run(url, "plan", "show", "--year", "2032", "--format", "json").stdout)
    assert table["seasonality"] == "manual" and table["ramp_mode"] == "absorb"
    company = next(r for r in table["rows"] if r["level"] == "region" and r["region"] == "Company")
    assert [company[f"2032-{m:02d}"] for m in range(1, 13)] == [60_000] * 10 + [300_000] * 2
    engine.dispose()
