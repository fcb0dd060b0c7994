"""The batched sender: many deliveries in flight per worker process, bookkeeping in bulk.

Each `postbacks.deliver` task still stands for one delivery and waits for its own try, but the
work is done here: one event loop per process sends every leased delivery concurrently with
aiohttp (so a slow network holds only its own requests), while one database thread works in
rounds. A round writes the tries answered since the last one (one INSERT of attempts, one UPDATE
per shared next state, one transaction), leases the deliveries submitted since (one UPDATE ...
RETURNING), and feeds both through the shared breaker and rate limit in one Redis round trip.
The rules are those of `postbacks.delivery` (same lease, same verdicts, same backoff, same
brakes), only applied to batches.

A task is answered as soon as its try is: the verdict and the next delay are known then, and its
attempt row goes into the next round, which also leases the task's next delivery. Waiting for
that row would cost every try a second round. Nothing is lost by it: until the row is written the
delivery stays leased and open, so a worker that dies in between leaves it to the lease's lapse
and the sweeper, exactly as one that dies while the request is on the wire. `close` (also run at
exit) writes what was answered before the loop stops. A caller that reads the delivery back
afterwards submits with `recorded=True` and is answered after the round that writes the row.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import datetime as dt
import os
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import structlog
import uvloop
from django.db import connection
from django.utils import timezone

from hazelnut.http import HttpResult
from postbacks import attempts, delivery, guarded, leases, ssrf, throttle
from postbacks.attempts import Leased, Settled
from postbacks.frozen import FrozenRequest
from postbacks.verdict import Outcome

log = structlog.get_logger(__name__)

Result = float | None
Waiter = concurrent.futures.Future[Result]


class RecordedWaiter(Waiter):
    """A waiter answered only once its try's attempt row is written."""


@dataclass
class Round:
    """What one database round decided, for the loop to act on."""

    record_error: Exception | None = None
    # Leased and cleared to send now.
    ready: list[Leased] = field(default_factory=list)
    # Submitted but not sent now: None when finished or held elsewhere, else seconds to wait.
    waits: dict[int, Result] = field(default_factory=dict)
    claim_error: Exception | None = None


def work_round(settled: Sequence[Settled], ids: list[int], now: dt.datetime) -> Round:
    """Record the answered tries `settled`, then lease and pass through the brakes `ids`."""
    done = Round(waits=dict.fromkeys(ids))
    try:
        attempts.record(settled, now)
    except Exception as exc:  # noqa: BLE001  (logged by the loop; the leases lapse)
        done.record_error, settled = exc, []
    candidates: list[Leased] = []
    try:
        candidates = _lease(ids, now) if ids else []
        done.ready = _brake(settled, candidates, done.waits)
        leases.give_back({t.pk for t in candidates} - {t.pk for t in done.ready})
    except Exception as exc:  # noqa: BLE001  (handed to the waiting tasks; the lease lapses)
        done.claim_error, done.ready = exc, []
    attempts.report(settled)
    return done


def _lease(ids: list[int], now: dt.datetime) -> list[Leased]:
    """Lease every open, unleased delivery of `ids`; those that must end now are ended."""
    candidates: list[Leased] = []
    closing: dict[str, list[int]] = defaultdict(list)
    for target in leases.take(ids, now):
        reason = attempts.closing_reason(target, now)
        if reason is None:
            candidates.append(target)
        else:
            closing[reason].append(target.pk)
    for reason, closed in closing.items():
        delivery.finish(closed, reason, now)
    return candidates


