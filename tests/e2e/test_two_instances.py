"""Two app instances on one PostgreSQL behind nginx (deploy/nginx.conf, deploy/sales-app.conf):
a deal saved through one instance is seen through the other at its next rerun.

The proxy keeps a browser on one instance by a cookie, `sales_route`, hashed consistently onto
the instances. A browser without it gets a random one from nginx; the test instead sets the
cookie itself, trying a few values until it has one that lands on each instance (nginx names
the instance that answered in the X-Upstream header), so each browser context is bound to the
instance the test chose, through the proxy."""

from __future__ import annotations

import getpass
import os
import re
import shutil
import subprocess
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests.conftest import ROOT
from tests.e2e.conftest import (
    ARTIFACTS,
    assert_no_exception,
    confirmation,
    free_port,
    screenshot,
    seed_small,
    served_app,
    sign_in,
    wait_idle,
)
from tests.support import fresh_postgres, skip_or_fail

DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DELTA = 12_345  # whole units of the company currency added to the deal's amount
CACHE_TTL = 60  # seconds: the pipeline board's cache lifetime in one instance (pages/pipeline.py)
DESKTOP = {"width": 1400, "height": 1000}


def render_proxy(folder: Path, listen: int, instances: list[str]) -> Path:
    """deploy/nginx.conf and deploy/sales-app.conf with their placeholders filled, in
    `folder`, which is nginx's prefix (pid, logs, temporary files)."""
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / sub).mkdir(exist_ok=True)
    servers = "\n    ".join(f"server {address};" for address in instances)
    filled = {
        "sales-app.conf": {"@LISTEN@": f"127.0.0.1:{listen}", "@SERVERS@": servers},
        "nginx.conf": {"@PREFIX@": str(folder), "@USER@": getpass.getuser()},
    }
    for name, values in filled.items():
        lines = (DEPLOY / name).read_text().splitlines(keepends=True)
        for placeholder, value in values.items():  # the comments keep their placeholders
            lines = [
                line if line.lstrip().startswith("#") else line.replace(placeholder, value)
                for line in lines
            ]
        (folder / name).write_text("".join(lines))
    return folder / "nginx.conf"


