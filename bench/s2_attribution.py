"""S2: installs attributed per second end to end, against a plain loop doing the same lookups.

Runs in one process against the configured stores (embedded SQLite + Redis by default, or
DATABASE_URL / REDIS_URL): clicks are loaded through the click pipeline, then the installs are
cut into chunks of 200 that take turns between the peers (A2, A+B, A3), so load from other
processes hits them alike:
  (A)  the `attribution.installs.attribute` task body via `.apply()`, one task per install
       (Celery wrapper, locks, identifiers, every local strategy, arbiter, claim, install write),
  (A2) the micro-batch task `attribution.installs.attribute_batch` via `.apply()`, one task per
       chunk of 200 (same work, round trips shared by the chunk),
  (A3) the task of (A) with 32 in flight on threads, as a threads-pool worker runs them: the
       tasks in flight together are attributed as one micro-batch (engine.coalescer),
  (B)  the same logic as a plain function loop, one install at a time, without Celery,
  plus the Redis click lookups alone: one at a time (the latency figures) and in micro-batches
  of 200 through `clickstore.find_many` (C), and the local strategies alone per install.
SQL statements and Redis round trips per install are counted for A and A2. Published fan-out
tasks are counted, not sent (no worker runs), and warehouse rows go to an in-memory list, so
the figures are the attribution engine's own cost. Last, as many fresh installs go through the
batch task in two processes at once (two workers on the 2-core box), and with a Kafka broker
configured (W) a backlog is published and drained by a real Celery worker on the attribution
queue, prefork as in the Procfile and on a threads pool (bench/attribution_worker.py). Uses
Redis db 10 for the click store and throwaway projects that are deleted afterwards.

Run: .venv/bin/python -m bench.s2_attribution [--quick]
"""

from __future__ import annotations

import collections
import multiprocessing
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hazelnut.settings")
# Without DATABASE_URL the bench keeps its own SQLite file rather than the developer's database.
# The bench never touches the developer's database: SQLite gets its own file, PostgreSQL its
# own database (created and migrated through Django's test-database machinery, kept between runs).
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/hazelnut-bench-s2.sqlite3")
os.environ.setdefault("DATABASE_TEST_NAME", "hazelnut_bench_s2")
# The worker peer publishes real tasks: its own topics, so no other consumer sees them.
os.environ.setdefault("HAZELNUT_TOPIC_PREFIX", f"bench-s2-{int(time.time())}-")
django.setup()

import redis  # noqa: E402
import redis.connection  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from attribution import (  # noqa: E402
    clicks,
    clickstore,
    installs,
    sink,
)
from attribution.models import Campaign, Install, Project  # noqa: E402
from attribution.strategies import LOCAL  # noqa: E402
from attribution.tasks import attribute_install  # noqa: E402
from attribution.tasks import attribute_installs as attribute_batch  # noqa: E402
from bench import attribution_worker  # noqa: E402
from bench.common import is_quick, latency_summary, rate, ratio, report  # noqa: E402
from hazelnut.celery import app  # noqa: E402
from hazelnut.config import with_redis_db  # noqa: E402

BATCH = 200
THREADS = 32
CHROME = (
    "Mozilla/5.0 (Linux; Android 14; K) AppleWebKit/537.36 Chrome/124.0.0.0 Mobile Safari/537.36"
)
DALVIK = "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP1A.240405.002)"


