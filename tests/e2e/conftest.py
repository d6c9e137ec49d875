"""Browser tests: `streamlit run app.py` on a free port over a seeded SQLite file, driven by
Playwright in Debian's headless Chromium. Screenshots go to tests/e2e/artifacts/."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEED_TODAY
from tests.support import copied_sqlite, skip_or_fail

ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        skip_or_fail("Debian's chromium is not installed: no browser for the e2e tests")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_TEMPLATES: list[Path] = []  # this run's folder of seeded templates, set once per worker


@pytest.fixture(scope="session", autouse=True)
def _e2e_templates(seed_templates):
    _TEMPLATES[:] = [seed_templates]


def seed_small(url: str, *extra_args: str) -> None:
    """`manage.py seed` of the small demo data (seed 5, ending at SEED_TODAY) into `url`;
    `extra_args` such as `--locale zh_CN`."""
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "seed",
            "--scale",
            "small",
            "--seed",
            "5",
            "--today",
            SEED_TODAY.isoformat(),
            *extra_args,
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        capture_output=True,
    )


def seeded_database(folder: Path) -> str:
    """A SQLite file under `folder` with the small demo data; returns its URL. The first call
    of the run seeds a template through `manage.py seed`; the others copy it."""
    key = f"e2e-small-5-{SEED_TODAY.isoformat()}"
    # a fixture set up before the autouse one (pytest does not order them) uses its worker's
    # folder: `folder` comes from tmp_path_factory.mktemp, directly under the worker's basetemp
    templates = _TEMPLATES[0] if _TEMPLATES else folder.parent / "seed-templates"
    return copied_sqlite(templates, key, seed_small, folder / "e2e.db")


@contextmanager
def served_app(folder: Path, database_url: str, *extra_args: str, port: int | None = None):
    """`streamlit run app.py` on a free port until the block ends; yields its base URL."""
    port = port or free_port()
    env = {**os.environ, "DATABASE_URL": database_url}
    with open(folder / f"streamlit-{port}.log", "w") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
                *extra_args,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 60
            while True:
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                        break
                except OSError:
                    if time.time() > deadline or server.poll() is not None:
                        raise RuntimeError(
                            f"streamlit did not start: {(folder / log.name).read_text()}"
                        ) from None
                    time.sleep(0.3)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:  # a busy machine: stop it the hard way
                server.kill()
                server.wait(timeout=20)


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """The app served over the small demo data for the whole browser session."""
    folder = tmp_path_factory.mktemp("e2e")
    with served_app(folder, seeded_database(folder)) as url:
        yield url


@pytest.fixture
def console_errors(page):
    """Console errors of the page; tests fail when there are any."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_idle(page) -> None:
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=30_000
    )


def download(page, button: str) -> str:
    """Click the download button named `button` once the page is idle and return the saved
    file's path. The file is written when asked for (ui/downloads.py): on a machine loaded by
    the parallel suite that can take longer than Playwright's default 30 s."""
    wait_idle(page)
    with page.expect_download(timeout=90_000) as started:
        page.get_by_role("button", name=button).click()
    return started.value.path()


def confirmation(page, text: str):
    """The confirmation box of a saved change (the same words also pop up as a toast, which
    a plain get_by_text would find too)."""
    return page.get_by_test_id("stAlertContentSuccess").get_by_text(text)


def assert_no_exception(page) -> None:
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.first.inner_text()


def sign_out(page) -> None:
    """Sign out and wait for the sign-in form: until that rerun has ended the session, the
    browser's cookie would still sign the next page in."""
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("textbox", name="Username or email").wait_for(state="visible", timeout=30_000)


def sign_in(page, app_url: str, username: str, password: str = "demo") -> None:
    page.goto(app_url)
    # a served app's first page imports every module: on a loaded machine (parallel workers)
    # that alone can pass the 30 s default, so wait for the form itself, longer
    field = page.get_by_role("textbox", name="Username or email")
    field.wait_for(state="visible", timeout=90_000)
    field.fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
