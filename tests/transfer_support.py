"""Helpers for import/export tests: files from text, table counts, the Maven dataset."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.transfer import Table, read_table
from db.schema import (
    Activity,
    AuditLog,
    Customer,
    Deal,
    DealStageHistory,
    ImportPreset,
    Person,
    Product,
    Region,
    Stage,
    Target,
    TargetPlan,
)
from tests.conftest import ROOT
from tests.support import skip_or_fail

MAVEN = ROOT.parent / "shared" / "datasets" / "maven-crm"
"""Beside the repository; MAVEN_CRM_DIR overrides it (e.g. for a git worktree one level down)."""
TABLES = (
    Region,
    Person,
    Product,
    Stage,
    Customer,
    Deal,
    DealStageHistory,
    Activity,
    Target,
    TargetPlan,
    ImportPreset,
    AuditLog,
)


def csv_table(text: str, bom: bool = False) -> Table:
    data = text.strip("\n").encode("utf-8")
    return read_table((b"\xef\xbb\xbf" if bom else b"") + data, "file.csv")


def counts(session: Session) -> dict[str, int]:
    """Rows per table: a refused import must leave every count as it was."""
    session.flush()
    return {t.__tablename__: session.scalar(select(func.count()).select_from(t)) for t in TABLES}


def maven_dir() -> Path:
    folder = Path(os.environ.get("MAVEN_CRM_DIR") or MAVEN)
    if not (folder / "sales_pipeline.csv").is_file():
        skip_or_fail(f"the Maven CRM dataset is not at {folder} (set MAVEN_CRM_DIR)")
    return folder


def manage_in_process(monkeypatch, capsys, url: str, *args: str) -> tuple[int, str, str]:
    """manage.py's main() in this process (a subprocess per command costs seconds here)."""
    import manage as cli
    from db.config import get_settings

    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    get_settings.cache_clear()
    return code, out, err