def _setup(count: int) -> tuple[Project, list[dict[str, Any]]]:
    project, _ = Project.new(f"bench-s2-{uuid.uuid4().hex[:8]}")
    project.save()
    campaign = Campaign.objects.create(project=project, display_id=f"s2-{project.pk}", name="s2")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    installs = []
    for n in range(count):
        gaid = str(uuid.uuid4())
        ip = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
        clicked = start + timedelta(seconds=n)
        clicks.record_click(
            {
                "project_id": project.pk,
                "campaign_id": campaign.pk,
                "click_id": f"s2-{project.pk}-{n}",
                "clicked_at": clicked.isoformat(),
                "ip": ip,
                "user_agent": CHROME,
                "url": "https://go.example.test/s2?utm_source=bench",
                "host": "go.example.test",
                "params": {"gaid": gaid},
            }
        )
        installs.append(
            {
                "project_id": project.pk,
                "install_instance_id": f"s2-{uuid.uuid4().hex}",
                "platform": "ANDROID",
                "app_version": "1.0",
                "package_version": "3.0",
                "device_data": {"gaid": gaid, "system_version": "14"},
                "ip": ip,
                "user_agent": DALVIK,
                "received_at": (clicked + timedelta(minutes=5)).isoformat(),
            }
        )
    return project, installs


def _lookup(message: dict[str, Any], project: Project) -> clickstore.Lookup:
    return clickstore.Lookup(
        project_id=project.pk,
        at=datetime.fromisoformat(message["received_at"]),
        gaid=message["device_data"]["gaid"],
        idfa=None,
        ip=message["ip"],
        click_id=None,
        device_window_seconds=project.click_lookback_hours * 3600,
        ip_window_seconds=project.probabilistic_window_hours * 3600,
    )


def _plain_loop(project: Project, messages: list[dict[str, Any]]) -> tuple[float, list[float]]:
    latencies = []
    started = time.perf_counter()
    for message in messages:
        t0 = time.perf_counter()
        found = clickstore.find(_lookup(message, project))
        latencies.append(time.perf_counter() - t0)
        assert found.by_device, "every install has a click"
    return time.perf_counter() - started, latencies


def _batched(project: Project, messages: list[dict[str, Any]]) -> tuple[float, list[float]]:
    """The same lookups through `clickstore.find_many`, BATCH at a time; per-batch times."""
    batches = []
    for offset in range(0, len(messages), BATCH):
        chunk = [_lookup(m, project) for m in messages[offset : offset + BATCH]]
        t0 = time.perf_counter()
        found = clickstore.find_many(chunk)
        batches.append(time.perf_counter() - t0)
        assert all(f.by_device for f in found), "every install has a click"
    return sum(batches), batches


class _Counter:
    """SQL statements (transaction control excluded) and Redis round trips, by peer."""

    def __init__(self) -> None:
        self.peer: str | None = None
        self.statements: collections.Counter[str] = collections.Counter()
        self.round_trips: collections.Counter[str] = collections.Counter()
        send = redis.connection.AbstractConnection.send_packed_command
        counter = self

        def counted(conn: Any, *args: Any, **kwargs: Any) -> Any:
            if counter.peer:
                counter.round_trips[counter.peer] += 1
            return send(conn, *args, **kwargs)

        redis.connection.AbstractConnection.send_packed_command = counted  # type: ignore[assignment]

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if self.peer and not sql.startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")):
            self.statements[self.peer] += 1
        return execute(sql, params, many, context)


def _prepare_stores(flush: bool) -> redis.Redis:
    """The bench's database and Redis db 10 as the click store; fan-out counted, not sent."""
    if connection.vendor == "sqlite":
        call_command("migrate", verbosity=0)
    else:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=True)
    client = redis.Redis.from_url(with_redis_db(settings.REDIS_URL, 10))
    if flush:
        client.flushdb()
    clickstore._connection = client
    return client


