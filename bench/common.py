"""Shared helpers for the benchmark scenarios: percentiles, ratios, machine facts, result files.

Every scenario module (bench/sN_*.py) measures its peers in one run and calls `report()` once.
The figures are printed as a small table and written as JSON under bench/results/, stamped with
the date and the machine, so runs on different days or boxes are never compared blindly. When
`python -m bench` drives the run it sets HAZELNUT_BENCH_RUN_ID so all scenarios of one run share
a stamp; a scenario run alone gets its own.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(os.environ.get("HAZELNUT_BENCH_RESULTS_DIR", Path(__file__).parent / "results"))
RUN_ID_ENV = "HAZELNUT_BENCH_RUN_ID"
QUICK_ENV = "HAZELNUT_BENCH_QUICK"


def run_id() -> str:
    """The stamp shared by every scenario of one `python -m bench` run (or a fresh one)."""
    existing = os.environ.get(RUN_ID_ENV)
    if existing:
        return existing
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    os.environ[RUN_ID_ENV] = stamp
    return stamp


def is_quick(argv: Sequence[str] | None = None) -> bool:
    """True when the scenario should run its short variant (`--quick`, or the runner asked)."""
    args = sys.argv[1:] if argv is None else argv
    return "--quick" in args or os.environ.get(QUICK_ENV) == "1"


def machine_info() -> dict[str, Any]:
    """Facts about the box that make a number meaningful: CPUs, model, memory, Python, load."""
    info: dict[str, Any] = {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
    }
    try:
        info["cpus_allowed"] = len(os.sched_getaffinity(0))
        info["loadavg"] = [round(v, 2) for v in os.getloadavg()]
    except (AttributeError, OSError):
        pass
    info["git_commit"] = _git_commit()
    return info


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor()
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else platform.processor()


def _memory_gib() -> float | None:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return None
    match = re.search(r"^MemTotal:\s*(\d+) kB", text, re.MULTILINE)
    return round(int(match.group(1)) / 1024 / 1024, 1) if match else None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent.parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile (pct in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def latency_summary(seconds: Sequence[float], prefix: str = "") -> dict[str, float | None]:
    """p50/p90/p99/max in milliseconds under keys like `<prefix>p50_ms`."""
    return {
        f"{prefix}{name}_ms": _ms(percentile(seconds, pct))
        for name, pct in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))
    }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 3)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator rounded to 3 places; None when either side is missing or zero."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return round(numerator / denominator, 3)


def rate(count: int | float, seconds: float) -> float | None:
    """Operations per second, None for an empty interval."""
    return None if seconds <= 0 else round(count / seconds, 1)


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    """`with stopwatch() as t: ...` then t["seconds"] is the wall time of the block."""
    box: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - start


def cpu_seconds() -> float:
    """User+system CPU of this process and its reaped children, for CPU-per-operation figures."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def report(
    scenario: str,
    figures: dict[str, Any],
    ratios: dict[str, Any],
    notes: str = "",
) -> dict[str, Any]:
    """Print a scenario's figures and ratios and write them to bench/results/<scenario>-<run>.json.

    `figures` are measured numbers with their unit in the key (`installs_per_s`, `p99_ms`);
    `ratios` are same-run comparisons named `A/B` or with the anchor's wording; `notes` says what
    ran (peers, sizes, what was skipped and why). Returns the dict that was written.
    """
    stamp = run_id()
    result = {
        "scenario": scenario,
        "run_id": stamp,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": is_quick(),
        "machine": machine_info(),
        "figures": figures,
        "ratios": ratios,
        "notes": notes,
    }
    _print_table(scenario, figures, ratios, notes)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{_slug(scenario)}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2, sort_keys=False, default=str) + "\n")
    result["path"] = str(path)
    print(f"  -> {path}")
    return result


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower() or "scenario"


def _print_table(
    scenario: str, figures: dict[str, Any], ratios: dict[str, Any], notes: str
) -> None:
    print(f"\n== {scenario} ==")
    width = max((len(k) for k in (*figures, *ratios)), default=10) + 2
    if figures:
        print("  figures:")
        for key, value in figures.items():
            print(f"    {key:<{width}} {_fmt(value)}")
    if ratios:
        print("  ratios:")
        for key, value in ratios.items():
            print(f"    {key:<{width}} {_fmt(value)}")
    if notes:
        print(f"  notes: {notes}")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)
