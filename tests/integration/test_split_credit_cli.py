"""`manage.py report attainment` with a split deal: each rep's row has the rep's share, the
company row counts the deal once; its money is in the company currency (its help says so)."""

from __future__ import annotations

import io
import json
import os
from contextlib import redirect_stderr, redirect_stdout
from datetime import date, timedelta
from decimal import Decimal

import pytest

from core.demo import seed as demo
from core.org.company import fiscal_start_month
from core.performance.plan_vs_actual import last_closed_quarter
from core.pipeline import credit
from db.config import get_settings
from db.engine import make_engine, migrate, session_factory
from tests import factories as f
from tests import performance_factories as pf
from tests.conftest import SEED_TODAY


def run(db_url: str, *args: str) -> tuple[int, str, str]:
    """manage.py's main() in this process, over `db_url`."""
    import manage

    os.environ["DATABASE_URL"] = db_url
    get_settings.cache_clear()
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = manage.main(list(args))
            except SystemExit as done:  # --help exits
                code = int(done.code or 0)
    finally:
        os.environ.pop("DATABASE_URL", None)
        get_settings.cache_clear()
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('split-cli') / 'report.db'}"
    engine = make_engine(url)
    migrate(engine)
    demo.seed(engine, scale="small", seed=3, today=SEED_TODAY)
    engine.dispose()
    return url


def _company_won(url: str, period: str) -> tuple[Decimal, str]:
    code, out, err = run(
        url, "report", "attainment", "--by", "company", "--period", period, "--format", "json"
    )
    assert code == 0, err
    (row,) = json.loads(out)
    return Decimal(row["won"]), row["entity"]


def test_report_attainment_credits_each_rep_their_share_and_the_company_once(database):
    engine = make_engine(database)
    with session_factory(engine)() as session:
        quarter = last_closed_quarter(date.today(), fiscal_start_month(session))
    label = quarter.label
    before, _ = _company_won(database, label)
    with session_factory(engine, write=True)() as session:
        north = f.region(session, "CLI split North")
        south = f.region(session, "CLI split South")
        boss = f.person(session, "manager", north, manages=[north, south])
        ann = f.person(session, "rep", north)
        bob = f.person(session, "rep", south)
        plan = pf.approved_plan(session, quarter.fiscal_year)
        pf.rep_target(session, plan, ann, quarter.start, "2000.00")
        pf.rep_target(session, plan, bob, quarter.start, "500.00")
        deal = f.deal(
            session,
            ann,
            f.customer(session, ann, north),
            amount=Decimal("1234.56"),
            status="won",
            closed_on=quarter.start + timedelta(days=3),
        )
        credit.set_split(
            session, f.actor(session, boss), deal.id, deal.version, {ann.id: "75", bob.id: "25"}
        )
        session.commit()
        emails = {ann.email: "ann", bob.email: "bob"}
    engine.dispose()

    code, out, err = run(
        database, "report", "attainment", "--by", "rep", "--period", label, "--format", "json"
    )
    assert code == 0, err
    rows = {emails[r["entity"]]: r for r in json.loads(out) if r["entity"] in emails}
    # 1,234.56 x 75 % = 925.92 and x 25 % = 308.64: both exact, so they add up to the deal.
    assert (rows["ann"]["won"], rows["ann"]["target"]) == ("925.92", "2000.00")
    assert rows["ann"]["attainment"] == "0.4630"  # 925.92 / 2,000
    assert (rows["bob"]["won"], rows["bob"]["target"]) == ("308.64", "500.00")
    assert rows["bob"]["attainment"] == "0.6173"  # 308.64 / 500
    after, _ = _company_won(database, label)
    assert after - before == Decimal("1234.56")  # the company counts the deal once, in full


def test_report_attainment_says_its_money_is_in_the_company_currency(database):
    code, out, _ = run(database, "report", "attainment", "--help")
    assert code == 0
    assert "company currency" in " ".join(out.split())
