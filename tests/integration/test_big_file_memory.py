"""A big deal file imports in bounded memory: `manage.py import deals` streams the file and
works a chunk at a time, so its peak memory (measured by the operating system, in a process of
its own) stays under a stated bound and does not grow with the number of rows."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

from bench.import_files import write_company, write_deals
from tests.conftest import ROOT

BOUND_MB = 150
"""Peak memory the import itself may add to the process (measured: about 100 MB at 200,000
rows, 126 MB at 150,000; the whole file held in memory would need several times that)."""
GROWTH_MB = 40
"""How much more a file five times longer may need: a chunk's worth is the same for both."""


def _manage(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bench.peak_memory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
        timeout=900,
    )


def _import_deals(tmp_path, rows: int) -> tuple[dict, dict[str, int], str]:
    """A fresh database with the company, then the deal file; the peak memory report, the
    stages the file holds and the database's URL."""
    folder = tmp_path / f"rows-{rows}"
    folder.mkdir()
    url = f"sqlite:///{folder / 'big.db'}"
    for kind, path in write_company(folder).items():
        done = _manage(url, "import", kind, str(path))
        assert done.returncode == 0, done.stderr
    stages = write_deals(folder / "deals.csv", rows)
    done = _manage(url, "import", "deals", str(folder / "deals.csv"), "--progress")
    assert done.returncode == 0, done.stderr
    assert f"Imported: {rows:,} deals rows; {rows:,} were created" in done.stdout
    assert "rows checked and written" in done.stderr, "progress lines go to stderr"
    report = json.loads(done.stderr.strip().splitlines()[-1].removeprefix("peak-memory: "))
    return report, stages, url


def test_a_big_deal_file_imports_within_a_memory_bound_that_does_not_grow_with_its_rows(
    tmp_path,
):
    small, _, _ = _import_deals(tmp_path, 20_000)
    big, stages, url = _import_deals(tmp_path, 100_000)
    grew = big["peak_mb"] - big["baseline_mb"]
    print(
        f"\npeak memory growth: 20,000 rows {small['peak_mb'] - small['baseline_mb']:.0f} MB, "
        f"100,000 rows {grew:.0f} MB ({big['seconds']:.0f} s)"
    )
    assert grew < BOUND_MB
    assert big["peak_mb"] - small["peak_mb"] < GROWTH_MB
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        by_status = dict(db.execute("SELECT status, COUNT(*) FROM deal GROUP BY status"))
        history = db.execute("SELECT COUNT(*) FROM deal_stage_history").fetchone()[0]
    assert by_status == {
        "open": stages["Lead"] + stages["Qualified"] + stages["Negotiation"],
        "won": stages["Won"],
        "lost": stages["Lost"],
    }
    assert history == 100_000 + stages["Won"] + stages["Lost"]  # entry, and the close
