"""The spool's consumer: Kafka -> batch -> warehouse insert -> offset commit, in that order.

Rows go into the target warehouse's batch writer as they arrive; every `flush_seconds` (or once a
table's buffer is full) everything is inserted and only then are the consumed offsets committed.
A crash between the two redelivers the messages: reports count distinct rows, so the repeats
are harmless. A failed insert stops the sink without committing; it is restarted by whatever
supervises it (Procfile, systemd) and resumes from the last commit.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import structlog

from hazelnut.warehouse import codec
from hazelnut.warehouse.base import Warehouse

log = structlog.get_logger(__name__)


@dataclass
class SinkStats:
    messages: int = 0
    rows: int = 0
    commits: int = 0


class Sink:
    def __init__(self, target: Warehouse, consumer: Any, *, flush_seconds: float) -> None:
        self.target = target
        self.consumer = consumer
        self.flush_seconds = flush_seconds
        self.stats = SinkStats()
        self._uncommitted = False
        self._last_commit = time.monotonic()

    def run(
        self,
        stop: threading.Event,
        *,
        idle_exit_seconds: float | None = None,
        stop_after_rows: int | None = None,
    ) -> SinkStats:
        """Consume until `stop` is set, nothing arrived for `idle_exit_seconds`, or (tests,
        benchmarks) `stop_after_rows` rows were committed."""
        idle_since = time.monotonic()
        while not stop.is_set():
            if stop_after_rows is not None and self.stats.rows >= stop_after_rows:
                break
            messages = self.consumer.consume(num_messages=1000, timeout=0.2)
            if messages:
                idle_since = time.monotonic()
            self._take(messages)
            if self._due():
                self.commit()
            if idle_exit_seconds is not None and time.monotonic() - idle_since > idle_exit_seconds:
                break
        self.commit()
        return self.stats

    def _take(self, messages: list[Any]) -> None:
        for message in messages:
            if message.error() is not None:
                log.warning("warehouse.sink.message_error", error=str(message.error()))
                continue
            table, rows = codec.decode(message.value())
            self.target.writer.add(table, rows)
            self.stats.messages += 1
            self.stats.rows += len(rows)
            self._uncommitted = True

    def _due(self) -> bool:
        waited = time.monotonic() - self._last_commit >= self.flush_seconds
        full = self.target.writer.pending() >= self.target.writer.flush_rows
        return self._uncommitted and (waited or full)

    def commit(self) -> None:
        """Insert everything taken so far, then commit the offsets of what was taken."""
        if not self._uncommitted:
            return
        self.target.flush()  # raises (and so skips the commit) if the insert failed
        self.consumer.commit(asynchronous=False)
        self.stats.commits += 1
        self._uncommitted = False
        self._last_commit = time.monotonic()


def consumer_for(bootstrap: str, topic: str, group: str) -> Any:
    from confluent_kafka import Consumer

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "enable.partition.eof": False,
        }
    )
    consumer.subscribe([topic])
    return consumer


def ensure_topic(
    bootstrap: str, topic: str, partitions: int, retention_ms: int | None = None
) -> None:
    """Create `topic` unless it exists (an existing one keeps its partitions and retention)."""
    from confluent_kafka.admin import AdminClient
    from confluent_kafka.cimpl import NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    if topic in admin.list_topics(timeout=10).topics:
        return
    config = {} if retention_ms is None else {"retention.ms": str(retention_ms)}
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, config=config)])
    for future in futures.values():
        try:
            future.result(timeout=30)
        except Exception as error:
            if "TOPIC_ALREADY_EXISTS" not in str(error):
                raise
