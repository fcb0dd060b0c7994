"""S1: `POST /api/client/init` with a 1 KB body against a bare ASGI echo, in the same run.

Both servers run with the same worker count on this machine (two, one per core, as the Procfile
runs the web); ApacheBench (`ab`, Debian package apache2-utils) drives each with the same body,
concurrency and keep-alive for the maximum rate, and the server's CPU per request is read from
/proc. Then bench.pacer offers both 70% of the platform's maximum as an open-loop arrival rate
for p50/p99 at that load. The platform runs with whatever services the environment names
(DATABASE_URL, REDIS_URL, CELERY_BROKER_URL...) and the embedded defaults otherwise, in a scratch
state directory, so every request really validates, checks Redis and publishes to the broker.

    .venv/bin/python -m bench.s1_ingest [--quick] [--requests N] [--concurrency 32] [--workers 2]

`--quick` (or the runner's quick mode) measures 2,000 requests per peer instead of 20,000, and
paces for 5 s instead of 15 s.

With DATABASE_URL set, the run migrates that database and adds a project named "S1 bench" to it,
and its init messages go to the configured broker like any other traffic.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pacer
from bench.common import is_quick, ratio, report

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


async def echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The baseline: read the whole body, answer it back as JSON."""
    if scope["type"] != "http":
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