def main() -> None:
    count = 600 if is_quick() else 3000
    client = _prepare_stores(flush=True)
    publish = app.send_task
    published: list[str] = []
    app.send_task = lambda name, *a, **k: published.append(name)
    kept: list[Any] = []
    with sink.use_writer(lambda table, rows: kept.extend(rows)):
        project, messages = _setup(count)
        try:
            figures = _measure(project, messages, client, published)
        finally:
            Install.objects.filter(project=project).delete()
            project.delete()
        twin, more = _setup(count)
        try:
            figures["batch_task_two_processes_installs_per_s"] = _two_processes(more)
        finally:
            Install.objects.filter(project=twin).delete()
            twin.delete()
        figures.update(_workers(count, publish, client))
        client.flushdb()
    report(
        "S2 attribution",
        figures,
        {
            "task/plain_loop (A/B)": ratio(
                figures["task_installs_per_s"], figures["plain_loop_installs_per_s"]
            ),
            "batch_task/plain_loop (A2/B)": ratio(
                figures["batch_task_installs_per_s"], figures["plain_loop_installs_per_s"]
            ),
            "batch_task/task (A2/A)": ratio(
                figures["batch_task_installs_per_s"], figures["task_installs_per_s"]
            ),
            "worker_threads/plain_loop (W/B)": ratio(
                figures.get("worker_threads_installs_per_s"), figures["plain_loop_installs_per_s"]
            ),
            "worker_threads/worker_prefork": ratio(
                figures.get("worker_threads_installs_per_s"),
                figures.get("worker_prefork_installs_per_s"),
            ),
            "task_on_threads/plain_loop (A3/B)": ratio(
                figures["task_on_threads_installs_per_s"], figures["plain_loop_installs_per_s"]
            ),
            "batch_task_two_processes/plain_loop": ratio(
                figures["batch_task_two_processes_installs_per_s"],
                figures["plain_loop_installs_per_s"],
            ),
            "task/lookups_only": ratio(
                figures["task_installs_per_s"], figures["plain_lookups_per_s"]
            ),
            "batched/plain lookups (C/B)": ratio(
                figures["batched_lookups_per_s"], figures["plain_lookups_per_s"]
            ),
        },
        notes=f"{count} installs, each with a matching click, in chunks of {BATCH} taking turns "
        "between the batch task (A2), install by install the task (A) and the plain loop (B), "
        f"and the task on {THREADS} threads (A3); then as many fresh installs through the batch "
        "task in two processes at once (the 2-core shape of a worker); embedded or configured "
        "stores; "
        "fan-out published tasks counted not sent; warehouse rows kept in memory.",
    )


def _measure(
    project: Project, messages: list[dict[str, Any]], client: redis.Redis, published: list[str]
) -> dict[str, Any]:
    plain_seconds, lookups = _plain_loop(project, messages)
    batched_seconds, batch_times = _batched(project, messages)
    timed = {"task": 0.0, "batch": 0.0, "function": 0.0, "threads": 0.0}
    done = {"task": 0, "batch": 0, "function": 0, "threads": 0}
    count = _Counter()
    with connection.execute_wrapper(count), ThreadPoolExecutor(THREADS) as pool:
        for index, offset in enumerate(range(0, len(messages), BATCH)):
            chunk = messages[offset : offset + BATCH]
            if index % 3 == 0:
                _run_batch(chunk, timed, done, count)
            elif index % 3 == 1:
                _run_one_by_one(chunk, timed, done, count)
            else:
                _run_on_threads(chunk, timed, done, pool)
    attributed = Install.objects.filter(project=project, attribution_type="INORGANIC").count()
    strategy_times = []
    for install in Install.objects.filter(project=project).select_related("project")[:200]:
        t0 = time.perf_counter()
        installs.run_strategies(installs.context_for(install), LOCAL)
        strategy_times.append(time.perf_counter() - t0)
    return {
        "installs": len(messages),
        "installs_attributed_paid": attributed,
        "task_installs_per_s": rate(done["task"], timed["task"]),
        "batch_task_installs_per_s": rate(done["batch"], timed["batch"]),
        "plain_loop_installs_per_s": rate(done["function"], timed["function"]),
        "task_on_threads_installs_per_s": rate(done["threads"], timed["threads"]),
        "task_sql_statements_per_install": _per(count.statements["task"], done["task"]),
        "batch_sql_statements_per_install": _per(count.statements["batch"], done["batch"]),
        "task_redis_round_trips_per_install": _per(count.round_trips["task"], done["task"]),
        "batch_redis_round_trips_per_install": _per(count.round_trips["batch"], done["batch"]),
        "plain_lookups_per_s": rate(len(messages), plain_seconds),
        "batched_lookups_per_s": rate(len(messages), batched_seconds),
        **latency_summary(lookups, "click_lookup_"),
        **latency_summary(batch_times, f"click_lookup_batch_of_{BATCH}_"),
        **latency_summary(strategy_times, "local_strategies_"),
        "fanout_tasks_published": len(published),
    }


