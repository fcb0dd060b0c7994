"""The batched sender: many deliveries in flight per worker process, bookkeeping in bulk.

Each `postbacks.deliver` task still stands for one delivery and waits for its own outcome, but
the work is done here: one event loop per process sends every claimed delivery concurrently with
aiohttp (so a slow network holds only its own requests), while one database thread claims
deliveries with a single leasing UPDATE per batch and records finished attempts with one bulk
insert and one bulk update per batch. The rules are those of `postbacks.delivery` (same lease,
same verdicts, same backoff, same shared breaker and rate limit), only applied to batches.
With a thread or gevent pool of N tasks, a worker keeps N deliveries on the wire at once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import structlog
from django.db import close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from hazelnut.http import HttpResult
from postbacks import delivery, ledger, ssrf, throttle
from postbacks.frozen import FrozenRequest
from postbacks.models import Attempt, Delivery
from postbacks.verdict import Outcome

log = structlog.get_logger(__name__)

Result = float | None
Waiter = concurrent.futures.Future[Result]


@dataclass
class Claimed:
    ready: list[tuple[Delivery, FrozenRequest]] = field(default_factory=list)
    # Deliveries not sent now: None when finished or held elsewhere, else seconds to wait.
    waits: dict[int, Result] = field(default_factory=dict)


_CLAIM_FIELDS = (
    "pk", "project_id", "destination", "state", "attempt_count", "replay_base", "replayed_at",
    "created_at",
)  # fmt: skip


def claim(ids: list[int], now: Any) -> Claimed:
    """Lease every open, due and unbraked delivery of `ids` with one UPDATE."""
    claimed = Claimed(waits=dict.fromkeys(ids))
    candidates: list[Delivery] = []
    rows = Delivery.objects.filter(pk__in=ids, state__in=delivery.OPEN).only(*_CLAIM_FIELDS)
    for row in rows:
        if delivery.exhausted(row, row.attempt_count, now):
            delivery.finish(row, Delivery.State.DEAD, "expired", now)
        else:
            candidates.append(row)
    allowed = _throttled(candidates, claimed.waits)
    if not allowed:
        return claimed
    token = uuid.uuid4().hex
    Delivery.objects.filter(pk__in=allowed, state__in=delivery.OPEN).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    ).update(lease_until=now + delivery.LEASE, lease_token=token)
    for row in Delivery.objects.filter(pk__in=allowed, lease_token=token):
        claimed.ready.append((row, FrozenRequest.from_json(row.request)))
    return claimed


def _throttled(rows: list[Delivery], waits: dict[int, Result]) -> list[int]:
    groups: dict[tuple[int, str], list[Delivery]] = defaultdict(list)
    for row in rows:
        groups[(row.project_id, row.destination)].append(row)
    allowed: list[int] = []
    for (project_id, destination), members in groups.items():
        braked = throttle.breaker_wait(destination)
        granted = 0 if braked else throttle.rate_take(project_id, destination, len(members))
        for index, row in enumerate(members):
            if index < granted:
                allowed.append(row.pk)
            else:
                waits[row.pk] = braked or max(0.05, 1.0 - (time.time() % 1.0))
    return allowed


def record(
    finished: list[tuple[Delivery, FrozenRequest, HttpResult]], now: Any
) -> dict[int, Result]:
    """Settle a batch of answered attempts: one bulk insert, one bulk update, one mirror."""
    settled = [
        (row, request, delivery.settle(row, request, result, now))
        for row, request, result in finished
    ]
    tables: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with transaction.atomic():
        Attempt.objects.bulk_create([outcome.attempt for _, _, outcome in settled])
        _save_states([row for row, _, _ in settled])
        for row, _, outcome in settled:
            tables[outcome.table].append(
                delivery.warehouse_row(outcome.table, row, outcome.attempt, outcome.verdict, now)
            )
        for table, rows in tables.items():
            ledger.mirror(table, rows)
    _feed_breakers(settled)
    for row, request, outcome in settled:
        delivery.log_attempt(row, request, outcome)
    return {row.pk: outcome.delay for row, _, outcome in settled}


def _save_states(rows: list[Delivery]) -> None:
    """One UPDATE per shared outcome (Django's bulk_update costs more CPU than the database)."""
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for row in rows:
        key = tuple(getattr(row, name) for name in delivery.SETTLE_FIELDS)
        groups[key].append(row.pk)
    for values, ids in groups.items():
        Delivery.objects.filter(pk__in=ids).update(
            **dict(zip(delivery.SETTLE_FIELDS, values, strict=True))
        )


def _feed_breakers(settled: Iterable[tuple[Delivery, FrozenRequest, delivery.Settled]]) -> None:
    failures: dict[str, int] = defaultdict(int)
    answered: set[str] = set()
    for row, _, outcome in settled:
        if outcome.verdict.outcome is Outcome.TRANSIENT:
            failures[row.destination] += 1
        else:
            answered.add(row.destination)
    for destination in answered:
        throttle.breaker_record(destination, failed=False)
    for destination, count in failures.items():
        if destination not in answered:
            throttle.breaker_record(destination, failed=True, count=count)


async def send(session: aiohttp.ClientSession, request: FrozenRequest) -> HttpResult:
    """The frozen request on the wire, once; no answer is a transient failure."""
    loop = asyncio.get_running_loop()
    if request.guarded:
        try:
            await loop.run_in_executor(None, ssrf.check_url, request.url)
        except ssrf.DestinationRefused as exc:
            return HttpResult(None, b"", 0.0, f"refused: {exc}", transient=False)
    started = time.perf_counter()
    try:
        async with session.request(
            request.method,
            request.url,
            data=request.body_bytes() or None,
            headers=dict(request.headers),
            allow_redirects=False,
        ) as response:
            body = await response.read()
    except TimeoutError:
        return HttpResult(None, b"", _ms(started), "Timeout", transient=True)
    except aiohttp.ClientError as exc:
        return HttpResult(None, b"", _ms(started), type(exc).__name__, transient=True)
    status = response.status
    error = f"http_{status}" if status >= 400 else None
    return HttpResult(status, body, _ms(started), error, transient=status >= 500 or status == 429)


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


class Batcher:
    """One per process: `submit(delivery_id)` returns a future of the delay (or None)."""

    def __init__(
        self,
        *,
        concurrency: int = 256,
        batch_size: int = 256,
        linger_seconds: float = 0.002,
        timeout_seconds: float = 10.0,
    ) -> None:
        self.concurrency = concurrency
        self.batch_size = batch_size
        self.linger = linger_seconds
        self.timeout = timeout_seconds
        self._database = concurrent.futures.ThreadPoolExecutor(1, "postbacks-db")
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="postbacks-sender", daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def submit(self, delivery_id: int) -> Waiter:
        waiter: Waiter = concurrent.futures.Future()
        self._loop.call_soon_threadsafe(self._inbox.put_nowait, (delivery_id, waiter))
        return waiter

    def close(self) -> None:
        """Stop the loop; cancelled in-flight sends keep their lease until it lapses, then retry."""
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._database.shutdown(wait=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        finally:
            self._loop.close()

    async def _main(self) -> None:
        self._inbox: asyncio.Queue[tuple[int, Waiter]] = asyncio.Queue()
        self._answers: asyncio.Queue[tuple[Delivery, FrozenRequest, HttpResult, list[Waiter]]]
        self._answers = asyncio.Queue()
        self._in_flight: set[asyncio.Task[None]] = set()
        timeout = aiohttp.ClientTimeout(total=self.timeout, connect=min(3.0, self.timeout))
        connector = aiohttp.TCPConnector(limit=self.concurrency)
        async with aiohttp.ClientSession(
            connector=connector, timeout=timeout, headers={"User-Agent": "hazelnut-postbacks/1"}
        ) as session:
            self._session = session
            self._stop = asyncio.Event()
            workers = [
                asyncio.create_task(self._claiming()),
                asyncio.create_task(self._recording()),
            ]
            self._ready.set()
            await self._stop.wait()
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, *self._in_flight, return_exceptions=True)

    async def _batch(self, queue: asyncio.Queue[Any]) -> list[Any]:
        items = [await queue.get()]
        while len(items) < self.batch_size:
            if queue.empty():
                await asyncio.sleep(self.linger)
                if queue.empty():
                    break
            items.append(queue.get_nowait())
        return items

    async def _on_database(self, function: Any, *args: Any) -> Any:
        def call() -> Any:
            close_old_connections()
            return function(*args)

        return await self._loop.run_in_executor(self._database, call)

    async def _claiming(self) -> None:
        while True:
            items = await self._batch(self._inbox)
            waiters: dict[int, list[Waiter]] = defaultdict(list)
            for delivery_id, waiter in items:
                waiters[delivery_id].append(waiter)
            try:
                claimed: Claimed = await self._on_database(claim, list(waiters), timezone.now())
            except Exception as exc:  # noqa: BLE001  (handed to every waiting task)
                _fail(waiters.values(), exc)
                continue
            for row, request in claimed.ready:
                sending = asyncio.create_task(self._send(row, request, waiters.pop(row.pk)))
                self._in_flight.add(sending)
                sending.add_done_callback(self._in_flight.discard)
            for delivery_id, group in waiters.items():
                _resolve(group, claimed.waits.get(delivery_id))

    async def _send(self, row: Delivery, request: FrozenRequest, group: list[Waiter]) -> None:
        result = await send(self._session, request)
        await self._answers.put((row, request, result, group))

    async def _recording(self) -> None:
        while True:
            items = await self._batch(self._answers)
            finished = [(row, request, result) for row, request, result, _ in items]
            try:
                delays: dict[int, Result] = await self._on_database(
                    record, finished, timezone.now()
                )
            except Exception as exc:  # noqa: BLE001  (the lease lapses and the sweep retries)
                _fail((group for *_, group in items), exc)
                continue
            for row, _, _, group in items:
                _resolve(group, delays.get(row.pk))


def _resolve(group: list[Waiter], value: Result) -> None:
    first, *others = group
    first.set_result(value)
    for waiter in others:  # the same delivery submitted twice: only one sends
        waiter.set_result(None)


def _fail(groups: Iterable[list[Waiter]], exc: BaseException) -> None:
    log.error("postbacks.batcher.failed", error=type(exc).__name__)
    for group in groups:
        for waiter in group:
            waiter.set_exception(exc)


_batcher: Batcher | None = None
_lock = threading.Lock()


def get() -> Batcher:
    global _batcher
    with _lock:
        if _batcher is None:
            _batcher = Batcher()
        return _batcher


def _forget_after_fork() -> None:
    global _batcher, _lock
    _batcher, _lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)
