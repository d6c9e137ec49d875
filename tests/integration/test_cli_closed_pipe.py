"""`manage.py report ... | head`: when the reader closes the pipe, the command stops quietly
(no BrokenPipeError traceback) with status 0 or 141, like other command-line tools."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from core.demo import seed as demo
from db.engine import make_engine, migrate
from tests.conftest import ROOT, SEED_TODAY

REPORT = ["report", "attainment", "--period", f"FY{SEED_TODAY.year}", "--by", "rep"]


@pytest.fixture(scope="module")
def db_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('pipe') / 'pipe.db'}"
    engine = make_engine(url)
    migrate(engine)
    demo.seed(engine, scale="small", seed=3, today=SEED_TODAY)
    engine.dispose()
    return url


def _manage(db_url: str, stdout) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *REPORT, "--format", "csv"],
        cwd=ROOT,
        env={"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"},
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
    )


def _quiet(command: subprocess.Popen) -> None:
    _, err = command.communicate(timeout=300)
    assert command.returncode in (0, 141), err
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert err == "", err


def test_a_report_piped_into_a_reader_that_stops_after_one_line_ends_quietly(db_url):
    command = _manage(db_url, subprocess.PIPE)
    head = subprocess.Popen(["head", "-n", "1"], stdin=command.stdout, stdout=subprocess.PIPE)
    assert command.stdout is not None
    command.stdout.close()  # only head reads the pipe now
    first, _ = head.communicate(timeout=300)
    assert first.decode().rstrip("\n").split(",")[:3] == ["entity", "name", "period"]
    _quiet(command)


def test_a_report_written_to_a_pipe_whose_reader_has_gone_ends_quietly(db_url):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the report is written
    try:
        command = _manage(db_url, write_end)
    finally:
        os.close(write_end)
    _quiet(command)
