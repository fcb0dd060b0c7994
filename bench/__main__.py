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
    summary = {
        "run_id": stamp,
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": machine_info(),
        "scenarios": runs,
        "results": collect(stamp),
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"run-{stamp}.json"
    path.write_text(json.dumps(summary, indent=2, default=str) + "\n")
    _print_summary(runs, summary["results"], path)
    return 0 if all(r["exit"] == 0 for r in runs.values()) else 1


def _print_summary(runs: dict[str, Any], results: dict[str, Any], path: Path) -> None:
    print("\n=== bench summary ===")
    for module, outcome in runs.items():
        state = "ok" if outcome["exit"] == 0 else f"FAILED ({outcome['exit']})"
        print(f"  {module:<20} {state:<14} {outcome['seconds']:>7} s")
    for scenario, result in results.items():
        ratios = ", ".join(f"{k}={v}" for k, v in result["ratios"].items())
        print(f"  {scenario}: {ratios or '(no ratios)'}")
    print(f"  -> {path}")


if __name__ == "__main__":
    sys.exit(main())
