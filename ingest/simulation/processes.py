"""A private copy of the platform on loopback ports, for the end-to-end benchmark and tests.

It starts the Procfile's processes (the same commands `make run` starts, with the web bound to a
free port and the beat's schedule file in the state directory; the Flower UI and the gRPC server
are left out), after migrating the database they are configured for. With
no service URLs in the environment that is the embedded default under its own state directory,
so a run never touches the developer's `.hazelnut/`. Processes are stopped by their own process
group when the platform is closed. Other commands (bench S6's lean prototype) can be run the same
way by naming them instead of the Procfile's.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent.parent
SKIPPED = frozenset({"flower", "grpc"})  # a UI and an RPC server the traffic never calls
_BIND = "--bind"
_SHUTDOWN = (
    "import sys, redis\n"
    "try:\n    redis.Redis(unix_socket_path=sys.argv[1]).shutdown(nosave=True)\n"
    "except redis.RedisError:\n    pass\n"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def procfile_commands(skipped: frozenset[str] = SKIPPED) -> dict[str, list[str]]:
    commands: dict[str, list[str]] = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        name = name.strip()
        if name and not name.startswith("#") and name not in skipped and command.strip():
            commands[name] = shlex.split(command)
    return commands


def _with_port(argv: list[str], port: int) -> list[str]:
    argv = list(argv)
    if _BIND in argv:
        argv[argv.index(_BIND) + 1] = f"127.0.0.1:{port}"
    return argv


@dataclass
class LocalPlatform:
    """`with LocalPlatform(env) as platform: platform.base_url ...`"""

    env: dict[str, str] = field(default_factory=dict)
    log_dir: Path | None = None
    web_workers: int | None = None
    worker_concurrency: int | None = None
    commands: dict[str, list[str]] | None = None  # None: the Procfile's
    migrate: bool = True
    port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _logs: list[IO[bytes]] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        return {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}

    def manage(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT, env=self.environment(), capture_output=True, text=True, timeout=timeout,
            check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def start(self) -> LocalPlatform:
        state = self.env.get("HAZELNUT_STATE_DIR")
        if state:
            # With every service configured nothing else creates it, and beat keeps its file here.
            Path(state).mkdir(parents=True, exist_ok=True)
        if self.migrate:
            self.manage("migrate", "--noinput", "-v0")
        try:
            for name, argv in (self.commands or procfile_commands()).items():
                self._spawn(name, self._tuned(name, _with_port(argv, self.port)))
            self.wait_ready()
        except BaseException:
            self.stop()  # a half-started platform leaves no process or open log behind
            raise
        return self

    def _tuned(self, name: str, argv: list[str]) -> list[str]:
        state = self.env.get("HAZELNUT_STATE_DIR")
        if state and "--schedule" in argv:
            argv[argv.index("--schedule") + 1] = str(Path(state) / "celerybeat-schedule")
        if name == "web" and self.web_workers and "--workers" in argv:
            argv[argv.index("--workers") + 1] = str(self.web_workers)
        if name == "worker" and self.worker_concurrency and "--concurrency" in argv:
            argv[argv.index("--concurrency") + 1] = str(self.worker_concurrency)
        return argv

    def _spawn(self, name: str, argv: list[str]) -> None:
        if argv and argv[0].startswith(".venv/"):
            argv[0] = str(ROOT / argv[0])
        output: IO[bytes] | int = subprocess.DEVNULL
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            handle = (self.log_dir / f"{name}.log").open("ab")
            self._logs.append(handle)
            output = handle
        self.processes[name] = subprocess.Popen(
            argv, cwd=ROOT, env=self.environment(), stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode} while starting")
            try:
                with urllib.request.urlopen(self.base_url + "/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the web process did not answer on {self.base_url} in {timeout} s")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for handle in self._logs:
            handle.close()
        self._stop_embedded_redis()

    def _stop_embedded_redis(self) -> None:
        """The embedded Redis daemon outlives the processes that started it; a private state
        directory's server is ours to stop."""
        state = self.env.get("HAZELNUT_STATE_DIR")
        if not state or self.environment().get("REDIS_URL"):
            return
        socket_path = Path(state) / "redis.sock"
        if socket_path.exists():
            subprocess.run(
                [sys.executable, "-c", _SHUTDOWN, str(socket_path)], check=False, timeout=30,
                capture_output=True,
            )  # fmt: skip

    def __enter__(self) -> LocalPlatform:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
