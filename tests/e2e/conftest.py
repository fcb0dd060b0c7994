"""Fixtures of the end-to-end tests: a broker stand-in whose tasks run in-process on demand,
private Redis namespaces for the click store and the edge, an in-memory warehouse, and a
headless Chromium."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis

from attribution import clickstore, sink
from hazelnut.celery import app
from hazelnut.config import with_redis_db
from ingest import auth, kv, publish, web

CLICK_STORE_DB = 12


@dataclass
class Broker:
    """Tasks published by any thread (the live server's included) wait here until `drain()`
    runs them, in order, in the test's thread; tasks they publish run in the same drain."""

    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _queue: deque[tuple[str, dict[str, Any]]] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send_task(self, name: str, args: Any = None, kwargs: Any = None, **_: Any) -> None:
        with self._lock:
            self.sent.append((name, dict(kwargs or {})))
            self._queue.append((name, dict(kwargs or {})))

    def named(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [kwargs for task_name, kwargs in self.sent if task_name == name]

    def drain(self, limit: int = 10_000) -> int:
        ran = 0
        while ran < limit:
            with self._lock:
                if not self._queue:
                    return ran
                name, kwargs = self._queue.popleft()
            app.tasks[name].apply(kwargs=kwargs).get()
            ran += 1
        raise AssertionError("tasks keep publishing tasks: the drain did not settle")


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Broker:
    app.loader.import_default_modules()  # registers every app's tasks by name
    stand_in = Broker()
    monkeypatch.setattr(app, "send_task", stand_in.send_task)
    # The edge's fast path writes to the broker itself; here every publish goes through send_task.
    monkeypatch.setattr("ingest.publish.fast_path", lambda: None)
    return stand_in


@pytest.fixture(autouse=True)
def warehouse_rows(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """The click store in a private Redis database, edge keys under a private prefix, warehouse
    rows kept in memory, Apple retries without waiting."""
    store = redis.Redis.from_url(with_redis_db(settings.REDIS_URL, CLICK_STORE_DB))
    assert store.connection_pool.connection_kwargs["db"] == CLICK_STORE_DB
    store.flushdb()
    monkeypatch.setattr(clickstore, "_connection", store)
    prefix = f"hze2e-{uuid.uuid4().hex[:12]}"
    monkeypatch.setattr(kv, "PREFIX", prefix)
    settings.HAZELNUT_APPLE_RETRY_SECONDS = 0
    auth.clear_cache()
    web.forget_keys()
    publish.breaker.reset()
    rows: dict[str, list[dict[str, Any]]] = {}
    with sink.use_writer(lambda table, batch: rows.setdefault(table, []).extend(map(dict, batch))):
        yield rows
    store.flushdb()
    edge = kv.client()
    keys = list(edge.scan_iter(f"{prefix}:*"))
    if keys:
        edge.delete(*keys)


@dataclass
class Browser:
    """Headless Chromium with a given user agent; `open()` starts it on a URL."""

    executable: str
    profile: Path
    process: subprocess.Popen[bytes] | None = None

    def open(self, url: str, user_agent: str) -> None:
        self.process = subprocess.Popen(
            [
                self.executable, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                f"--user-data-dir={self.profile}", f"--user-agent={user_agent}",
                # Store links lead off the machine: refuse every host but ours.
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                "--remote-debugging-port=0", url,
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Chromium is missing: `bash scripts/system-deps.sh test` installs it")
    with tempfile.TemporaryDirectory(prefix="hz-chromium-") as profile:
        started = Browser(executable, Path(profile))
        yield started
        started.close()


@pytest.fixture
def live_url(live_server: Any) -> str:
    """The live server by IPv4 address, so the browser and the SDK calls share one client IP."""
    return str(live_server.url).replace("localhost", "127.0.0.1")


@pytest.fixture(autouse=True)
def _allowed_hosts(settings: Any) -> None:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1", "localhost"]
