"""Every page's cold render under AppTest, for the director, a manager and a rep.

The signed-in user is resolved as tests/app/conftest.py does (the real app.py, the sign-in
form, the demo password). Before each timed render every data cache (`st.cache_data`) is
cleared, so the page computes everything it shows; the engine (`st.cache_resource`, opened once
per server process) is kept, and so is each script's compiled code, as a server compiles each
page once per process (AppTest would compile app.py and the page again on every run: 80 ms
for Performance). The business day (core.clock, SALES_TODAY) is the day the data was
generated on, so every run shows the same periods.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class PageCase:
    path: str
    title: str
    users: tuple[str, ...]
    """Demo usernames who render it: the director, a manager ("manager") and a rep ("rep")."""


PAGE_CASES: tuple[PageCase, ...] = (
    PageCase("pages/home.py", "Home", ("director", "manager")),
    PageCase("pages/attainment.py", "Attainment & forecast", ("director", "manager")),
    PageCase("pages/pipeline.py", "Pipeline", ("director", "manager")),
    PageCase("pages/reviews.py", "Pipeline reviews", ("director", "manager")),
    PageCase("pages/customers.py", "Customers", ("director", "manager")),
    PageCase("pages/targets.py", "Targets", ("director", "manager")),
    PageCase("pages/performance.py", "Performance (default section)", ("director", "manager")),
    PageCase("pages/alerts.py", "Alerts", ("director", "manager")),
    PageCase("pages/my_day.py", "My day", ("manager", "rep")),
    PageCase("pages/my_deals.py", "My deals", ("manager", "rep")),
    PageCase("pages/organisation.py", "Organisation", ("director",)),
    PageCase("pages/exchange_rates.py", "Exchange rates", ("director",)),
    PageCase("pages/import.py", "Import and export", ("director", "manager")),
    PageCase("pages/audit.py", "Audit log", ("director",)),
    PageCase("pages/digests.py", "Email digests", ("director",)),
    PageCase("pages/account.py", "My account", ("director", "manager")),
)
"""Every page of ui/navigation.py that a director, manager or rep sees (the administrator's
Pipeline stages page reads one small table)."""

PAGE_BUDGET_MS = 1000.0
MEMORY_BUDGET_MB = 50.0


@contextmanager
def today_is(day: date) -> Iterator[None]:
    """The business day (core.clock, SALES_TODAY) is `day` while the pages render."""
    from core import clock

    before = os.environ.get(clock.SETTING)
    os.environ[clock.SETTING] = day.isoformat()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(clock.SETTING, None)
        else:
            os.environ[clock.SETTING] = before


@contextmanager
def compiled_once() -> Iterator[None]:
    """Every AppTest run shares one script cache, as every session of a server does."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    modules = (app_test, local_script_runner)
    try:
        for module in modules:
            module.ScriptCache = lambda: shared  # type: ignore[assignment,misc]
        yield
    finally:
        for module in modules:
            module.ScriptCache = ScriptCache  # type: ignore[misc]


def _signed_in(username: str):
    from streamlit.testing.v1 import AppTest

    from core.demo.org import DEMO_PASSWORD
    from db.config import PROJECT_DIR

    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=900)
    at.run()
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(DEMO_PASSWORD)
    at.button[0].click().run()
    if at.exception:
        raise RuntimeError(f"signing in as {username} failed: {at.exception}")
    return at


def _shown_error(at) -> str | None:
    if at.exception:
        return str(at.exception[0].message if hasattr(at.exception[0], "message") else at.exception)
    return None


def navigation_badge(username: str, day: date, runs: int) -> dict:
    """The navigation's "Alerts (N)" count, cold: app.py computes it on every page (cached by
    the data versions), but AppTest runs only the page's script after a switch, so the page
    rows leave it out and a page's cold render in the browser is its row plus this one."""
    from sqlalchemy import select

    from core.org.access import load_actor
    from core.performance import alerts
    from db.schema import Person
    from ui.data import read

    times, cpu = [], []
    for _ in range(runs):
        with read() as session:
            started, started_cpu = time.perf_counter(), time.process_time()
            actor = load_actor(
                session, session.scalar(select(Person.id).where(Person.username == username))
            )
            alerts.open_alert_count(session, actor, today=day)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
    return {"ms": times, "cpu": cpu, "mb": 0.0}


