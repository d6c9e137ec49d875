"""A real spreadsheet program in the loop: LibreOffice (headless) opens every .xlsx export and
saves it as CSV, which must equal our own CSV export cell for cell (formula-looking text still
neutralised, dates, amounts and Chinese text intact); and a plan workbook edited and saved by
LibreOffice uploads cleanly. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from core.org.access import load_actor
from core.org.regions import load_region_tree
from core.plans.allocation import create_plan
from core.plans.files import read_plan_file, upload_plan
from core.plans.views import plan_table
from core.transfer import Kind, export_frame, import_table
from core.transfer.spreadsheets import to_csv_bytes, to_excel_bytes
from db.schema import Person, Target
from tests.support import skip_or_fail
from tests.transfer_support import csv_table

CHINESE = "北京华为技术有限公司"
FORMULAS = ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "@SUM(A1)", "-1+1"]
CSV_OUT = "csv:Text - txt - csv (StarCalc):44,34,76"
"""LibreOffice's CSV writer: comma, double quotes, UTF-8."""
CSV_IN = "CSV:44,34,76,1,,0,false,false"
"""LibreOffice's CSV reader: comma, double quotes, UTF-8, from line 1, no date guessing (a
month header such as 2030-01 stays text, as a person typing it would keep it)."""


def soffice(tmp_path: Path, *args: str) -> None:
    """Run LibreOffice headless with a profile of its own (concurrent runs would collide)."""
    program = shutil.which("soffice") or shutil.which("libreoffice")
    if program is None:
        skip_or_fail("LibreOffice is not installed (make test installs libreoffice-calc-nogui)")
    profile = tmp_path / "lo-profile"
    done = subprocess.run(
        [program, f"-env:UserInstallation=file://{profile}", "--headless", *args],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr


def cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.fixture
def director(session):
    return load_actor(
        session, session.scalar(select(Person.id).where(Person.username == "director"))
    )


@pytest.fixture
def world_with_hard_text(session, director):
    """The demo data plus a Chinese customer with a deal and a visit, and customers whose names
    look like formulas."""
    owner = session.scalar(select(Person).where(Person.username == "rep"))
    region = session.get(Person, owner.id).region_id
    region_name = load_region_tree(session).names[region]
    names = [CHINESE, *FORMULAS]
    quoted = "\n".join(
        f'LO-{i},"{n.replace(chr(34), chr(34) * 2)}",{region_name},{owner.email}'
        for i, n in enumerate(names)
    )
    import_table(
        session, director, "customers", csv_table(f"external_id,name,region,owner\n{quoted}")
    )
    import_table(
        session,
        director,
        "deals",
        csv_table(
            "external_id,customer,owner,amount,stage,created_on,closed_on\n"
            f"LO-D1,LO-0,{owner.email},1234567.89,Won,2026-01-05,2026-03-31\n"
            f"LO-D2,LO-1,{owner.email},0.10,Lost,2026-02-01,2026-02-28\n"
        ),
    )
    import_table(
        session,
        director,
        "activities",
        csv_table(
            "type,date,user,customer,deal,outcome,notes\n"
            f'visit,2026-02-14,{owner.email},LO-0,LO-D1,签约,"拜访客户, 讨论报价"\n'
        ),
    )
    session.flush()
    return director


def test_libreoffice_reads_every_excel_export_as_our_own_csv(
    session, world_with_hard_text, tmp_path
):
    ours: dict[Kind, bytes] = {}
    workbooks = []
    for kind in Kind:
        frame = export_frame(session, world_with_hard_text, kind)
        assert len(frame) > 0, kind
        ours[kind] = to_csv_bytes(frame)
        path = tmp_path / f"{kind}.xlsx"
        path.write_bytes(to_excel_bytes(frame, sheet=kind.value))
        workbooks.append(str(path))
    out = tmp_path / "out"
    soffice(tmp_path, "--convert-to", CSV_OUT, "--outdir", str(out), *workbooks)
    for kind in Kind:
        theirs = cells((out / f"{kind}.csv").read_bytes())
        assert theirs == cells(ours[kind]), kind
    customers = cells((out / "customers.csv").read_bytes())
    names = {row[1] for row in customers[1:]}
    assert CHINESE in names
    assert {"'" + f for f in FORMULAS} <= names, "formula-looking names stay neutralised"
    deals = {row[0]: row for row in cells((out / "deals.csv").read_bytes())[1:]}
    header = cells(ours[Kind.DEALS])[0]
    won = dict(zip(header, deals["LO-D1"]))
    assert won["amount"] == "1234567.89" and won["closed_on"] == "2026-03-31"
    assert won["customer"] == "LO-0"
    assert dict(zip(header, deals["LO-D2"]))["amount"] == "0.10"
    activities = cells((out / "activities.csv").read_bytes())
    assert any("拜访客户, 讨论报价" in row for row in activities)


def test_a_plan_workbook_edited_and_saved_by_libreoffice_uploads_cleanly(
    session, director, tmp_path
):
    year = 2030
    info = create_plan(
        session,
        director,
        fiscal_year=year,
        company_target=Decimal(12_000_000),
        method="equal",
    )
    table = plan_table(session, director, info.id)
    (tmp_path / "plan.xlsx").write_bytes(to_excel_bytes(table, sheet="plan"))
    # LibreOffice opens our workbook and saves it as CSV; a person moves 100 between two reps
    # of one region in one month; LibreOffice reads that CSV and saves it as a workbook again.
    soffice(
        tmp_path,
        "--convert-to",
        CSV_OUT,
        "--outdir",
        str(tmp_path / "csv"),
        str(tmp_path / "plan.xlsx"),
    )
    rows = cells((tmp_path / "csv" / "plan.csv").read_bytes())
    header, body = rows[0], rows[1:]
    month = next(h for h in header if h.endswith("-03"))
    col, level, region = header.index(month), header.index("level"), header.index("region")
    reps = [r for r in body if r[level] == "rep"]
    giver = reps[0]
    taker = next(r for r in reps[1:] if r[region] == giver[region])
    giver[col] = str(int(giver[col]) - 100)
    taker[col] = str(int(taker[col]) + 100)
    expected = {(giver[header.index("username")]): int(giver[col])}
    edited = tmp_path / "edited" / "plan.csv"
    edited.parent.mkdir()
    with edited.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *body])
    soffice(
        tmp_path,
        f"--infilter={CSV_IN}",
        "--convert-to",
        "xlsx",
        "--outdir",
        str(tmp_path / "saved"),
        str(edited),
    )
    saved_by_libreoffice = (tmp_path / "saved" / "plan.xlsx").read_bytes()
    frame = read_plan_file("plan.xlsx", saved_by_libreoffice)
    saved = upload_plan(session, director, info.id, frame, expected_lock_version=info.lock_version)
    assert saved.id == info.id
    username = next(iter(expected))
    person = session.scalar(select(Person.id).where(Person.username == username))
    stored = session.scalar(
        select(Target.amount).where(
            Target.plan_id == info.id,
            Target.person_id == person,
            Target.month == date(int(month[:4]), 3, 1),
        )
    )
    assert stored == expected[username]
