"""The one idempotent Kafka producer of a process, shared by every kombu connection in it.

Publishing is non-blocking by default: the record goes into librdkafka's queue and the delivery
report is served later (worker fan-out must not pay a broker round trip per message). A
confirmed publish, which web requests use, waits for this record's own report and raises
`BrokerUnavailable` on failure or timeout, so the caller can fall back to its outbox. Commits of
consumed offsets call `flush` first, so a task is never committed before the messages it sent.
"""

from __future__ import annotations

import atexit
import os
import threading
from time import monotonic
from typing import Any

import structlog
from confluent_kafka import KafkaError

from hazelnut.broker.clients import DeliveryCallback, KafkaClients, ProducerLike, abandon
from hazelnut.broker.errors import BrokerUnavailable
from hazelnut.broker.options import Options
from hazelnut.broker.wire import Headers

log = structlog.get_logger(__name__)

_SERVE_SLICE_S = 0.05
# A full local queue means the broker has been unreachable for a while; wait this long for room
# before giving up on a non-confirmed publish.
_BUFFER_WAIT_S = 30.0


class Publisher:
    def __init__(self, clients: KafkaClients, options: Options) -> None:
        config: dict[str, Any] = {
            "bootstrap.servers": options.bootstrap_servers,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": options.linger_ms,
            "client.id": f"hazelnut-{os.getpid()}",
            "on_delivery": self._on_delivery,
        }
        config.update(options.producer_config)
        self._producer: ProducerLike = clients.producer(config)
        self._pid = os.getpid()
        self.failures = 0

    def send(
        self,
        topic: str,
        value: bytes,
        key: bytes | None,
        headers: Headers,
        confirm_timeout: float | None = None,
        durable: bool = True,
    ) -> None:
        """Produce one record; with `confirm_timeout`, return only once Kafka has stored it.

        A durable record (a task, a retry, a dead letter) that Kafka finally refuses counts as a
        failure, which stops this process's consumers from committing; a lost event or pidbox
        message is only logged.
        """
        if confirm_timeout is None:
            callback = None if durable else self._on_transient_delivery
            self._produce(topic, value, key, headers, callback, monotonic() + _BUFFER_WAIT_S)
            self._producer.poll(0)
            return
        deadline = monotonic() + confirm_timeout
        done = threading.Event()
        outcome: list[KafkaError | None] = []

        def on_delivery(error: KafkaError | None, _record: Any) -> None:
            outcome.append(error)
            done.set()

        self._produce(topic, value, key, headers, on_delivery, deadline)
        while not done.is_set():
            remaining = deadline - monotonic()
            if remaining <= 0:
                raise BrokerUnavailable(
                    f"Kafka did not acknowledge a record for {topic} within {confirm_timeout}s"
                )
            self._producer.poll(min(remaining, _SERVE_SLICE_S))
        if outcome[0] is not None:
            raise BrokerUnavailable(f"Kafka refused a record for {topic}: {outcome[0].str()}")

    def flush(self, timeout: float) -> int:
        """Wait for every queued record; return how many are still undelivered."""
        return self._producer.flush(timeout)

    def submit(
        self,
        topic: str,
        value: bytes,
        key: bytes | None,
        headers: Headers,
        on_delivery: DeliveryCallback,
        timeout: float,
    ) -> None:
        """Queue one record whose delivery report goes to `on_delivery`, without polling.

        Whoever serves this producer next (a `Confirmer`, a consumer loop) runs the callback;
        `timeout` bounds only the wait for room in a full local queue.
        """
        self._produce(topic, value, key, headers, on_delivery, monotonic() + timeout)

    def serve(self, timeout: float = 0.0) -> None:
        """Run the delivery reports that are due, waiting up to `timeout` for the first one."""
        self._producer.poll(timeout)

    def pending(self) -> int:
        return len(self._producer)

    def _produce(
        self,
        topic: str,
        value: bytes,
        key: bytes | None,
        headers: Headers,
        callback: DeliveryCallback | None,
        deadline: float,
    ) -> None:
        while True:
            try:
                if callback is None:
                    self._producer.produce(topic, value, key, headers=headers)
                else:
                    self._producer.produce(topic, value, key, on_delivery=callback, headers=headers)
                return
            except BufferError as exc:
                if monotonic() >= deadline:
                    raise BrokerUnavailable(f"Kafka producer queue full for {topic}") from exc
                self._producer.poll(_SERVE_SLICE_S)

    def _on_delivery(self, error: KafkaError | None, record: Any) -> None:
        if error is None:
            return
        self.failures += 1
        log.error("broker.publish.failed", topic=record.topic(), error=error.str())

    def _on_transient_delivery(self, error: KafkaError | None, record: Any) -> None:
        if error is not None:
            log.warning("broker.publish.dropped", topic=record.topic(), error=error.str())

    def abandon_if_forked(self) -> bool:
        if self._pid == os.getpid():
            return False
        abandon(self._producer)
        return True


_lock = threading.Lock()
_publishers: dict[tuple[KafkaClients, str], Publisher] = {}
_committers: set[int] = set()


def shared_publisher(clients: KafkaClients, options: Options) -> Publisher:
    """The process's producer for this cluster (created on first use, again after fork)."""
    key = (clients, options.bootstrap_servers)
    with _lock:
        publisher = _publishers.get(key)
        if publisher is None or publisher.abandon_if_forked():
            publisher = Publisher(clients, options)
            _publishers[key] = publisher
        return publisher


def flush_all(timeout: float) -> int:
    """Deliver everything this process queued; the number of records still pending."""
    with _lock:
        publishers = [p for p in _publishers.values() if not p.abandon_if_forked()]
    return sum(publisher.flush(timeout) for publisher in publishers if publisher.pending())


def note_committer() -> None:
    """Record that this process commits consumed offsets (and so flushes before each commit)."""
    _committers.add(os.getpid())


def flush_after_task(timeout: float) -> int:
    """Flush in processes that run tasks but do not commit their offsets (prefork children).

    A process that commits flushes before every commit anyway; flushing there after each task
    would make every task wait a broker round trip for its own events.
    """
    if os.getpid() in _committers:
        return 0
    return flush_all(timeout)


def _forget_after_fork() -> None:
    global _lock
    _lock = threading.Lock()
    for publisher in _publishers.values():
        publisher.abandon_if_forked()
    _publishers.clear()


def _flush_at_exit() -> None:
    remaining = flush_all(10.0)
    if remaining:
        log.error("broker.publish.unflushed_at_exit", records=remaining)


os.register_at_fork(after_in_child=_forget_after_fork)
atexit.register(_flush_at_exit)