@contextmanager
def served_proxy(folder: Path, instances: list[str]):
    """nginx in the foreground on a free port in front of `instances` (host:port) until the
    block ends; yields its base URL."""
    port = free_port()
    config = render_proxy(folder, port, instances)
    with open(folder / "nginx.out", "w") as log:
        proxy = subprocess.Popen(
            [NGINX, "-p", str(folder), "-c", str(config), "-g", "daemon off;"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 30
            while True:
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                        break
                except OSError:
                    if time.time() > deadline or proxy.poll() is not None:
                        log.flush()
                        output = (folder / "nginx.out").read_text()
                        raise RuntimeError(f"nginx did not start: {output}") from None
                    time.sleep(0.2)
            yield url
        finally:
            proxy.terminate()
            try:
                proxy.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proxy.kill()
                proxy.wait(timeout=20)


def answered_by(url: str, route: str | None = None) -> tuple[str, str | None]:
    """Which instance answered `url` with the sales_route cookie `route`, and the
    sales_route cookie the proxy set (None when it set none)."""
    request = urllib.request.Request(url)
    if route is not None:
        request.add_header("Cookie", f"sales_route={route}")
    with urllib.request.urlopen(request, timeout=10) as response:
        set_cookie = response.headers.get("Set-Cookie")
        return response.headers["X-Upstream"], set_cookie


def routes_to(proxy: str, instances: list[str]) -> dict[str, str]:
    """A sales_route value that reaches each instance (found by trying values)."""
    found: dict[str, str] = {}
    for n in range(200):
        upstream, _set = answered_by(f"{proxy}/_stcore/health", f"route-{n}")
        found.setdefault(upstream, f"route-{n}")
        if set(found) == set(instances):
            return found
    raise AssertionError(f"200 routes reached only {sorted(found)} of {instances}")


def with_application_name(database_url: str, name: str) -> str:
    """The URL with a libpq application_name, so pg_stat_activity names each instance."""
    url = make_url(database_url)
    return url.set(query={**url.query, "application_name": name}).render_as_string(
        hide_password=False
    )


def amount_metric(page) -> int:
    """The Pipeline page's "Amount" metric, in whole units of the company currency."""
    metric = page.get_by_test_id("stMetric").filter(has_text="Amount")
    value = metric.get_by_test_id("stMetricValue").inner_text()
    return int(re.sub(r"[^\d]", "", value))


def test_a_deal_saved_through_one_instance_is_seen_through_the_other(
    browser, tmp_path, monkeypatch
):
    database_url = os.environ.get("TEST_DATABASE_URL")
    if not database_url:
        skip_or_fail("TEST_DATABASE_URL is not set: no PostgreSQL for the two-instance test")
    if not Path(NGINX).exists():
        skip_or_fail("nginx is not installed (make nginx): no proxy for the two-instance test")
    engine = fresh_postgres(database_url, "two_instances")
    url = engine.url.render_as_string(hide_password=False)
    seed_small(url)
    with engine.connect() as conn:
        # An open deal of the manager's first rep, in the company currency, so the manager's
        # pipeline amount (in the company currency) moves by exactly what is added to it.
        deal_id, amount = conn.execute(
            text(
                "SELECT d.id, d.amount FROM deal d JOIN person p ON p.id = d.owner_id "
                "WHERE p.username = 'rep' AND d.status = 'open' AND d.company_amount IS NOT NULL "
                "AND d.currency = COALESCE((SELECT value #>> '{}' FROM app_setting "
                "WHERE key = 'company_currency'), 'USD') ORDER BY d.id LIMIT 1"
            )
        ).one()
    # Both instances sign the sign-in cookie with one secret, as docs/deploy.md requires.
    monkeypatch.setenv("SESSION_COOKIE_SECRET", "two-instances-" + "s" * 40)

    with ExitStack() as stack:
        first = stack.enter_context(served_app(tmp_path, with_application_name(url, "sales-1")))
        second = stack.enter_context(served_app(tmp_path, with_application_name(url, "sales-2")))
        instances = [first.removeprefix("http://"), second.removeprefix("http://")]
        proxy = stack.enter_context(served_proxy(tmp_path / "nginx", instances))

        # A browser without the cookie gets one, and keeps reaching the same instance with it.
        upstream, set_cookie = answered_by(f"{proxy}/")
        assert set_cookie and set_cookie.startswith("sales_route="), set_cookie
        route = set_cookie.split(";")[0].removeprefix("sales_route=")
        assert {answered_by(f"{proxy}/", route) for _ in range(5)} == {(upstream, None)}
        routes = routes_to(proxy, instances)

        contexts = {}
        for name, instance in (("writer", instances[0]), ("reader", instances[1])):
            context = stack.enter_context(browser.new_context(viewport=DESKTOP))
            context.add_cookies([{"name": "sales_route", "value": routes[instance], "url": proxy}])
            page = context.new_page()
            page.set_default_timeout(60_000)  # two app instances and a browser on one machine
            seen: set[str] = set()
            page.on("response", lambda r, seen=seen: seen.add(r.headers.get("x-upstream", "-")))
            contexts[name] = (page, seen)
        writer, writer_seen = contexts["writer"]
        reader, reader_seen = contexts["reader"]
        try:
            # The writer opens the deal through one instance and types a new amount.
            sign_in(writer, proxy, "manager")
            expect(writer.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
            wait_idle(writer)
            writer.goto(f"{proxy}/pipeline?deal={deal_id}")
            expect(writer.get_by_text("Stage history")).to_be_visible(timeout=60_000)
            wait_idle(writer)
            writer.get_by_text("✏️ Next step, close date, amount").click()
            new_amount = Decimal(amount) + DELTA
            box = writer.get_by_role("spinbutton", name="Amount")
            box.fill(f"{new_amount:.2f}")
            box.press("Tab")

            # The reader's instance caches the manager's pipeline board.
            sign_in(reader, proxy, "manager")
            expect(reader.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
            wait_idle(reader)
            cached_at = time.monotonic()  # no later than the board's cache entry is made
            reader.goto(f"{proxy}/pipeline")
            expect(reader.get_by_role("heading", name="Pipeline")).to_be_visible(timeout=30_000)
            wait_idle(reader)
            before = amount_metric(reader)

            # The writer saves.
            writer.get_by_role("button", name="Save", exact=True).click()
            expect(confirmation(writer, "Saved.")).to_be_visible(timeout=30_000)
            with engine.connect() as conn:
                saved = conn.execute(
                    text("SELECT amount FROM deal WHERE id = :id"), {"id": deal_id}
                ).scalar_one()
            assert saved == new_amount

            # The reader's next rerun (switching the view) shows the saved amount.
            reader.get_by_text("Table", exact=True).click()
            expect(reader.get_by_test_id("stDataFrame")).to_be_visible(timeout=30_000)
            wait_idle(reader)
            after = amount_metric(reader)
            elapsed = time.monotonic() - cached_at
            assert elapsed < CACHE_TTL, (
                f"{elapsed:.0f} s between the reader's first render and its rerun: its cache "
                "may have expired by itself, so this run proves nothing about the data version"
            )
            screenshot(reader, "two-instances-reader")

            with engine.connect() as conn:
                connections = dict(
                    conn.execute(
                        text(
                            "SELECT application_name, count(*) FROM pg_stat_activity "
                            "WHERE application_name LIKE 'sales-%' GROUP BY application_name"
                        )
                    ).all()
                )
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / "two-instances-connections.txt").write_text(
                "".join(f"{name}: {count}\n" for name, count in sorted(connections.items()))
            )
            # Each context was served by its own instance, and each instance read the database.
            assert writer_seen == {instances[0]}, writer_seen
            assert reader_seen == {instances[1]}, reader_seen
            assert set(connections) == {"sales-1", "sales-2"}, connections
            assert after == before + DELTA, (before, after)
            assert_no_exception(writer)
            assert_no_exception(reader)
        except BaseException:
            screenshot(writer, "two-instances-writer-failed")
            screenshot(reader, "two-instances-reader-failed")
            raise
    engine.dispose()


def test_the_deploy_guide_shows_the_files_the_test_uses():
    """docs/deploy.md quotes deploy/'s files whole, so the guide is the tested configuration."""
    guide = (ROOT / "docs" / "deploy.md").read_text()
    for name in ("sales-app.conf", "nginx.conf", "sales-app@.service"):
        assert (DEPLOY / name).read_text() in guide, f"docs/deploy.md does not quote {name}"