def _brake(
    settled: Sequence[Settled], candidates: list[Leased], waits: dict[int, Result]
) -> list[Leased]:
    """Feed the breakers with `settled`; the candidates the breakers and rate limits let go."""
    answered = {s.target.destination for s in settled if s.verdict.outcome is not Outcome.TRANSIENT}
    failures = Counter(
        s.target.destination for s in settled if s.verdict.outcome is Outcome.TRANSIENT
    )
    groups: dict[tuple[int, str], list[Leased]] = defaultdict(list)
    for target in candidates:
        groups[(target.project_id, target.destination)].append(target)
    if not (answered or failures or groups):
        return []
    wanted = {group: len(members) for group, members in groups.items()}
    gate = throttle.gate(answered, failures, wanted)
    allowed: list[Leased] = []
    for (project_id, destination), members in groups.items():
        granted = gate.granted.get((project_id, destination), 0)
        allowed.extend(members[:granted])
        wait = gate.braked.get(destination) or max(0.05, 1.0 - (time.time() % 1.0))
        for target in members[granted:]:
            waits[target.pk] = wait
    return allowed


async def send(session: aiohttp.ClientSession, request: FrozenRequest) -> HttpResult:
    """The frozen request on the wire, once; no answer is a transient failure.

    A guarded request must come with a session on `guarded.connector()`, which checks the
    addresses it connects to.
    """
    started = time.perf_counter()
    try:
        if request.guarded:
            ssrf.check_target(request.url)
        async with session.request(
            request.method,
            request.url,
            data=request.body_bytes() or None,
            headers=dict(request.headers),
            allow_redirects=False,
        ) as response:
            body = await response.read()
    except ssrf.DestinationRefused as exc:
        return HttpResult(None, b"", _ms(started), f"refused: {exc}", transient=False)
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
        # Submitted from task threads; the loop is woken once per burst, not once per task.
        self._inbox: deque[tuple[int, Waiter]] = deque()
        self._inbox_lock = threading.Lock()
        self._woken = False
        self._answers: deque[Settled] = deque()
        # Answered groups with a RecordedWaiter, held until their attempt rows are written.
        self._held: dict[int, tuple[list[Waiter], Result]] = {}
        self._closing = False  # seen by the loop: no new sends, record what is answered
        self._closed = False  # seen by submit: no new work
        self._loop = uvloop.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="postbacks-sender", daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def submit(self, delivery_id: int, *, recorded: bool = False) -> Waiter:
        waiter: Waiter = RecordedWaiter() if recorded else concurrent.futures.Future()
        with self._inbox_lock:
            if self._closed:
                waiter.set_exception(RuntimeError("the postback sender is closing"))
                return waiter
            self._inbox.append((delivery_id, waiter))
            wake, self._woken = not self._woken, True
        if wake:
            self._loop.call_soon_threadsafe(self._wake.set)
        return waiter

    def close(self) -> None:
        """Finish the tries on the wire, write every answered one, then stop.

        Deliveries submitted from now on fail their tasks: they stay open for the sweeper.
        """
        with self._inbox_lock:
            self._closed = True
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(self.timeout + 30)
        self._database.shutdown(wait=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        finally:
            self._loop.close()

    async def _main(self) -> None:
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        timeout = aiohttp.ClientTimeout(total=self.timeout, connect=min(3.0, self.timeout))
        headers = {"User-Agent": "hazelnut-postbacks/1"}
        async with (
            aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.concurrency),
                timeout=timeout,
                headers=headers,
            ) as session,
            aiohttp.ClientSession(
                connector=guarded.connector(self.concurrency), timeout=timeout, headers=headers
            ) as guarded_session,
        ):
            self._session = session
            self._guarded_session = guarded_session
            self._stop = asyncio.Event()
            rounds = asyncio.create_task(self._rounds())
            self._ready.set()
            await self._stop.wait()
            self._closing = True
            await asyncio.gather(*self._in_flight, return_exceptions=True)
            self._wake.set()
            await rounds

    def _pending(self) -> int:
        return len(self._inbox) + len(self._answers)

    def _take_inbox(self) -> dict[int, list[Waiter]]:
        waiters: dict[int, list[Waiter]] = defaultdict(list)
        with self._inbox_lock:
            for _ in range(min(self.batch_size, len(self._inbox))):
                delivery_id, waiter = self._inbox.popleft()
                waiters[delivery_id].append(waiter)
            self._woken = bool(self._inbox)
        return waiters

    def _take_answers(self) -> list[Settled]:
        count = min(self.batch_size, len(self._answers))
        return [self._answers.popleft() for _ in range(count)]

    async def _rounds(self) -> None:
        while True:
            if not self._pending():
                if self._closing:
                    return
                await self._wake.wait()
                # Work that piles up during a round waits for that round and no longer; work
                # that wakes an idle sender waits a moment for the rest of its burst.
                await asyncio.sleep(self.linger)
            self._wake.clear()
            answers = self._take_answers()
            waiters = self._take_inbox()
            if self._closing:
                _fail(waiters.values(), RuntimeError("the postback sender is closing"))
                waiters = {}
            if not answers and not waiters:
                continue
            try:
                done: Round = await self._on_database(
                    work_round, answers, list(waiters), timezone.now()
                )
            except Exception as exc:  # noqa: BLE001  (even the connection failed)
                _unrecorded(answers, exc)
                self._release(answers, exc)
                _fail(waiters.values(), exc)
                continue
            if done.record_error is not None:
                _unrecorded(answers, done.record_error)
            self._release(answers, done.record_error)
            self._start(waiters, done)

    def _release(self, answers: list[Settled], error: Exception | None) -> None:
        for answer in answers:
            if (held := self._held.pop(answer.target.pk, None)) is None:
                continue
            group, delay = held
            if error is None:
                _resolve(group, delay)
            else:
                _fail([group], error)

    async def _on_database(self, function: Any, *args: Any) -> Any:
        def call() -> Any:
            # The database thread keeps its connection from round to round (a round is not a
            # request: reconnecting would cost more than the round) until an error spoils it.
            if connection.errors_occurred:
                connection.close_if_unusable_or_obsolete()
            return function(*args)

        return await self._loop.run_in_executor(self._database, call)

    def _start(self, waiters: dict[int, list[Waiter]], done: Round) -> None:
        if done.claim_error is not None:
            _fail(waiters.values(), done.claim_error)
            return
        for target in done.ready:
            sending = asyncio.create_task(self._send(target, waiters.pop(target.pk)))
            self._in_flight.add(sending)
            sending.add_done_callback(self._in_flight.discard)
        for delivery_id, group in waiters.items():
            _resolve(group, done.waits.get(delivery_id))

    async def _send(self, target: Leased, group: list[Waiter]) -> None:
        session = self._guarded_session if target.request.guarded else self._session
        result = await send(session, target.request)
        try:
            settled = attempts.settle(target, result, timezone.now())
        except Exception as exc:  # noqa: BLE001  (unreadable answer: the lease lapses, it retries)
            _fail([group], exc)
            return
        if any(isinstance(waiter, RecordedWaiter) for waiter in group):
            self._held[target.pk] = (group, settled.delay)
        else:
            _resolve(group, settled.delay)
        self._answers.append(settled)
        self._wake.set()


def _resolve(group: list[Waiter], value: Result) -> None:
    first, *others = group
    first.set_result(value)
    for waiter in others:  # the same delivery submitted twice: only one sends
        waiter.set_result(None)


def _fail(groups: Iterable[list[Waiter]], exc: BaseException) -> None:
    groups = list(groups)
    if groups:
        log.error("postbacks.batcher.failed", tasks=len(groups), error=type(exc).__name__)
    for group in groups:
        for waiter in group:
            waiter.set_exception(exc)


def _unrecorded(answers: list[Settled], exc: BaseException) -> None:
    # Their leases lapse and they are tried again: a try that did land is sent twice.
    log.error(
        "postbacks.batcher.unrecorded",
        deliveries=[one.target.pk for one in answers],
        error=type(exc).__name__,
    )


_batcher: Batcher | None = None
_lock = threading.Lock()


def get() -> Batcher:
    global _batcher
    with _lock:
        if _batcher is None:
            _batcher = Batcher()
            atexit.register(_batcher.close)
        return _batcher


def _forget_after_fork() -> None:
    global _batcher, _lock
    _batcher, _lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)
