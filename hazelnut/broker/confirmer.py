"""Waiting for Kafka's acknowledgement of one record without polling the producer per caller.

A web request that must not answer before its task is stored hands the record to the process's
`Confirmer` and sleeps on its own event. One daemon thread serves the shared producer's delivery
reports while any such record is outstanding, so concurrent requests share librdkafka's batches
and broker round trips instead of each polling (and each missing the reports another caller's
poll served). The thread sleeps whenever nothing is outstanding.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from confluent_kafka import KafkaError

from hazelnut.broker.errors import BrokerUnavailable
from hazelnut.broker.publisher import Publisher
from hazelnut.broker.wire import Headers

# How long one poll may block; a report wakes it at once, so this only bounds idle polling.
_SERVE_SLICE_S = 0.05


class Confirmer:
    def __init__(self, publisher: Publisher) -> None:
        self._publisher = publisher
        self._lock = threading.Lock()
        self._outstanding = 0
        self._wake = threading.Event()
        thread = threading.Thread(target=self._serve, name="hz-broker-confirmer", daemon=True)
        thread.start()

    def send(
        self, topic: str, value: bytes, key: bytes | None, headers: Headers, timeout: float
    ) -> None:
        """Produce one record and return once Kafka has stored it; else `BrokerUnavailable`."""
        done = threading.Event()
        outcome: list[KafkaError | None] = []

        def on_delivery(error: KafkaError | None, _record: Any) -> None:
            outcome.append(error)
            done.set()

        self._publisher.submit(topic, value, key, headers, on_delivery, timeout)
        with self._lock:
            self._outstanding += 1
        self._wake.set()
        try:
            acknowledged = done.wait(timeout)
        finally:
            with self._lock:
                self._outstanding -= 1
        if not acknowledged:
            raise BrokerUnavailable(f"Kafka did not acknowledge a record for {topic} in {timeout}s")
        if outcome[0] is not None:
            raise BrokerUnavailable(f"Kafka refused a record for {topic}: {outcome[0].str()}")

    def _serve(self) -> None:
        while True:
            self._wake.wait()
            self._publisher.serve(_SERVE_SLICE_S)
            with self._lock:
                # Cleared under the lock: a sender counts itself in before it sets the event.
                if not self._outstanding:
                    self._wake.clear()


_lock = threading.Lock()
_confirmers: dict[Publisher, Confirmer] = {}


def confirmer_for(publisher: Publisher) -> Confirmer:
    """The confirmer of `publisher` (one per producer, and so one serving thread per process)."""
    with _lock:
        confirmer = _confirmers.get(publisher)
        if confirmer is None:
            confirmer = Confirmer(publisher)
            _confirmers[publisher] = confirmer
        return confirmer


def _forget_after_fork() -> None:
    # The serving thread did not survive the fork, and the producer it served was the parent's.
    global _lock
    _lock = threading.Lock()
    _confirmers.clear()


os.register_at_fork(after_in_child=_forget_after_fork)
