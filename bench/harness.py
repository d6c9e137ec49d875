"""Timing and memory measurement, and the Markdown table written to docs/performance.md."""

from __future__ import annotations

import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

BENCH_TODAY = date(2026, 11, 30)
"""The large data is generated as of this day, so every run measures the same rows."""


@dataclass
class Measurement:
    name: str
    backend: str
    median_ms: float
    runs: int
    peak_mb: float | None = None
    baseline_ms: float | None = None
    target: str = ""
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if not self.baseline_ms:
            return None
        return self.median_ms / self.baseline_ms


def median_ms(fn: Callable[[], object], *, runs: int = 5, warmup: int = 1) -> float:
    """Median wall time of `fn` over `runs` runs after `warmup` untimed runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def peak_mb(fn: Callable[[], object]) -> float:
    """Peak Python memory allocated while `fn` runs (tracemalloc), in MB."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1_048_576
    finally:
        tracemalloc.stop()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    try:
        with open("/proc/meminfo") as info:
            kb = int(next(line.split()[1] for line in info if line.startswith("MemTotal")))
        memory = f"{kb / 1_048_576:.0f} GiB"
    except (OSError, StopIteration):
        memory = "unknown memory"
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def table(rows: list[Measurement]) -> str:
    head = (
        "| what | backend | median ms | hand-written SQL ms | ratio | peak MB | target | note |\n"
        "|---|---|---:|---:|---:|---:|---|---|\n"
    )
    lines = []
    for row in rows:
        ratio = f"{row.ratio:.2f}x" if row.ratio is not None else ""
        base = f"{row.baseline_ms:.1f}" if row.baseline_ms is not None else ""
        peak = f"{row.peak_mb:.1f}" if row.peak_mb is not None else ""
        lines.append(
            f"| {row.name} | {row.backend} | {row.median_ms:.1f} | {base} | {ratio} | {peak} "
            f"| {row.target} | {row.note} |"
        )
    return head + "\n".join(lines) + "\n"
