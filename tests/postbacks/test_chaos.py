"""A chaos receiver (random 500s, slow answers, held connections) and workers that run the same
delivery twice at once: nothing is lost, and nothing the receiver accepted is sent again."""

from __future__ import annotations

import contextlib
import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection

from attribution.models import Install, Project
from hazelnut.http import CircuitBreaker, HttpClient
from postbacks import attempts, delivery, tasks, throttle
from postbacks.models import Delivery
from postbacks.networks import webhook
from tests.postbacks import receivers
from tests.postbacks.receivers import Answer, Request

DELIVERIES = 40


class Chaos:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.accepted: Counter[str] = Counter()

    def __call__(self, request: Request) -> Answer:
        with self.lock:
            roll = self.rng.random()
        if roll < 0.3:
            return Answer(500, {"error": "chaos"})
        if roll < 0.4:
            return Answer(200, {"late": True}, delay=1.5)  # answered after our timeout
        if roll < 0.45:
            return Answer(200, delay=3.0)  # a connection held open
        with self.lock:
            self.accepted[request.headers[webhook.DELIVERY_HEADER]] += 1
        return Answer(200, {"ok": True})


# SQLite's shared-cache test database refuses concurrent writers outright (PostgreSQL waits on
# row locks instead), so there the database steps take turns; the network call, where the race
# between two workers on one delivery lives, still runs concurrently.
_DB_TURN = threading.Lock()


def _worker(delivery_id: int, client: HttpClient) -> None:
    try:
        for _ in range(attempts.MAX_ATTEMPTS * 3):
            with _turn():
                delay = delivery.run(delivery_id, client)
                state = Delivery.objects.get(pk=delivery_id).state
            if delay is None and state not in ("pending", "retrying"):
                return
    finally:
        connection.close()


def _turn() -> contextlib.AbstractContextManager[object]:
    return _DB_TURN if connection.vendor == "sqlite" else contextlib.nullcontext()


@pytest.fixture
def concurrent_sends(monkeypatch: pytest.MonkeyPatch) -> None:
    send = delivery._send

    def send_outside_turn(*args: Any) -> object:
        if connection.vendor != "sqlite":
            return send(*args)
        _DB_TURN.release()
        try:
            return send(*args)
        finally:
            _DB_TURN.acquire()

    monkeypatch.setattr(delivery, "_send", send_outside_turn)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_chaos_receiver_loses_nothing_and_accepts_nothing_twice(
    project: Project,
    make_install: Callable[..., Install],
    concurrent_sends: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A destination failing 40% of the time may trip the shared breaker; that is tested apart.
    monkeypatch.setattr(throttle, "BREAKER_THRESHOLD", 10**6)
    chaos = Chaos(seed=5)
    client = HttpClient(
        timeout_seconds=1.0, connect_timeout_seconds=1.0, breaker=CircuitBreaker(10**6)
    )
    with receivers.serve(chaos) as receiver:
        project.webhook_url = receiver.url + "/hook"
        project.save()
        for n in range(DELIVERIES):
            tasks.fan_out_install(make_install(instance=f"chaos-{n}").pk)
        ids = list(Delivery.objects.values_list("pk", flat=True))
        # Every delivery is worked by two workers at once, as after a broker redelivery.
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda d: _worker(d, client), ids + ids))

    rows = list(Delivery.objects.all())
    assert len(rows) == DELIVERIES
    assert {row.state for row in rows} == {"delivered"}
    assert len(chaos.accepted) == DELIVERIES
    assert max(chaos.accepted.values()) == 1
    # Retries carried the same id and bytes: per delivery id, one body only.
    bodies: dict[str, set[bytes]] = {}
    for request in receiver.received:
        bodies.setdefault(request.headers[webhook.DELIVERY_HEADER], set()).add(request.body)
    assert all(len(seen) == 1 for seen in bodies.values())
    attempts = sum(row.attempt_count for row in rows)
    assert attempts == len(receiver.received)
