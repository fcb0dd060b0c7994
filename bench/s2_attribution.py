"""S2: installs attributed per second end to end, against a plain loop doing the same lookups.

Runs in one process against the configured stores (embedded SQLite + Redis by default, or
DATABASE_URL / REDIS_URL): clicks are loaded through the click pipeline, then
  (A) the `attribution.installs.attribute` task body via `.apply()` for every install (Celery
      wrapper, identifier extraction, every local strategy, arbiter, click claim, install write),
  (B) the same logic called as a plain function loop, without Celery (the other half of the
      installs), and the Redis click lookups alone, one install at a time,
  (C) those lookups in micro-batches of 200 (one pipeline per batch),
  plus the local strategies alone per install, which is what a task hop would have to beat for
  splitting them into separate tasks to pay off.
Published fan-out tasks are counted, not sent (no worker runs), and warehouse rows go to an
in-memory list, so the figures are the attribution engine's own cost. Uses Redis db 10 for the
click store and a throwaway project that is deleted afterwards.

Run: .venv/bin/python -m bench.s2_attribution [--quick]
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hazelnut.settings")
# Without DATABASE_URL the bench keeps its own SQLite file rather than the developer's database.
# The bench never touches the developer's database: SQLite gets its own file, PostgreSQL its
# own database (created and migrated through Django's test-database machinery, kept between runs).
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/hazelnut-bench-s2.sqlite3")
os.environ.setdefault("DATABASE_TEST_NAME", "hazelnut_bench_s2")
django.setup()

import redis  # noqa: E402
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
from bench.common import is_quick, latency_summary, rate, ratio, report  # noqa: E402
from hazelnut.celery import app  # noqa: E402
from hazelnut.config import with_redis_db  # noqa: E402

BATCH = 200
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


def _batched(project: Project, messages: list[dict[str, Any]], client: redis.Redis) -> float:
    started = time.perf_counter()
    for offset in range(0, len(messages), BATCH):
        chunk = [_lookup(m, project) for m in messages[offset : offset + BATCH]]
        pipe = client.pipeline(transaction=False)
        for item in chunk:
            now = item.at.timestamp()
            key = f"hz:clicks:{item.project_id}:gaid:{item.gaid}"
            pipe.zrevrangebyscore(key, now, now - item.device_window_seconds, start=0, num=20)
            pipe.zrevrangebyscore(
                f"hz:clicks:{item.project_id}:ip:{item.ip}",
                now,
                now - item.ip_window_seconds,
                start=0,
                num=20,
            )
        ids = {cid for answer in pipe.execute() for cid in answer}
        client.mget([f"hz:click:{cid.decode()}" for cid in ids])
    return time.perf_counter() - started


def main() -> None:
    count = 300 if is_quick() else 2000
    if connection.vendor == "sqlite":
        call_command("migrate", verbosity=0)
    else:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=True)
    client = redis.Redis.from_url(with_redis_db(settings.REDIS_URL, 10))
    client.flushdb()
    clickstore._connection = client
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
            client.flushdb()
    report(
        "S2 attribution",
        figures,
        {
            "task/plain_loop (A/B)": ratio(
                figures["task_installs_per_s"], figures["plain_loop_installs_per_s"]
            ),
            "task/lookups_only": ratio(
                figures["task_installs_per_s"], figures["plain_lookups_per_s"]
            ),
            "batched/plain lookups (C/B)": ratio(
                figures["batched_lookups_per_s"], figures["plain_lookups_per_s"]
            ),
        },
        notes=f"{count} installs (alternately via the task and the plain loop), each with a "
        "matching click; embedded or configured stores; "
        "fan-out published tasks counted not sent; warehouse rows kept in memory.",
    )


def _measure(
    project: Project, messages: list[dict[str, Any]], client: redis.Redis, published: list[str]
) -> dict[str, Any]:
    plain_seconds, lookups = _plain_loop(project, messages)
    batched_seconds = _batched(project, messages, client)
    # A and B alternate install by install, so load from other processes hits both alike.
    task_seconds = function_seconds = 0.0
    for index, message in enumerate(messages):
        started = time.perf_counter()
        if index % 2 == 0:
            attribute_install.apply(kwargs=message)
            task_seconds += time.perf_counter() - started
        else:
            installs.attribute_install(message)  # type: ignore[arg-type]
            function_seconds += time.perf_counter() - started
    half = len(messages) // 2
    attributed = Install.objects.filter(project=project, attribution_type="INORGANIC").count()
    strategy_times = []
    for install in Install.objects.filter(project=project).select_related("project")[:200]:
        t0 = time.perf_counter()
        installs.run_strategies(installs.context_for(install), LOCAL)
        strategy_times.append(time.perf_counter() - t0)
    return {
        "installs": len(messages),
        "installs_attributed_paid": attributed,
        "task_installs_per_s": rate(len(messages) - half, task_seconds),
        "plain_loop_installs_per_s": rate(half, function_seconds),
        "plain_lookups_per_s": rate(len(messages), plain_seconds),
        "batched_lookups_per_s": rate(len(messages), batched_seconds),
        **latency_summary(lookups, "click_lookup_"),
        **latency_summary(strategy_times, "local_strategies_"),
        "fanout_tasks_published": len(published),
    }


if __name__ == "__main__":
    main()
