"""S5: postback deliveries per second against a local stub, beside a plain aiohttp loop.

Peers, in one run, against the same stub partner (an aiohttp server in its own process that
answers 200, with 0 ms and then 200 ms of injected latency):
  (A) our delivery machine as a Celery worker with `--pool threads -c N` runs it: N threads each
      doing what the `postbacks.deliver` task does (submit its delivery to the process's batched
      sender and wait: lease, shared breaker and rate limit in Redis, frozen bytes over aiohttp,
      Attempt rows, state change, warehouse mirror), with the sender's connection cap also N;
  (A2) the same sender fed by a gevent-style pool (every delivery's task waiting at once), the
      in-flight requests still capped at N by the sender's connection pool;
  (A1) the unbatched path (`postbacks.delivery.run` per delivery over hazelnut.http) on the same
      N threads, for the record;
  (B) an aiohttp loop sending the same frozen bytes with the same concurrency cap (median of
      three runs).
Reported: A/B at 0 ms, and A against Little's law (cap / 0.2 s) at 200 ms.

Run: .venv/bin/python -m bench.s5_postbacks [--quick]
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import socket
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hazelnut.settings")
# Without DATABASE_URL the bench keeps its own SQLite file rather than the developer's database.
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/hazelnut-bench-s5.sqlite3")
# As in production: with DEBUG on, Django records every query's SQL, which is not free.
os.environ.setdefault("DEBUG", "false")
django.setup()

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

import hazelnut.warehouse  # noqa: E402
from attribution.models import Project  # noqa: E402
from bench.common import is_quick, rate, ratio, report  # noqa: E402
from hazelnut.http import CircuitBreaker, HttpClient  # noqa: E402
from postbacks import batcher, delivery, throttle  # noqa: E402
from postbacks.frozen import JSON_HEADERS, DeliverySpec, FrozenRequest, json_body  # noqa: E402
from postbacks.models import Delivery  # noqa: E402

CONCURRENCY = 32


class _NullWarehouse:
    def write(self, table: str, rows: list[dict[str, Any]]) -> None:
        pass


def _stub(port: int, latency: float) -> None:
    async def answer(request: web.Request) -> web.Response:
        await request.read()
        if latency:
            await asyncio.sleep(latency)
        return web.Response(text='{"ok":true}', content_type="application/json")

    stub = web.Application()
    stub.router.add_post("/{tail:.*}", answer)
    web.run_app(stub, host="127.0.0.1", port=port, print=None, access_log=None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_stub(latency: float) -> tuple[multiprocessing.Process, str]:
    port = _free_port()
    process = multiprocessing.Process(target=_stub, args=(port, latency), daemon=True)
    process.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("stub partner did not start")


def _requests(url: str, count: int, tag: str) -> list[FrozenRequest]:
    return [
        FrozenRequest(
            "POST", f"{url}/pb", JSON_HEADERS, json_body({"event": "install", "n": n, "tag": tag})
        )
        for n in range(count)
    ]


def _make_deliveries(project: Project, requests: list[FrozenRequest], tag: str) -> list[int]:
    ids = []
    for n, request in enumerate(requests):
        spec = DeliverySpec(project.pk, "bench", "install", "install", f"{tag}:{n}", {}, request)
        ids.append(delivery.create(spec)[0].pk)
    return ids


def _ours(ids: list[int], batched: bool) -> float:
    client = HttpClient(timeout_seconds=10, breaker=CircuitBreaker(threshold=10**6))
    sender = batcher.Batcher(concurrency=CONCURRENCY) if batched else None

    def work(delivery_id: int) -> None:
        try:
            while True:
                if sender is not None:
                    wait = sender.submit(delivery_id).result(timeout=60)
                else:
                    wait = delivery.run(delivery_id, client)
                if wait is None:
                    return
                time.sleep(min(wait, 1.0))
        finally:
            connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        list(pool.map(work, ids))
    elapsed = time.perf_counter() - started
    if sender is not None:
        sender.close()
    delivered = Delivery.objects.filter(pk__in=ids, state="delivered").count()
    if delivered != len(ids):
        raise RuntimeError(f"only {delivered} of {len(ids)} delivered")
    return elapsed


def _ours_pipelined(ids: list[int]) -> float:
    sender = batcher.Batcher(concurrency=CONCURRENCY)
    started = time.perf_counter()
    pending = ids
    while pending:
        futures = {delivery_id: sender.submit(delivery_id) for delivery_id in pending}
        waits = {pk: future.result(timeout=120) for pk, future in futures.items()}
        pending = [pk for pk, wait in waits.items() if wait is not None]
    elapsed = time.perf_counter() - started
    sender.close()
    return elapsed


async def _aiohttp_loop(requests: list[FrozenRequest]) -> float:
    limit = asyncio.Semaphore(CONCURRENCY)
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def send(request: FrozenRequest) -> None:
            async with (
                limit,
                session.post(
                    request.url, data=request.body_bytes(), headers=dict(request.headers)
                ) as response,
            ):
                await response.read()
                if response.status != 200:
                    raise RuntimeError("stub refused a request")

        started = time.perf_counter()
        await asyncio.gather(*(send(request) for request in requests))
        return time.perf_counter() - started


def _round(latency: float, count: int, project: Project, tag: str) -> dict[str, float | None]:
    process, url = _start_stub(latency)
    try:
        asyncio.run(_aiohttp_loop(_requests(url, min(count, 50), tag + "-warm")))
        # A 2,000-request loop lasts a fifth of a second, so one run is at the mercy of the
        # scheduler; the median of three is steadier.
        loops = [asyncio.run(_aiohttp_loop(_requests(url, count, f"{tag}-b{n}"))) for n in range(3)]
        loop_seconds = statistics.median(loops)
        ids = _make_deliveries(project, _requests(url, count, tag + "-a"), tag + "-a")
        ours_seconds = _ours(ids, batched=True)
        piped_ids = _make_deliveries(project, _requests(url, count, tag + "-a2"), tag + "-a2")
        piped_seconds = _ours_pipelined(piped_ids)
        plain_ids = _make_deliveries(project, _requests(url, count, tag + "-a1"), tag + "-a1")
        plain_seconds = _ours(plain_ids, batched=False)
    finally:
        process.terminate()
        process.join(5)
    return {
        "ours": rate(count, ours_seconds),
        "unbatched": rate(count, plain_seconds),
        "pipelined": rate(count, piped_seconds),
        "aiohttp": rate(count, loop_seconds),
    }


def main() -> None:
    call_command("migrate", verbosity=0)
    hazelnut.warehouse.get_warehouse = lambda: _NullWarehouse()  # type: ignore[assignment,return-value]
    settings.HAZELNUT_POSTBACK_RATE_PER_SECOND = 1_000_000
    for key in throttle.connection().scan_iter("hz:pb:*"):
        throttle.connection().delete(key)
    project, _ = Project.new("bench s5")
    project.save()
    quick = is_quick()
    fast_count = 400 if quick else 2000
    slow_count = CONCURRENCY * (5 if quick else 15)
    try:
        fast = _round(0.0, fast_count, project, f"s5-{time.time_ns()}-0")
        slow = _round(0.2, slow_count, project, f"s5-{time.time_ns()}-200")
    finally:
        project.delete()
    little = CONCURRENCY / 0.2
    report(
        "S5 postbacks",
        {
            "concurrency": CONCURRENCY,
            "ours_0ms_per_s": fast["ours"],
            "ours_unbatched_0ms_per_s": fast["unbatched"],
            "ours_pipelined_0ms_per_s": fast["pipelined"],
            "aiohttp_0ms_per_s": fast["aiohttp"],
            "ours_200ms_per_s": slow["ours"],
            "ours_unbatched_200ms_per_s": slow["unbatched"],
            "ours_pipelined_200ms_per_s": slow["pipelined"],
            "aiohttp_200ms_per_s": slow["aiohttp"],
            "littles_law_200ms_per_s": little,
        },
        {
            "A/B at 0 ms (goal >= 0.8)": ratio(fast["ours"], fast["aiohttp"]),
            "A / (cap / 0.2 s) at 200 ms (goal >= 0.8)": ratio(slow["ours"], little),
            "A/B at 200 ms": ratio(slow["ours"], slow["aiohttp"]),
            "A2/B at 0 ms (pipelined feed)": ratio(fast["pipelined"], fast["aiohttp"]),
            "A2 / (cap / 0.2 s) at 200 ms": ratio(slow["pipelined"], little),
            "A1/B at 0 ms (unbatched)": ratio(fast["unbatched"], fast["aiohttp"]),
        },
        notes=(
            f"{fast_count} deliveries at 0 ms, {slow_count} at 200 ms; stub is aiohttp in its own "
            f"process; database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}; "
            "warehouse writes discarded; per-project rate limit lifted."
        ),
    )


if __name__ == "__main__":
    main()
