"""Every `manage.py report` names reps the same way (email in `entity`, the name beside it) so
reports join, and accepts the same --period forms and --today. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import manage
from core.org.company import fiscal_start_month
from core.periods import quarter_of
from db.config import get_settings
from db.schema import Person
from tests.conftest import SEED_TODAY


@pytest.fixture
def cli(engine, monkeypatch, capsys):
    """Run `manage.py report ...` in-process against the test database."""
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = manage.main(["report", *args])
        except SystemExit as exc:  # argparse refuses an option before the command runs
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    yield run
    get_settings.cache_clear()


@pytest.fixture
def people(engine) -> dict[str, str]:
    """Email -> name of everyone, read straight from the table."""
    with Session(engine) as session:
        return dict(session.execute(select(Person.email, Person.name)).all())


def _csv(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


def test_attainment_and_scorecard_name_reps_by_email_and_name_so_they_join(cli, people):
    period = quarter_of(SEED_TODAY).label
    today = SEED_TODAY.isoformat()
    code, out, err = cli(
        "attainment", "--by", "rep", "--period", period, "--today", today, "--format", "csv"
    )
    assert code == 0, err
    attainment = _csv(out)
    code, out, err = cli("scorecard", "--by", "rep", "--period", period, "--format", "csv")
    assert code == 0, err
    scores = _csv(out)

    for rows in (attainment, scores):
        assert list(rows[0])[:2] == ["entity", "name"]
        for row in rows:
            assert row["entity"] in people, f"{row['entity']} is not an email"
            assert row["name"] == people[row["entity"]]
    joined = {r["entity"] for r in attainment} & {r["entity"] for r in scores}
    assert joined == {r["entity"] for r in attainment}, "every attainment rep has a scorecard"


def test_regions_carry_their_name_in_both_columns(cli):
    code, out, err = cli("attainment", "--by", "region", "--period", f"FY{SEED_TODAY.year}",
                         "--format", "json")  # fmt: skip
    assert code == 0, err
    rows = json.loads(out)
    assert rows and all(r["entity"] == r["name"] for r in rows)
    code, out, err = cli("scorecard", "--by", "region", "--period", f"FY{SEED_TODAY.year}",
                         "--format", "json")  # fmt: skip
    assert code == 0, err
    rows = json.loads(out)
    assert rows and all(r["entity"] == r["name"] for r in rows)


def test_alerts_name_the_owner_by_name_and_email(cli, people):
    code, out, err = cli("alerts", "--format", "csv", "--today", SEED_TODAY.isoformat())
    assert code == 0, err
    rows = _csv(out)
    assert rows
    for row in rows:
        if row["rule"] == "not_priced":  # about a currency, not a person's deals
            assert row["owner"] == row["owner_email"] == ""
        else:
            assert people[row["owner_email"]] == row["owner"]
    code, out, err = cli("alerts", "--format", "json", "--today", SEED_TODAY.isoformat())
    assert code == 0, err
    assert all(
        people[a["owner_email"]] == a["owner"] for a in json.loads(out) if a["rule"] != "not_priced"
    )


@pytest.mark.parametrize("report", ["attainment", "scorecard"])
def test_every_period_form_core_reads_is_accepted_by_every_report(cli, report, engine):
    year = SEED_TODAY.year
    with Session(engine) as session:
        start_month = fiscal_start_month(session)
    forms = {
        f"{year}-03": f"{year}-03",
        f"{year}-3": f"{year}-03",
        f"{year}Q4": f"{year}Q4",
        f"{year}-Q4": f"{year}Q4",
        f"{year}q4": f"{year}Q4",
        f"FY{year}": f"FY{year}",
        f"fy {year}": f"FY{year}",
    }
    for given, label in forms.items():
        code, out, err = cli(report, "--by", "region", "--period", given, "--format", "csv")
        assert code == 0, (given, err)
        assert {r["period"] for r in _csv(out)} == {label}, given
    # no --period: the fiscal quarter of --today
    day = SEED_TODAY.replace(month=5, day=15)
    code, out, err = cli(report, "--by", "region", "--today", day.isoformat(), "--format", "csv")
    assert code == 0, err
    assert {r["period"] for r in _csv(out)} == {quarter_of(day, start_month).label}


@pytest.mark.parametrize("report", ["attainment", "scorecard", "alerts"])
def test_every_report_refuses_a_bad_today_in_one_line(cli, report):
    args = [report, "--today", "2026-13-01"] + (["--by", "region"] if report != "alerts" else [])
    code, out, err = cli(*args)
    assert code == 2
    assert "'2026-13-01' is not a date, e.g. 2026-11-30" in err
    assert "Traceback" not in err
