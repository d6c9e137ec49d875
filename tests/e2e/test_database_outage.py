"""The database goes away while people are signed in: every page says so in one clear message
instead of an error box, and the app comes back by itself when the database does. Against a
real PostgreSQL server of this test's own, stopped and started while a user is signed in."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import ROOT, SEED_TODAY
from tests.e2e.conftest import (
    assert_no_exception,
    free_port,
    screenshot,
    served_app,
    sign_in,
)
from tests.support import skip_or_fail

OUTAGE_MESSAGE = "The database is not reachable; retrying."


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        skip_or_fail("PostgreSQL server binaries are not installed: no server to stop and start")
    return Path(found[-1]).parent


def _as_postgres(*command: str) -> None:
    """Run a server command as the postgres user when we are root (the server refuses root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    done = subprocess.run([*prefix, *command], capture_output=True, text=True, cwd="/")
    if done.returncode:
        raise RuntimeError(f"{command[0]} failed: {done.stderr or done.stdout}")


class Server:
    """A throw-away PostgreSQL cluster on a free port, which the test can stop and start."""

    def __init__(self, folder: Path):
        self.bin = _postgres_bin()
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://app@127.0.0.1:{self.port}/appdb"

    def init(self) -> None:
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "postgres:", str(self.folder)], check=True)
        _as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-U", "app",
                     "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "-N")
        self.start()
        _as_postgres(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                     "-U", "app", "appdb")

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
        _as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                     str(self.folder / "server.log"), "-w", "-o", options, "start")

    def stop(self) -> None:
        _as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


@contextmanager
def postgres_server(folder: Path):
    server = Server(folder)
    server.init()
    try:
        yield server
    finally:
        with suppress(RuntimeError):  # already stopped
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def outage_app():
    # A folder of its own under /tmp: the server runs as the postgres user, which cannot
    # enter pytest's private temporary folders.
    folder = Path(tempfile.mkdtemp(prefix="outage-"))
    with postgres_server(folder) as server:
        subprocess.run(
            [sys.executable, "manage.py", "seed", "--scale", "small", "--seed", "5",
             "--today", SEED_TODAY.isoformat()],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": server.url},
            check=True,
            capture_output=True,
        )
        with served_app(folder, server.url) as url:
            yield url, server


def test_a_database_outage_shows_one_message_and_the_app_recovers_by_itself(outage_app, page):
    url, server = outage_app
    page.set_viewport_size({"width": 1400, "height": 1000})
    sign_in(page, url, "director")
    expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=60_000)
    # Home has drawn every section (its "This week" reads the database too): a run still in
    # progress when the server stops would fail before the navigation is drawn again
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000
    )
    expect(page.get_by_role("link", name="Customers")).to_be_visible()

    server.stop()
    page.get_by_role("link", name="Customers").click()
    expect(page.get_by_text(OUTAGE_MESSAGE)).to_be_visible(timeout=60_000)
    assert_no_exception(page)
    screenshot(page, "outage-1-database-down")

    server.start()
    # no reload, no new sign-in: the page retries by itself and shows the customers
    expect(page.get_by_role("heading", name="Customers")).to_be_visible(timeout=60_000)
    expect(page.get_by_text(OUTAGE_MESSAGE)).to_have_count(0, timeout=30_000)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_text("While the database")).to_have_count(0)  # no stray text on the page
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=30_000
    )
    assert_no_exception(page)
    screenshot(page, "outage-2-database-back")