@dataclass(frozen=True)
class Result:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    failed: int
    failed_length: int
    non_2xx: int
    server_cpu_ms_per_request: float = 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int, path: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(f"GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
                if sock.recv(64).startswith(b"HTTP/"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not come up")


def run_ab(name: str, url: str, body_file: Path, requests: int, concurrency: int) -> Result:
    command = [
        "ab", "-q", "-k", "-n", str(requests), "-c", str(concurrency),
        "-p", str(body_file), "-T", "application/json", url,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def number(pattern: str, default: str = "0") -> float:
        match = re.search(pattern, output)
        return float(match.group(1) if match else default)

    return Result(
        name=name,
        requests_per_second=number(r"Requests per second:\s+([\d.]+)"),
        p50_ms=number(r"\n\s+50%\s+(\d+)"),
        p99_ms=number(r"\n\s+99%\s+(\d+)"),
        failed=int(number(r"Failed requests:\s+(\d+)")),
        # ab counts a body of another length as failed: here `is_first_launch: true` (first call).
        failed_length=int(number(r"Length: (\d+)")),
        non_2xx=int(number(r"Non-2xx responses:\s+(\d+)")),
    )


def init_body(token: str) -> bytes:
    """An `init` body of about 1 KB, shaped like an iOS SDK's."""
    device_data = {
        "idfv": "2D6F0C4E-3B9A-4E51-9D7B-6C1F2A8E5B30",
        "device": "iPhone15,2",
        "device_name": "iPhone",
        "system_version": "17.4",
        "brand": "Apple",
        "manufacturer": "Apple",
        "bundle_id": "com.example.app",
        "version": "2.3.0",
        "build_number": "230",
        "connectivity": "wifi",
        "user_agent": "Linkrunner-iOS/2.3.0 (iPhone15,2; iOS 17.4; Build/230)",
        "locale": "en_IN",
        "language": "en",
        "country": "IN",
        "timezone": "Asia/Kolkata",
        "timezone_offset": 330,
        "device_display": {"width": 1179, "height": 2556, "scale": 3.0},
    }
    body = {
        "token": token,
        "package_version": "4.0.1",
        "app_version": "2.3.0",
        "platform": "IOS",
        "source": "GENERAL",
        "install_instance_id": "kXb3Lq9Zr2Tt7Yw1Pm0a",
        "debug": False,
        "device_data": device_data,
    }
    encoded = json.dumps(body).encode()
    padding = max(0, 1024 - len(encoded) - len(', "adservices_attribution_token": ""'))
    device_data["adservices_attribution_token"] = "x" * padding
    return json.dumps(body).encode()


def prepare(env: dict[str, str]) -> str:
    """Migrate the scratch database and create a project; returns its SDK token."""
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    script = (
        "import django; django.setup()\n"
        "from attribution.models import Project\n"
        "project, _ = Project.new('S1 bench'); project.save(); print(project.token)\n"
    )
    result = subprocess.run(
        [PYTHON, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return result.stdout.strip().splitlines()[-1]


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as sink:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=sink,
            start_new_session=True,
        )


def warnings_in(log: Path) -> dict[str, int]:
    """How often the server logged the events that mean a degraded run."""
    text = log.read_text(errors="replace") if log.exists() else ""
    keys = ("ingest.publish.outboxed", "ingest.kv.unavailable", "ingest.request.failed")
    return {key: text.count(key) for key in keys if key in text}


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def measure(
    name: str, url: str, body_file: Path, arguments: argparse.Namespace, server: int
) -> Result:
    run_ab(name, url, body_file, max(arguments.requests // 10, 500), arguments.concurrency)
    cpu = group_cpu_seconds(server)
    result = run_ab(name, url, body_file, arguments.requests, arguments.concurrency)
    per_request = (group_cpu_seconds(server) - cpu) / arguments.requests * 1000
    return replace(result, server_cpu_ms_per_request=round(per_request, 3))


def group_cpu_seconds(pgid: int) -> float:
    """User+system CPU so far of every live process in process group `pgid` (Linux /proc)."""
    total = 0
    for entry in os.listdir("/proc"):
        try:
            fields = Path(f"/proc/{entry}/stat").read_bytes().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # After the command name come state, ppid, pgrp ... utime (12th) and stime (13th).
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Short run (2,000 requests).")
    parser.add_argument("--requests", type=int, default=None, help="Default 20,000.")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="per server; one per core")
    parser.add_argument(
        "--threads",
        type=int,
        default=4,
        help="gunicorn gthread threads per worker (as in the Procfile)",
    )
    arguments = parser.parse_args()
    quick = arguments.quick or is_quick([])
    if arguments.requests is None:
        arguments.requests = 2_000 if quick else 20_000
    if shutil.which("ab") is None:
        sys.exit("needs ApacheBench: apt-get install apache2-utils")

    scratch = Path(tempfile.mkdtemp(prefix="hz-s1-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hazelnut.settings",
        "HAZELNUT_STATE_DIR": str(scratch),
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        # Counted in Redis on every request as in production, just never reached.
        "HAZELNUT_RATE_LIMIT_SDK_PER_SECOND": "100000000",
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        token = prepare(env)
        body_file = scratch / "init.json"
        body_file.write_bytes(init_body(token))
        size = body_file.stat().st_size

        server_log = scratch / "server.log"
        echo_port, app_port = free_port(), free_port()
        processes.append(
            start(
                [
                    PYTHON, "-m", "uvicorn", "s1_ingest:echo_app", "--app-dir", str(ROOT / "bench"),
                    "--port", str(echo_port), "--workers", str(arguments.workers),
                    "--log-level", "warning", "--no-access-log",
                ],
                env,
                scratch / "echo.log",
            )
        )  # fmt: skip
        processes.append(
            start(
                [
                    PYTHON, "-m", "gunicorn", "hazelnut.wsgi:application",
                    "--bind", f"127.0.0.1:{app_port}", "--workers", str(arguments.workers),
                    "--threads", str(arguments.threads), "--log-level", "warning",
                ],
                env,
                server_log,
            )
        )  # fmt: skip
        wait_for(echo_port, "/")
        wait_for(app_port, "/healthz")

        echo_server, app_server = (process.pid for process in processes)
        echo = measure(
            "bare ASGI echo (uvicorn)",
            f"http://127.0.0.1:{echo_port}/",
            body_file,
            arguments,
            echo_server,
        )
        ours = measure(
            "POST /api/client/init (gunicorn)",
            f"http://127.0.0.1:{app_port}/api/client/init",
            body_file,
            arguments,
            app_server,
        )
        rate = round(0.7 * ours.requests_per_second, 1)
        seconds = 5.0 if quick else 15.0
        paced_echo = pacer.run(echo_port, "/", body_file.read_bytes(), rate, seconds)
        paced = pacer.run(app_port, "/api/client/init", body_file.read_bytes(), rate, seconds)
        degraded = warnings_in(server_log)
    finally:
        for process in processes:
            stop(process)
        subprocess.run(
            [PYTHON, "-c", "from pathlib import Path; from hazelnut import embedded; "
             f"embedded.stop(Path({str(scratch)!r}))"],
            cwd=ROOT, env=env, check=False,
        )  # fmt: skip
        shutil.rmtree(scratch, ignore_errors=True)

    summary = (
        f"{arguments.requests} requests per peer, concurrency {arguments.concurrency}, "
        f"{arguments.workers} worker(s) x {arguments.threads} thread(s), body {size} B"
    )
    print(f"S1 ingest: {summary}")
    for result in (echo, ours):
        print(
            f"  {result.name:36s} {result.requests_per_second:9.0f} req/s  "
            f"p50 {result.p50_ms:4.0f} ms  p99 {result.p99_ms:4.0f} ms  "
            f"cpu {result.server_cpu_ms_per_request:.3f} ms/req  "
            f"failed {result.failed} (length {result.failed_length})  non-2xx {result.non_2xx}"
        )
    for label, run in (("echo", paced_echo), ("init", paced)):
        print(
            f"  paced {label} at {run.rate:.0f}/s (70% of init max): "
            f"p50 {run.p50_ms:.1f} ms  p99 {run.p99_ms:.1f} ms  max {run.max_ms:.1f} ms  "
            f"achieved {run.achieved_per_s:.0f}/s  non-2xx {run.non_2xx}"
        )
    figures: dict[str, Any] = {
        "requests": arguments.requests,
        "concurrency": arguments.concurrency,
        "body_bytes": size,
        "init_req_per_s": ours.requests_per_second,
        "echo_req_per_s": echo.requests_per_second,
        "init_p50_ms": ours.p50_ms,
        "init_p99_ms": ours.p99_ms,
        "echo_p50_ms": echo.p50_ms,
        "echo_p99_ms": echo.p99_ms,
        "init_cpu_ms_per_req": ours.server_cpu_ms_per_request,
        "echo_cpu_ms_per_req": echo.server_cpu_ms_per_request,
        "paced_rate_per_s": rate,
        "paced_init_p50_ms": paced.p50_ms,
        "paced_init_p99_ms": paced.p99_ms,
        "paced_init_achieved_per_s": paced.achieved_per_s,
        "paced_echo_p99_ms": paced_echo.p99_ms,
        "paced_client_cpu_ms_per_req": paced.client_cpu_ms_per_request,
        "init_failed_not_length": ours.failed - ours.failed_length,
        "init_non_2xx": ours.non_2xx,
        "echo_non_2xx": echo.non_2xx,
        "server_warnings": degraded,
    }
    ratios = {
        "init/echo (excellent >= 0.10, acceptable 0.04-0.10)": ratio(
            ours.requests_per_second, echo.requests_per_second
        ),
        "echo/init server CPU per request": ratio(
            echo.server_cpu_ms_per_request, ours.server_cpu_ms_per_request
        ),
    }
    report(
        "S1 ingest",
        figures,
        ratios,
        notes=f"{summary}; peers: bare ASGI echo (uvicorn) vs POST /api/client/init (gunicorn "
        "gthread) with the services the environment names, else the embedded default; "
        "ab -k, warm-up of a tenth of the requests (>= 500) untimed; server CPU from /proc over "
        "the timed run; then both paced open-loop (bench.pacer) at 70% of the init maximum. ab "
        "counts later inits as length failures (is_first_launch differs); those are not errors.",
    )
    # A run where the platform answered errors measured nothing worth a ratio.
    return 1 if ours.non_2xx or paced.non_2xx or figures["init_failed_not_length"] else 0


if __name__ == "__main__":
    sys.exit(main())
