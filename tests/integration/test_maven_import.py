"""The Maven CRM export (a real public dataset) goes in through the mapping options, and the won
revenue per regional office and quarter equals an independent pandas computation over the
original CSV files.

Won revenue is read back through core/evaluation.scope_figures (the function behind the home
page and the attainment report) for each office subtree and fiscal quarter.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from decimal import Decimal

import pandas as pd
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from core.org.access import SYSTEM_ACTOR
from core.org.regions import load_region_tree
from core.periods import fiscal_quarter, fiscal_year, quarter_of
from core.progress.attainment import scope_figures
from core.progress.scopes import Scope
from core.transfer import ColumnMapping, import_table, read_table
from db.schema import Customer, Deal, DealStageHistory, ImportPreset, Person
from tests.conftest import ROOT, SEED_TODAY
from tests.figures_agree import check_figures_agree
from tests.transfer_support import manage_in_process, maven_dir

STAGE_MAP = ["Prospecting=Lead", "Engaging=Qualified", "Won=Won", "Lost=Lost"]
STEPS = [
    (
        "regions",
        "sales_teams.csv",
        "maven-offices",
        [
            "--map",
            "regional_office=name",
            "--map",
            "sales_agent=",
            "--map",
            "manager=",
            "--distinct",
        ],
    ),
    (
        "people",
        "sales_teams.csv",
        "maven-managers",
        [
            "--map",
            "manager=name",
            "--map",
            "regional_office=region",
            "--map",
            "sales_agent=",
            "--default",
            "role=manager",
            "--email-domain",
            "maven.example",
            "--distinct",
        ],
    ),
    (
        "people",
        "sales_teams.csv",
        "maven-agents",
        [
            "--map",
            "sales_agent=name",
            "--map",
            "regional_office=region",
            "--map",
            "manager=reports_to",
            "--default",
            "role=rep",
            "--email-domain",
            "maven.example",
        ],
    ),
    (
        "products",
        "products.csv",
        "maven-products",
        [
            "--map",
            "product=name",
            "--map",
            "series=product_line",
            "--map",
            "sales_price=list_price",
        ],
    ),
    (
        "customers",
        "accounts.csv",
        "maven-accounts",
        ["--map", "account=name", "--map", "sector=industry", "--ignore-other-columns"],
    ),
    (
        "deals",
        "sales_pipeline.csv",
        "maven-deals",
        [
            "--map",
            "opportunity_id=external_id",
            "--map",
            "sales_agent=owner",
            "--map",
            "account=customer",
            "--map",
            "deal_stage=stage",
            "--map",
            "engage_date=created_on",
            "--map",
            "close_date=closed_on",
            "--map",
            "close_value=amount",
            *[arg for pair in STAGE_MAP for arg in ("--stage-map", pair)],
            "--value-map",
            "product:GTXPro=GTX Pro",
            "--default",
            "customer=No account (Maven)",
            "--create-missing-customers",
        ],
    ),
]


def manage(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
        timeout=300,
    )


def expected_won_by_office_quarter(folder) -> dict[tuple[str, int, int], Decimal]:
    """Independent figure: pandas over the original files (calendar quarters)."""
    pipeline = pd.read_csv(folder / "sales_pipeline.csv", dtype={"close_value": str})
    teams = pd.read_csv(folder / "sales_teams.csv")
    won = pipeline[pipeline["deal_stage"] == "Won"].merge(teams, on="sales_agent")
    closed = pd.to_datetime(won["close_date"])
    won = won.assign(
        year=closed.dt.year, quarter=closed.dt.quarter, value=won["close_value"].map(Decimal)
    )
    grouped = won.groupby(["regional_office", "year", "quarter"])["value"].sum()
    return {key: Decimal(value) for key, value in grouped.items()}


def won_by_office_quarter(session: Session, keys) -> dict[tuple[str, int, int], Decimal]:
    tree = load_region_tree(session)
    ids = {name: rid for rid, name in tree.names.items()}
    out = {}
    for office, year, quarter in keys:
        scope = Scope(
            label=office,
            region_ids=frozenset(tree.subtree(ids[office])),
            top_region_ids=(ids[office],),
        )
        out[(office, year, quarter)] = scope_figures(
            session, scope, fiscal_quarter(year, quarter, 1)
        ).won
    return out


def test_the_maven_export_goes_in_with_saved_presets_and_its_won_revenue_comes_out_right(
    tmp_path, monkeypatch, capsys
):
    folder = maven_dir()
    url = f"sqlite:///{tmp_path / 'maven.db'}"
    for kind, name, preset, options in STEPS:
        code, out, err = manage_in_process(
            monkeypatch,
            capsys,
            url,
            "import",
            kind,
            str(folder / name),
            *options,
            "--save-preset",
            preset,
        )
        assert code == 0, err
        assert "were created" in out and len(out.strip().splitlines()) == 1
    # again, each with one command and its saved preset: nothing changes
    for kind, name, preset, _ in STEPS[:-1]:
        code, out, err = manage_in_process(
            monkeypatch, capsys, url, "import", kind, str(folder / name), "--preset", preset
        )
        assert code == 0 and " 0 were created, 0 updated" in out, (out, err)
    again = manage(
        url, "import", "deals", str(folder / "sales_pipeline.csv"), "--preset", "maven-deals"
    )
    assert again.returncode == 0, again.stderr
    assert "8,800 unchanged" in again.stdout, again.stdout

    expected = expected_won_by_office_quarter(folder)
    engine = create_engine(url)
    with Session(engine) as session:
        actual = won_by_office_quarter(session, expected)
        assert actual == expected
    # the same figures through the reporting contract: `report attainment --by region`
    for year, quarter in sorted({(year, quarter) for _, year, quarter in expected}):
        code, out, err = manage_in_process(
            monkeypatch,
            capsys,
            url,
            "report",
            "attainment",
            "--period",
            f"{year}Q{quarter}",
            "--by",
            "region",
            "--format",
            "csv",
        )
        assert code == 0, err
        reported = {row["entity"]: Decimal(row["won"]) for row in csv.DictReader(io.StringIO(out))}
        for (office, y, q), value in expected.items():
            if (y, q) == (year, quarter):
                assert reported[office] == value, (office, year, quarter)
    with Session(engine) as session:
        assert len(expected) >= 12 and sum(expected.values()) > 0
        assert session.scalar(select(func.count()).select_from(Deal)) == 8_800
        assert session.scalar(select(func.count()).where(Deal.status == "won")) == 4_238
        assert session.scalar(select(func.count()).select_from(Person)) == 41
        assert session.scalar(select(func.count()).select_from(ImportPreset)) == 6
        # every deal has history; closed ones two rows (first stage, then the close)
        history = session.scalar(select(func.count()).select_from(DealStageHistory))
        assert history == 8_800 + 4_238 + 2_473
        orphans = session.scalar(
            select(func.count()).select_from(Customer).where(Customer.name == "No account (Maven)")
        )
        assert orphans == 3  # one per office the account-less deals' owners work in
    engine.dispose()


def test_the_maven_export_imports_next_to_existing_demo_data(session):
    folder = maven_dir()
    mapping_by_step = {}
    for kind, name, preset, options in STEPS:
        from cli.transfer import mapping_from_args
        from manage import build_parser

        args = build_parser().parse_args(["import", kind, "x.csv", *options])
        mapping_by_step[preset] = mapping_from_args(args)
        table = read_table((folder / name).read_bytes(), name)
        result = import_table(session, SYSTEM_ACTOR, kind, table, mapping_by_step[preset])
        assert result.created > 0
    expected = expected_won_by_office_quarter(folder)
    assert won_by_office_quarter(session, expected) == expected
    assert isinstance(mapping_by_step["maven-deals"], ColumnMapping)
    # every consumer of the figures agrees on the imported history and on today's figures
    for period in (fiscal_quarter(2017, 2), fiscal_year(2017), quarter_of(SEED_TODAY)):
        assert check_figures_agree(session, period, SEED_TODAY) > 3, period.label
