"""The batched sender: many deliveries in flight, bookkeeping in bulk, same guarantees."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from attribution.models import Install, Project
from postbacks import attempts, batcher, tasks, throttle
from postbacks.models import Attempt, Delivery
from postbacks.networks import webhook
from tests.postbacks import receivers
from tests.postbacks.conftest import FakeWarehouse
from tests.postbacks.receivers import Answer, Request


@pytest.fixture
def sender() -> Iterator[batcher.Batcher]:
    running = batcher.Batcher(concurrency=64, timeout_seconds=1.0)
    yield running
    running.close()


def _state(sender: batcher.Batcher, delivery_id: int) -> str:
    # Read on the sender's own database thread: SQLite's shared-cache test database refuses a
    # read on one connection while another writes.
    def read() -> str:
        return str(Delivery.objects.get(pk=delivery_id).state)

    return sender._database.submit(read).result(timeout=30)


def _drive(sender: batcher.Batcher, delivery_id: int) -> None:
    """What a deliver task and its countdown retries do, without the waits."""
    for _ in range(30):
        finished = sender.submit(delivery_id).result(timeout=30) is None
        if finished and _state(sender, delivery_id) not in ("pending", "retrying"):
            return


def _hold_records(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Make the sender's rounds wait to write answered tries until the returned event is set."""
    gate = threading.Event()
    record = attempts.record

    def held_record(settled: list[attempts.Settled], now: object) -> None:
        if settled:
            gate.wait(10)
        record(settled, now)  # type: ignore[arg-type]

    monkeypatch.setattr(attempts, "record", held_record)
    return gate


def _installs(
    project: Project, make_install: Callable[..., Install], url: str, n: int
) -> list[int]:
    project.webhook_url = url
    project.save()
    for index in range(n):
        tasks.fan_out_install(make_install(instance=f"bt-{index}").pk)
    return list(Delivery.objects.order_by("pk").values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
def test_batched_deliveries_are_sent_once_even_when_submitted_twice(
    project: Project,
    make_install: Callable[..., Install],
    sender: batcher.Batcher,
    warehouse: FakeWarehouse,
) -> None:
    with receivers.serve(receivers.ok, script=[Answer(503), Answer(503)]) as hook:
        ids = _installs(project, make_install, hook.url + "/hook", 12)
        with ThreadPoolExecutor(max_workers=24) as pool:
            list(pool.map(lambda pk: _drive(sender, pk), ids + ids))

    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}
    accepted = Counter(r.headers[webhook.DELIVERY_HEADER] for r in hook.received)
    assert len(accepted) == 12
    assert sum(accepted.values()) == 14  # two 503s were retried, nothing else sent twice
    assert Attempt.objects.count() == 14
    assert len(warehouse.rows["postback_attempts"]) == 14


@pytest.mark.django_db(transaction=True)
def test_a_slow_destination_does_not_hold_back_the_others(
    project: Project, make_install: Callable[..., Install], sender: batcher.Batcher
) -> None:
    def handler(request: Request) -> Answer:
        return Answer(200, delay=0.9 if b'"campaign_id":"cmp-bt-0"' in request.body else 0.0)

    with receivers.serve(handler) as hook:
        ids = _installs(project, make_install, hook.url + "/hook", 6)
        slow = sender.submit(ids[0])
        fast = [sender.submit(pk) for pk in ids[1:]]
        for future in fast:
            assert future.result(timeout=0.8) is None
        assert not slow.done()
        assert slow.result(timeout=5) is None
    sender.close()  # the last answer may still wait for its round
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}


@pytest.mark.django_db(transaction=True)
def test_a_task_is_answered_before_its_attempt_is_written_and_close_writes_it(
    project: Project,
    make_install: Callable[..., Install],
    sender: batcher.Batcher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = _hold_records(monkeypatch)
    with receivers.serve(receivers.ok) as hook:
        (pk,) = _installs(project, make_install, hook.url + "/hook", 1)
        assert sender.submit(pk).result(timeout=10) is None
        assert len(hook.received) == 1
        row = Delivery.objects.get(pk=pk)
        assert (row.state, row.attempt_count, row.lease_until is not None) == ("pending", 0, True)
        gate.set()
        sender.close()
    row = Delivery.objects.get(pk=pk)
    assert (row.state, row.attempt_count, row.lease_until) == ("delivered", 1, None)
    assert list(Attempt.objects.values_list("delivery_id", "response_status")) == [(pk, 200)]
    with pytest.raises(RuntimeError, match="closing"):
        sender.submit(pk).result(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_a_recorded_submit_is_answered_only_after_its_attempt_is_written(
    project: Project,
    make_install: Callable[..., Install],
    sender: batcher.Batcher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = _hold_records(monkeypatch)
    with receivers.serve(receivers.ok) as hook:
        (pk,) = _installs(project, make_install, hook.url + "/hook", 1)
        waiter = sender.submit(pk, recorded=True)
        with pytest.raises(TimeoutError):
            waiter.result(timeout=0.5)
        assert len(hook.received) == 1
        gate.set()
        assert waiter.result(timeout=10) is None
    assert _state(sender, pk) == "delivered"


class Chaos:
    def __init__(self) -> None:
        self.rng = random.Random(11)
        self.lock = threading.Lock()
        self.accepted: Counter[str] = Counter()

    def __call__(self, request: Request) -> Answer:
        with self.lock:
            roll = self.rng.random()
        if roll < 0.3:
            return Answer(500)
        if roll < 0.4:
            return Answer(200, delay=1.5)  # answered after our timeout
        with self.lock:
            self.accepted[request.headers[webhook.DELIVERY_HEADER]] += 1
        return Answer(200)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_chaos_through_the_batched_sender(
    project: Project,
    make_install: Callable[..., Install],
    sender: batcher.Batcher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A destination failing 40% of the time may trip the shared breaker; that is tested apart.
    monkeypatch.setattr(throttle, "BREAKER_THRESHOLD", 10**6)
    chaos = Chaos()
    with receivers.serve(chaos) as hook:
        ids = _installs(project, make_install, hook.url + "/hook", 40)
        with ThreadPoolExecutor(max_workers=32) as pool:
            list(pool.map(lambda pk: _drive(sender, pk), ids + ids))
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}
    assert len(chaos.accepted) == 40
    assert max(chaos.accepted.values()) == 1
    assert Attempt.objects.count() == len(hook.received)