def render_cold(url: str, day: date, runs: int) -> dict[tuple[str, str], dict]:
    """{(path, username): {"ms": [cold render ms...], "cpu": [this process's CPU ms...],
    "mb": peak MB of one more cold render}}. The CPU time is the app's own (the script thread
    and, on SQLite, the database); PostgreSQL's server works in other processes."""
    import streamlit as st

    from db.config import get_settings
    from ui.forecast_snapshots import wait_for_snapshots

    os.environ["DATABASE_URL"] = url
    os.environ["SALES_RAISE_ERRORS"] = "1"
    get_settings.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()
    results: dict[tuple[str, str], dict] = {}
    users = sorted({u for case in PAGE_CASES for u in case.users})
    with today_is(day), compiled_once():
        for username in users:
            started = time.perf_counter()
            at = _signed_in(username)
            signed = (time.perf_counter() - started) * 1000
            results[("sign-in", username)] = {"ms": [signed], "mb": 0.0}
            print(f"  sign-in and first page     {username:9} {signed:8.0f} ms", flush=True)
            started = time.perf_counter()
            wait_for_snapshots()  # a run the sign-in started would share the CPU with the pages
            waited = (time.perf_counter() - started) * 1000
            if waited > 100:
                print(f"  waited for the forecast snapshots {waited:8.0f} ms", flush=True)
            badge = navigation_badge(username, day, runs)
            results[("navigation", username)] = badge
            print(
                f"  {'navigation badge':28} {username:9} {statistics.median(badge['ms']):8.0f} ms "
                f"{statistics.median(badge['cpu']):8.0f} ms CPU",
                flush=True,
            )
            for case in PAGE_CASES:
                if username not in case.users:
                    continue
                times, cpu = [], []
                for _ in range(runs):
                    st.cache_data.clear()
                    started, started_cpu = time.perf_counter(), time.process_time()
                    at.switch_page(case.path).run()
                    times.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - started_cpu) * 1000)
                    if error := _shown_error(at):
                        raise RuntimeError(f"{case.path} for {username} failed: {error}")
                    for shown in at.error:  # a refusal or a failure the page caught
                        print(f"  ! {case.path} for {username} shows: {shown.value}", flush=True)
                st.cache_data.clear()
                tracemalloc.start()
                try:
                    at.switch_page(case.path).run()
                    peak = tracemalloc.get_traced_memory()[1] / 1_048_576
                finally:
                    tracemalloc.stop()
                results[(case.path, username)] = {"ms": times, "cpu": cpu, "mb": peak}
                print(
                    f"  {case.path:28} {username:9} {statistics.median(times):8.0f} ms "
                    f"{statistics.median(cpu):8.0f} ms CPU {peak:6.1f} MB",
                    flush=True,
                )
    return results


def _verdict(ms: float, mb: float) -> str:
    misses = []
    if ms >= PAGE_BUDGET_MS:
        misses.append("over 1 s")
    if mb >= MEMORY_BUDGET_MB:
        misses.append("over 50 MB")
    return "MISSED: " + ", ".join(misses) if misses else "met"


def page_table(renders: dict[str, dict[tuple[str, str], dict]]) -> str:
    """Markdown: every page's cold render (median ms, and this process's CPU ms) and its peak
    memory, one column group per backend, verdicts against 1 s and 50 MB."""
    titles = {case.path: case.title for case in PAGE_CASES}
    titles["sign-in"] = "sign-in and first page (not cleared)"
    titles["navigation"] = "navigation badge (open-alert count; on every page)"
    labels = list(renders)
    head = "| page | user | " + " | ".join(f"{b} ms | {b} CPU ms | {b} MB" for b in labels)
    lines = [head + " | verdict |", "|---|---|" + "---:|---:|---:|" * len(labels) + "---|"]
    for key in renders[labels[0]]:
        cells, misses = [], set()
        for label in labels:
            found = renders[label].get(key)
            if not found:
                cells.append(" | | ")
                continue
            ms = statistics.median(found["ms"])
            cpu = statistics.median(found["cpu"]) if found.get("cpu") else None
            cells.append(f"{ms:,.0f} | {'' if cpu is None else f'{cpu:,.0f}'} | {found['mb']:.1f}")
            if key[0] != "sign-in":
                misses.update(_verdict(ms, found["mb"]).removeprefix("MISSED: ").split(", "))
        misses.discard("met")
        verdict = "met" if not misses else "MISSED: " + ", ".join(sorted(misses))
        verdict = "" if key[0] == "sign-in" else verdict
        lines.append(f"| {titles[key[0]]} | {key[1]} | " + " | ".join(cells) + f" | {verdict} |")
    return "\n".join(lines) + "\n"


def growth_table(one: dict[tuple[str, str], dict], five: dict[tuple[str, str], dict]) -> str:
    """Markdown: every page's cold render at 1 M and 5 M deals side by side."""
    titles = {case.path: case.title for case in PAGE_CASES}
    titles["sign-in"] = "sign-in and first page"
    titles["navigation"] = "navigation badge (open-alert count)"
    lines = [
        "| page | user | 1 M ms | 5 M ms | 5 M / 1 M | within 1.5x |",
        "|---|---|---:|---:|---:|---|",
    ]
    for key, found in one.items():
        if key not in five:
            continue
        a, b = statistics.median(found["ms"]), statistics.median(five[key]["ms"])
        ratio = b / a if a else float("nan")
        lines.append(
            f"| {titles[key[0]]} | {key[1]} | {a:.0f} | {b:.0f} | {ratio:.2f}x "
            f"| {'yes' if ratio <= 1.5 else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """python -m bench.pages URL [RUNS]: print every page's cold render (for fixing pages)."""
    args = argv if argv is not None else sys.argv[1:]
    from bench.harness import BENCH_TODAY

    render_cold(args[0], BENCH_TODAY, int(args[1]) if len(args) > 1 else 3)


if __name__ == "__main__":
    main()
