"""Run one manage.py command in this process and report its peak memory, measured honestly
by the operating system (the process's maximum resident set size, ru_maxrss):

    python -m bench.peak_memory import deals FILE [options...]

The last line on stderr is `peak-memory: {"baseline_mb": B, "peak_mb": P, "seconds": S,
"exit": E}`: B once Python, the app's modules and the database driver are loaded, P at the
end of the command (the peak of the whole process), so P - B is what the command itself
needed at its peak.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str]) -> int:
    import manage
    from cli import transfer  # noqa: F401  (the command's modules, loaded before the baseline)
    from core.transfer import importing  # noqa: F401

    baseline = _rss_mb()
    started = time.perf_counter()
    code = manage.main(argv)
    report = {
        "baseline_mb": round(baseline, 1),
        "peak_mb": round(_rss_mb(), 1),
        "seconds": round(time.perf_counter() - started, 1),
        "exit": code,
    }
    print(f"peak-memory: {json.dumps(report)}", file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
