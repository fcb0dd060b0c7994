"""S2's worker peer (a helper of bench/s2_attribution.py, not a scenario of its own).

A backlog of install messages is published to the configured broker as the ingest edge would
(one `attribution.installs.attribute` task per install), then a real Celery worker is started on
the attribution queue as a child process and the backlog is drained: installs attributed per
second between the first and the last install seen attributed in the database. It runs in two
shapes: the Procfile's (prefork, two processes) and a threads pool, where tasks in flight
together are attributed as one micro-batch (attribution.engine.coalescer). Fan-out tasks go to
the broker as in production (nothing consumes them here); warehouse rows go to the configured
warehouse.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from attribution.contracts import ATTRIBUTE_INSTALL
from attribution.models import Install
from hazelnut.broker import publisher
from hazelnut.queues import Queue

ROOT = Path(__file__).resolve().parent.parent
# How long the drain may stay without progress before the worker is taken for stuck.
STALL_SECONDS = 60.0


def drain(
    messages: list[dict[str, Any]],
    project_id: int,
    send_task: Callable[..., Any],
    pool: str,
    concurrency: int,
    redis_url: str,
) -> float | None:
    """Installs per second a worker of this shape drains the backlog at; None if it stalled."""
    for message in messages:
        send_task(ATTRIBUTE_INSTALL, kwargs=message)
    if publisher.flush_all(30.0):
        raise RuntimeError("the backlog was not stored by the broker")
    with tempfile.NamedTemporaryFile("w+", prefix="s2-worker-", suffix=".log") as log:
        worker = subprocess.Popen(
            _command(pool, concurrency), cwd=ROOT, env=_env(redis_url), stdout=log, stderr=log
        )
        try:
            return _watch(project_id, len(messages), worker)
        finally:
            _stop(worker)


def _command(pool: str, concurrency: int) -> list[str]:
    return [
        str(Path(sys.executable).with_name("celery")),
        "-A",
        "hazelnut",
        "worker",
        "-Q",
        Queue.ATTRIBUTION.value,
        "--pool",
        pool,
        "--concurrency",
        str(concurrency),
        "--events",
        "--loglevel",
        "WARNING",
        "--hostname",
        f"s2-{pool}@%h",
    ]


def _env(redis_url: str) -> dict[str, str]:
    """The bench's own stores for the worker: its database and its click-store Redis db."""
    env = {**os.environ, "REDIS_URL": redis_url}
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("postgresql"):
        parts = urlsplit(os.environ["DATABASE_URL"])
        env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{database['NAME']}"))
    return env


def _watch(project_id: int, total: int, worker: subprocess.Popen[bytes]) -> float | None:
    attributed = Install.objects.filter(project_id=project_id, status=Install.Status.ATTRIBUTED)
    first: tuple[float, int] | None = None
    last_progress, seen = time.perf_counter(), 0
    while True:
        time.sleep(0.1)
        now, count = time.perf_counter(), attributed.count()
        if count > seen:
            last_progress, seen = now, count
        if first is None and count:
            first = (now, count)
        if count >= total and first is not None:
            done = count - first[1]
            return round(done / (now - first[0]), 1) if done and now > first[0] else None
        if worker.poll() is not None or now - last_progress > STALL_SECONDS:
            return None


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
