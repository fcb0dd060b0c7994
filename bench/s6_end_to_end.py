"""S6: installs attributed per second end to end on this box, against the lean prototype.

(A) The full pipeline: the Procfile's processes (all but Flower and gRPC) are started on a loopback
port against the configured stack (the embedded default in a private state directory when no
service URLs are set; PostgreSQL/Redis/Kafka/ClickHouse when they are), and the simulator's
install traffic (clicks, Play/Meta referrers, Apple tokens, reinstalls, postbacks to local
fakes) is sent with no waits between steps. A short warm-up batch measures the rate the stack
sustains; the measured batch is sized from it to fill two thirds of the time budget (~60 s,
~15 s with --quick). Throughput = installs attributed / (first init sent -> last install
attributed); zero loss means every install sent is stored. The last third runs the full app
mix (signups, payments, custom events on top) for the cost of in-app traffic per install.

(B) The lean prototype (bench/lean_pipeline.py, driven by bench/lean_traffic.py) on the same
stack with the same install traffic shape, after A's processes are stopped: msgspec ingest ->
confluent-kafka (a Redis list embedded) -> one batched consumer (Redis click lookups, one
warehouse insert per batch) -> aiohttp postbacks. A/B is the price of the Celery+DRF design.

(C) The predicted ceiling: 2,000 ms of CPU per second on 2 cores divided by the CPU the
platform's processes spent per install in this run (read from /proc for every process of the
platform's sessions), and the published §5.1 estimate (435-740/s, 300-600/s co-located).

With services the run is kept to itself (bench.scratch_stack): its own topic prefix, so it never
drains what earlier scenarios (S1 leaves thousands of init messages) or runs left in the topics,
and its own scratch PostgreSQL and ClickHouse databases, all removed at the end.

Run: .venv/bin/python -m bench.s6_end_to_end [--quick]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import lean_traffic
from bench.common import is_quick, ratio, report
from bench.scratch_stack import isolated_stack
from ingest.simulation.processes import ROOT, LocalPlatform

CORES = os.cpu_count() or 2
PUBLISHED_CEILING = (435, 740)
PUBLISHED_COLOCATED = (300, 600)
_TICKS = os.sysconf("SC_CLK_TCK")


def session_cpu_seconds(sessions: set[int]) -> dict[int, float]:
    """User+system CPU seconds of the live processes of each session (one per Procfile entry)."""
    totals = dict.fromkeys(sessions, 0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        session = int(fields[3])  # field 6 of stat: the session id
        if session in totals:
            totals[session] += int(fields[11]) + int(fields[12])  # utime, stime
    return {session: ticks / _TICKS for session, ticks in totals.items()}


def simulate(
    platform: LocalPlatform, installs: int, rate: float, out: Path, *, activity: bool
) -> dict[str, Any]:
    command = [
        sys.executable, "manage.py", "simulate", "--base-url", platform.base_url,
        "--installs", str(installs), "--rate", str(rate), "--pace", "0", "--quiet",
        "--drain-timeout", "300", "--json-file", str(out),
        *([] if activity else ["--no-activity"]),
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=ROOT, env=platform.environment(), capture_output=True, text=True, check=False
    )
    if not out.exists():
        raise RuntimeError(f"simulate produced no report:\n{done.stderr[-3000:]}")
    return dict(json.loads(out.read_text()))


@dataclass
class Measured:
    result: dict[str, Any]
    cpu_by_process: dict[str, float]
    wall: float

    @property
    def cpu_ms_per_install(self) -> float | None:
        sent = self.result["installs_sent"]
        return sum(self.cpu_by_process.values()) * 1000 / sent if sent else None


def measure(
    platform: LocalPlatform, tmp: Path, name: str, seconds: float, *, activity: bool
) -> Measured:
    """Warm up to learn the sustained rate, then send a batch sized to last `seconds`."""
    warm = simulate(platform, 40, 50.0, tmp / f"{name}-warm.json", activity=activity)
    sustained = warm.get("attributed_per_second") or 5.0
    installs = max(40, int(sustained * seconds))
    names = {process.pid: name for name, process in platform.processes.items()}
    before = session_cpu_seconds(set(names))
    started = time.monotonic()
    result = simulate(platform, installs, sustained * 1.5, tmp / f"{name}.json", activity=activity)
    wall = time.monotonic() - started
    after = session_cpu_seconds(set(names))
    cpu = {names[pid]: round(after[pid] - before[pid], 2) for pid in names}
    return Measured(result, cpu, wall)


def idle_cpu_percent(platform: LocalPlatform, seconds: float) -> dict[str, float]:
    """CPU the processes burn with no traffic at all (polling, heartbeats), in % of one core."""
    names = {process.pid: name for name, process in platform.processes.items()}
    before = session_cpu_seconds(set(names))
    time.sleep(seconds)
    after = session_cpu_seconds(set(names))
    return {names[pid]: round((after[pid] - before[pid]) * 100 / seconds, 1) for pid in names}


def main() -> None:
    budget = 15.0 if is_quick() else 60.0
    with tempfile.TemporaryDirectory(prefix="hz-s6-") as tmp, isolated_stack() as stack:
        env = {"HAZELNUT_STATE_DIR": str(Path(tmp) / "state"), **stack}
        with LocalPlatform(env=env, log_dir=Path(tmp) / "logs") as platform:
            platform.manage("seed_demo")
            idle = idle_cpu_percent(platform, 5.0)
            installs = measure(platform, Path(tmp), "installs", budget * 2 / 3, activity=False)
            app_mix = measure(platform, Path(tmp), "mix", budget / 3, activity=True)
        lean = lean_traffic.measure(stack, Path(tmp), budget * 2 / 3, session_cpu_seconds)
    figures, ratios, notes = _figures(installs, app_mix, lean)
    figures["idle_cpu_percent_by_process"] = idle
    report("S6 end to end", figures, ratios, notes)


def _figures(
    installs: Measured, app_mix: Measured, lean: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], str]:
    result = installs.result
    achieved = result["attributed_per_second"]
    cpu_ms = installs.cpu_ms_per_install
    predicted = round(CORES * 1000 / cpu_ms, 1) if cpu_ms else None
    init = result["request_latency_ms"].get("/api/client/init", {})
    figures = {
        "installs_sent": result["installs_sent"],
        "installs_lost": result["installs_sent"] - result["installs_stored"],
        "requests_not_2xx": len(result["not_2xx"]),
        "A_installs_attributed_per_s": achieved,
        "e2e_latency_p50_s": result["latency_seconds"]["p50"],
        "e2e_latency_p99_s": result["latency_seconds"]["p99"],
        "ingest_init_p50_ms": init.get("p50"),
        "ingest_init_p99_ms": init.get("p99"),
        "platform_cpu_ms_per_install": round(cpu_ms, 2) if cpu_ms else None,
        "cpu_seconds_by_process": installs.cpu_by_process,
        "C_predicted_ceiling_per_s": predicted,
        "published_ceiling_per_s": list(PUBLISHED_CEILING),
        "published_colocated_per_s": list(PUBLISHED_COLOCATED),
        "postbacks": result["postbacks"],
        "app_mix_installs_sent": app_mix.result["installs_sent"],
        "app_mix_installs_lost": app_mix.result["installs_sent"]
        - app_mix.result["installs_stored"],
        "app_mix_requests_not_2xx": len(app_mix.result["not_2xx"]),
        "app_mix_installs_attributed_per_s": app_mix.result["attributed_per_second"],
        "app_mix_cpu_ms_per_install": _round(app_mix.cpu_ms_per_install),
        "app_mix_cpu_seconds_by_process": app_mix.cpu_by_process,
        **{f"B_{key}": value for key, value in lean.items()},
    }
    ratios = {
        "A/C (>= 0.7 excellent)": ratio(achieved, predicted),
        "A/published_low (435/s)": ratio(achieved, PUBLISHED_CEILING[0]),
        "A/1000 (absolute target)": ratio(achieved, 1000),
        "app_mix/A": ratio(app_mix.result["attributed_per_second"], achieved),
        "A/B installs per s (~0.2-0.35 expected)": ratio(
            achieved, lean["installs_attributed_per_s"]
        ),
        "B/A CPU per install": ratio(lean["cpu_ms_per_install"], cpu_ms),
    }
    notes = (
        f"{CORES} cores, load average {os.getloadavg()[0]:.1f} at the end; stack: {_stack()}. "
        "A = installs only (clicks, referrers, Apple/Meta, reinstalls, postbacks to local "
        "fakes), no waits; app_mix adds signups, payments and events. C = 2,000 ms per second "
        "divided by the CPU of the platform's processes (each Procfile entry but Flower and gRPC) "
        "per install sent (embedded "
        "Redis, external servers and the load generator not counted). B = the lean prototype "
        "on the same stack and install traffic, its own load generator (32 journeys in "
        "flight), timed to the last install's first postback; it skips Meta decryption, "
        "Apple's API, reinstall and fraud rules, so A/B slightly flatters B."
    )
    return figures, ratios, notes


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _stack() -> str:
    configured = [n for n in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CLICKHOUSE_URL")
                  if os.environ.get(n)]  # fmt: skip
    spool = " with WAREHOUSE_SPOOL" if os.environ.get("WAREHOUSE_SPOOL") else ""
    return "configured " + ",".join(configured) + spool if configured else "embedded default"


if __name__ == "__main__":
    main()
