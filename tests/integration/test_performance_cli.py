"""`manage.py report scorecard` and `report alerts` as a daily job runs them."""

import csv
import io
import json
import os
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, select

from core.demo import seed as demo
from core.evaluation import METRICS
from db.config import get_settings
from db.engine import make_engine, migrate
from db.schema import Person, Region
from tests.conftest import SEED_TODAY


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def run(db_url: str, *args: str) -> Done:
    """manage.py's main() in this process (a subprocess per report would cost seconds each);
    test_cli.py covers the real process."""
    import manage

    os.environ["DATABASE_URL"] = db_url
    get_settings.cache_clear()
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = manage.main(list(args))
    finally:
        os.environ.pop("DATABASE_URL", None)
        get_settings.cache_clear()
    return Done(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'report.db'}"
    engine = make_engine(url)
    migrate(engine)
    demo.seed(engine, scale="small", seed=3, today=SEED_TODAY)
    engine.dispose()
    return url


def test_the_scorecard_report_has_one_row_per_rep_whose_parts_add_up(seeded):
    period = f"{SEED_TODAY.year - 1}Q3"
    done = run(seeded, "report", "scorecard", "--period", period, "--by", "rep", "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0]) == ["entity", "name", "period", "score", *METRICS]
    with create_engine(seeded).connect() as conn:
        reps = conn.scalar(
            select(func.count()).where(Person.role == "rep", Person.active.is_(True))
        )
    assert len(rows) == reps
    for row in rows:
        assert row["period"] == period
        parts = sum(Decimal(row[m]) for m in METRICS)
        assert Decimal(row["score"]) == parts


def test_the_scorecard_report_by_region_as_json_and_as_a_table(seeded):
    period = f"FY{SEED_TODAY.year - 1}"
    done = run(
        seeded, "report", "scorecard", "--period", period, "--by", "region", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    with create_engine(seeded).connect() as conn:
        regions = set(conn.scalars(select(Region.name).where(Region.parent_id.is_not(None))))
    assert {r["entity"] for r in rows} == regions
    table = run(seeded, "report", "scorecard", "--period", period, "--by", "region")
    assert table.returncode == 0 and "forecast_accuracy" in table.stdout.splitlines()[0]


def test_the_alerts_report_lists_every_open_alert_with_its_figures(seeded):
    as_json = run(seeded, "report", "alerts", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    alerts = json.loads(as_json.stdout)
    assert {"stalled_deal", "slipping_deal", "neglected_customer"} <= {a["rule"] for a in alerts}
    assert all(a["subject"] and a["message"] for a in alerts)
    # every alert about a person's deals names them; the not-priced alert is about a currency
    assert all(a["owner"] for a in alerts if a["rule"] != "not_priced")
    assert {a["subject"] for a in alerts if a["rule"] == "not_priced"} == {"INR"}
    as_csv = run(seeded, "report", "alerts", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(rows) == len(alerts)
    assert json.loads(rows[0]["figures"]) == alerts[0]["figures"]


def test_a_bad_period_gives_one_clear_line_and_exit_code_one(seeded):
    done = run(seeded, "report", "scorecard", "--period", "2026Q7")
    assert done.returncode == 1
    assert done.stderr.strip().startswith("error: Unknown period '2026Q7'")
    assert "Traceback" not in done.stderr
