"""`manage.py plan ...` as a user runs it: a real process on a real SQLite file."""

from __future__ import annotations

import io
import json

import pandas as pd
from sqlalchemy import create_engine, select

from core.demo import seed as demo
from db.engine import make_engine, migrate
from db.schema import AuditLog, TargetPlan
from tests.integration.test_cli import run


def test_plan_create_show_and_approve_work_end_to_end(tmp_path):
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    seeded = make_engine(url)
    migrate(seeded)
    demo.seed(seeded, scale="small", seed=3)
    seeded.dispose()
    created = run(
        url, "plan", "create", "--year", "2031", "--target", "12,000,000", "--method", "potential",
        "--seasonality", "flat", "--padding", "5",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "FY2031 v1 (draft): 12,000,000 allocated" in created.stdout
    assert "5" in created.stdout and "over-assignment" in created.stdout

    shown = run(url, "plan", "show", "--year", "2031", "--format", "csv")
    assert shown.returncode == 0, shown.stderr
    table = pd.read_csv(io.StringIO(shown.stdout))
    months = [c for c in table.columns if c.startswith("2031-")]
    assert len(months) == 12
    company = table[(table.level == "region") & (table.region == "Company")]
    assert company[months].sum(axis=1).item() == 12_000_000 == company.total.item()
    reps = table[table.level == "rep"]
    assert reps.total.sum() >= 12_600_000  # 5% over-assignment, rounded up per region month
    assert (table[months].sum(axis=1) == table.total).all()

    payload = json.loads(run(url, "plan", "show", "--year", "2031", "--format", "json").stdout)
    assert payload["status"] == "draft" and payload["method"] == "potential"
    assert len(payload["rows"]) == len(table)

    approved = run(url, "plan", "approve", "--year", "2031")
    assert approved.returncode == 0 and "FY2031 v1 approved." in approved.stdout
    again = run(url, "plan", "approve", "--year", "2031")
    assert again.returncode == 1 and "only a draft or submitted plan" in again.stderr

    engine = create_engine(url)
    with engine.connect() as conn:
        status = conn.scalar(select(TargetPlan.status).where(TargetPlan.fiscal_year == 2031))
        actions = conn.scalars(
            select(AuditLog.action).where(AuditLog.entity == "target_plan").order_by(AuditLog.id)
        ).all()
    assert status == "approved" and actions == ["create", "approve"]
