"""`make bench` / `python -m bench [--quick] [--only s1,s6] [--timeout SECONDS]`.

Runs every scenario module present (bench/s1_*.py ... bench/s6_*.py), each in its own process so
one scenario's settings, threads or crash cannot skew the next, all under one run id. Each
scenario writes its own result file through bench.common.report(); the runner then gathers
those into bench/results/run-<run id>.json with the date, the machine and each scenario's exit
status and wall time, and prints a summary. Exits non-zero when a scenario failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import QUICK_ENV, RESULTS_DIR, RUN_ID_ENV, machine_info, run_id

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent

# The figures the summary shows per scenario (the rest are in each scenario's own table and JSON),
# by S-number; a key a scenario did not report is left out, and a scenario not listed shows its
# first few numeric figures.
HEADLINES: dict[str, tuple[str, ...]] = {
    "s1": ("init_req_per_s", "echo_req_per_s", "init_p99_ms"),
    "s2": ("task_installs_per_s", "plain_loop_installs_per_s", "click_lookup_p99_ms"),
    "s3": (
        "kafka_tasks_per_s_per_process",
        "redis_tasks_per_s_per_process",
        "kafka_two_workers_tasks_per_s",
    ),
    "s4": (
        "backend",
        "A_writer_rows_per_s",
        "B_executemany_rows_per_s",
        "B_driver_rows_per_s",
        "C_clickhouse_client_rows_per_s",
        "paced_inserts_per_s_per_table",
    ),
    "s5": ("ours_0ms_per_s", "aiohttp_0ms_per_s", "ours_200ms_per_s", "aiohttp_200ms_per_s"),
    "s6": (
        "A_installs_attributed_per_s",
        "installs_lost",
        "platform_cpu_ms_per_install",
        "e2e_latency_p99_s",
    ),
}


def scenarios() -> list[str]:
    """Module names of the scenarios present, in S-number order."""
    found = [p.stem for p in BENCH_DIR.glob("s[0-9]_*.py")]
    return sorted(found, key=lambda name: (int(name[1:].split("_", 1)[0]), name))


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="Short variants (smoke run).")
    parser.add_argument("--only", default="", help="Comma-separated prefixes, e.g. s1,s6.")
    parser.add_argument("--timeout", type=float, default=1800.0, help="Seconds per scenario.")
    return parser.parse_args(argv)


def run_one(module: str, quick: bool, timeout: float) -> dict[str, Any]:
    # Quick mode travels in the environment (bench.common.is_quick reads it), so a scenario
    # with its own argument parser is never handed a flag it does not know.
    command = [sys.executable, "-m", f"bench.{module}"]
    env = {**os.environ, RUN_ID_ENV: run_id(), QUICK_ENV: "1" if quick else "0"}
    print(f"\n### {module}: {' '.join(command[1:])}{' (quick)' if quick else ''}", flush=True)
    started = time.monotonic()
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, timeout=timeout, check=False)
        status: int | str = done.returncode
    except subprocess.TimeoutExpired:
        status = "timeout"
    return {"exit": status, "seconds": round(time.monotonic() - started, 1)}


def collect(stamp: str) -> dict[str, Any]:
    results = {}
    for path in sorted(RESULTS_DIR.glob(f"*-{stamp}.json")):
        if path.name.startswith("run-"):
            continue
        data = json.loads(path.read_text())
        results[data.get("scenario", path.stem)] = {
            "file": path.name,
            "number": _number(path.name),
            "figures": data.get("figures", {}),
            "ratios": data.get("ratios", {}),
        }
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    stamp = run_id()
    wanted = [p.strip() for p in args.only.split(",") if p.strip()]
    modules = [m for m in scenarios() if not wanted or any(m.startswith(w) for w in wanted)]
    if not modules:
        print("no scenario modules found (bench/sN_*.py)")
        return 1
    started = datetime.now(UTC)
    runs = {module: run_one(module, args.quick, args.timeout) for module in modules}
    results = collect(stamp)
    reported = {result["number"] for result in results.values()}
    for module, outcome in runs.items():
        # A scenario that exits 0 without reporting measured nothing the run can keep.
        if outcome["exit"] == 0 and _number(module) not in reported:
            outcome["exit"] = "no report"
    summary = {
        "run_id": stamp,
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": machine_info(),
        "scenarios": runs,
        "results": results,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"run-{stamp}.json"
    path.write_text(json.dumps(summary, indent=2, default=str) + "\n")
    _print_summary(summary, path)
    return 0 if all(r["exit"] == 0 for r in runs.values()) else 1


def _number(name: str) -> str:
    """`s4` for `s4_warehouse` or `s4_warehouse_writer-<stamp>.json`."""
    return name.split("_", 1)[0].lower()


def _headline(number: str, figures: dict[str, Any]) -> list[str]:
    keys = HEADLINES.get(number)
    if keys is None:
        keys = tuple(k for k, v in figures.items() if isinstance(v, int | float))[:3]
    return [f"{key}={_fmt(figures[key])}" for key in keys if figures.get(key) is not None]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _print_summary(summary: dict[str, Any], path: Path) -> None:
    """One table: per scenario its status, wall time, headline figures, then its ratios."""
    runs, results = summary["scenarios"], summary["results"]
    by_number = {result["number"]: (name, result) for name, result in results.items()}
    load = summary["machine"].get("loadavg")
    mode = "quick" if summary["quick"] else "full"
    print(f"\n=== bench summary: run {summary['run_id']} ({mode}), load average {load} ===")
    print(f"  {'scenario':<16} {'status':<15} {'time':>7}  headline figures / ratios")
    for module, outcome in runs.items():
        state = "ok" if outcome["exit"] == 0 else f"FAILED ({outcome['exit']})"
        lead = f"  {module:<16} {state:<15} {outcome['seconds']:>6}s  "
        name, result = by_number.get(_number(module), ("", None))
        if result is None:
            print(f"{lead}(no figures reported)")
            continue
        pad = " " * len(lead)
        print(f"{lead}{'  '.join(_headline(_number(module), result['figures'])) or name}")
        for key, value in result["ratios"].items():
            print(f"{pad}{key} = {_fmt(value) if value is not None else 'n/a'}")
    print(f"  -> {path}")


if __name__ == "__main__":
    sys.exit(main())