def _run_batch(
    chunk: list[dict[str, Any]], timed: dict[str, float], done: dict[str, int], count: _Counter
) -> None:
    count.peer = "batch"
    started = time.perf_counter()
    attribute_batch.apply(kwargs={"messages": chunk})
    timed["batch"] += time.perf_counter() - started
    count.peer = None
    done["batch"] += len(chunk)


def _run_on_threads(
    chunk: list[dict[str, Any]],
    timed: dict[str, float],
    done: dict[str, int],
    pool: ThreadPoolExecutor,
) -> None:
    """A3: one task per install, THREADS in flight as on a threads-pool worker; the tasks in
    flight together are attributed as one micro-batch (attribution.engine.coalescer)."""
    started = time.perf_counter()
    list(pool.map(lambda message: attribute_install.apply(kwargs=message).get(), chunk))
    timed["threads"] += time.perf_counter() - started
    done["threads"] += len(chunk)


def _run_one_by_one(
    chunk: list[dict[str, Any]], timed: dict[str, float], done: dict[str, int], count: _Counter
) -> None:
    # A and B alternate install by install inside the chunk.
    for position, message in enumerate(chunk):
        started = time.perf_counter()
        if position % 2 == 0:
            count.peer = "task"
            attribute_install.apply(kwargs=message)
            timed["task"] += time.perf_counter() - started
            count.peer = None
            done["task"] += 1
        else:
            installs.attribute_install(message)  # type: ignore[arg-type]
            timed["function"] += time.perf_counter() - started
            done["function"] += 1


def _workers(count: int, publish: Any, client: redis.Redis) -> dict[str, float | None]:
    """W: the backlog drained by a real worker on the broker (Kafka only: the embedded broker
    is a developer convenience), in the Procfile's shape and on a threads pool."""
    if not str(app.conf.broker_url).startswith("kafka://"):
        return {}
    redis_url = with_redis_db(settings.REDIS_URL, 10)
    shapes = {"prefork": (2, count // 6), "threads": (64, count)}
    figures = {}
    for pool, (concurrency, size) in shapes.items():
        project, messages = _setup(size)
        try:
            figures[f"worker_{pool}_installs_per_s"] = attribution_worker.drain(
                messages, project.pk, publish, pool, concurrency, redis_url
            )
        finally:
            Install.objects.filter(project=project).delete()
            project.delete()
    return figures


def _two_processes(messages: list[dict[str, Any]], processes: int = 2) -> float | None:
    """Installs per second of `processes` worker processes draining the chunks together."""
    context = multiprocessing.get_context("spawn")
    ready, results = context.Queue(), context.Queue()
    go = context.Event()
    shares = [messages[index::processes] for index in range(processes)]
    workers = [context.Process(target=_child, args=(share, go, ready, results)) for share in shares]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=120)
    started = time.perf_counter()
    go.set()
    done = sum(results.get(timeout=600) for _ in workers)
    seconds = time.perf_counter() - started
    for worker in workers:
        worker.join(timeout=30)
    return rate(done, seconds)


def _child(messages: list[dict[str, Any]], go: Any, ready: Any, results: Any) -> None:
    """One worker process of `_two_processes`: the batch task over its share, chunk by chunk."""
    _prepare_stores(flush=False)
    app.send_task = lambda name, *a, **k: None
    with sink.use_writer(lambda table, rows: None):
        ready.put(True)
        go.wait()
        for offset in range(0, len(messages), BATCH):
            attribute_batch.apply(kwargs={"messages": messages[offset : offset + BATCH]})
    results.put(len(messages))


def _per(total: int, installs_done: int) -> float | None:
    return round(total / installs_done, 3) if installs_done else None


if __name__ == "__main__":
    main()
