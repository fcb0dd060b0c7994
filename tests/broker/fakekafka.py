"""An in-memory Kafka cluster behind the transport's `KafkaClients` seam, for unit tests.

It models what the transport relies on and nothing more: partitioned append-only logs, key-based
partitioning, committed offsets per group, group membership with cooperative (incremental)
rebalances, manual assignment, pause/resume, watermarks, and delivery reports that are only
served by poll/flush. `crash()` drops a member the way kill -9 does: no revoke, no commit.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import TIMESTAMP_CREATE_TIME, KafkaError, TopicPartition

from hazelnut.broker.options import TopicSpec

Key = tuple[str, int]


@dataclass
class FakeRecord:
    _topic: str
    _partition: int
    _offset: int
    _key: bytes | None
    _value: bytes | None
    _headers: list[tuple[str, Any]] | None
    _timestamp_ms: int

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes | None:
        return self._value

    def headers(self) -> list[tuple[str, Any]] | None:
        return list(self._headers) if self._headers else None

    def error(self) -> KafkaError | None:
        return None

    def timestamp(self) -> tuple[int, int]:
        return TIMESTAMP_CREATE_TIME, self._timestamp_ms


@dataclass
class FakeCluster:
    topics: dict[str, list[list[FakeRecord]]] = field(default_factory=dict)
    committed: dict[tuple[str, str, int], int] = field(default_factory=dict)
    members: dict[str, list[FakeConsumer]] = field(default_factory=dict)
    specs: dict[str, TopicSpec] = field(default_factory=dict)
    down: bool = False
    refuse: set[str] = field(default_factory=set)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def create(self, name: str, spec: TopicSpec) -> None:
        with self.lock:
            if name not in self.topics:
                self.topics[name] = [[] for _ in range(spec.partitions)]
                self.specs[name] = spec

    def append(self, topic: str, key: bytes | None, value: bytes | None, headers: Any) -> None:
        with self.lock:
            partitions = self.topics[topic]
            if key is None:
                index = min(range(len(partitions)), key=lambda p: len(partitions[p]))
            else:
                index = zlib.crc32(key) % len(partitions)
            log = partitions[index]
            log.append(
                FakeRecord(
                    topic, index, len(log), key, value, list(headers or []), int(time.time() * 1000)
                )
            )

    def records(self, topic: str) -> list[FakeRecord]:
        with self.lock:
            return [record for log in self.topics.get(topic, []) for record in log]

    def rebalance(self, group: str) -> None:
        """Spread the group's partitions round-robin; members apply it on their next consume."""
        with self.lock:
            members = self.members.get(group, [])
            topics = sorted({topic for member in members for topic in member.subscription})
            keys = [(t, p) for t in topics if t in self.topics for p in range(len(self.topics[t]))]
            for member in members:
                member.target = set()
            for index, key in enumerate(keys):
                if members:
                    members[index % len(members)].target.add(key)


class FakeProducer:
    def __init__(self, cluster: FakeCluster, config: Mapping[str, Any]) -> None:
        self._cluster = cluster
        self._default_callback = config.get("on_delivery")
        self._queue: list[tuple[str, bytes | None, bytes | None, Any, Any]] = []
        self._lock = threading.Lock()

    def produce(
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        partition: int = -1,
        callback: Any = None,
        on_delivery: Any = None,
        timestamp: int = 0,
        headers: Any = None,
    ) -> None:
        with self._lock:
            self._queue.append((topic, key, value, headers, on_delivery or callback))

    def poll(self, timeout: float = -1) -> int:
        served = self._serve()
        if not served and timeout and timeout > 0:
            time.sleep(min(timeout, 0.005))
        return served

    def flush(self, timeout: float = -1) -> int:
        deadline = time.monotonic() + (timeout if timeout >= 0 else 3600)
        while True:
            self._serve()
            if not self._queue or time.monotonic() >= deadline:
                return len(self._queue)
            time.sleep(0.005)

    def __len__(self) -> int:
        return len(self._queue)

    def _serve(self) -> int:
        if self._cluster.down:
            return 0
        with self._lock:
            batch, self._queue = self._queue, []
        for topic, key, value, headers, callback in batch:
            error = None
            if topic in self._cluster.refuse:
                error = KafkaError(KafkaError._MSG_TIMED_OUT)
            else:
                self._cluster.append(topic, key, value, headers)
            report = callback or self._default_callback
            if report is not None:
                report(error, FakeRecord(topic, -1, -1, key, value, headers, 0))
        return len(batch)


class FakeConsumer:
    def __init__(self, cluster: FakeCluster, config: Mapping[str, Any]) -> None:
        self.cluster = cluster
        self.group = str(config["group.id"])
        self.subscription: list[str] = []
        self.target: set[Key] = set()
        self.assigned: dict[Key, int] = {}
        self.paused: set[Key] = set()
        self.closed = False
        self._callbacks: dict[str, Any] = {}

    # Group membership ------------------------------------------------------------------------

    def subscribe(
        self, topics: list[str], on_assign: Any = None, on_revoke: Any = None, on_lost: Any = None
    ) -> None:
        self.subscription = list(topics)
        self._callbacks = {"assign": on_assign, "revoke": on_revoke, "lost": on_lost}
        with self.cluster.lock:
            members = self.cluster.members.setdefault(self.group, [])
            if self not in members:
                members.append(self)
            self.cluster.rebalance(self.group)

    def close(self) -> None:
        if self.closed:
            return
        if self.subscription:
            self._apply(set())
        self._leave()
        self.closed = True

    def crash(self) -> None:
        """Vanish like a SIGKILLed process: no revoke callback, no commit."""
        self.assigned.clear()
        self._leave()
        self.closed = True

    def _leave(self) -> None:
        with self.cluster.lock:
            members = self.cluster.members.get(self.group, [])
            if self in members:
                members.remove(self)
                self.cluster.rebalance(self.group)

    def _apply(self, target: set[Key]) -> None:
        revoked = [key for key in self.assigned if key not in target]
        added = [key for key in target if key not in self.assigned]
        if revoked:
            if self._callbacks.get("revoke"):
                self._callbacks["revoke"](self, [TopicPartition(t, p) for t, p in revoked])
            for key in revoked:
                self.assigned.pop(key, None)
                self.paused.discard(key)
        if added:
            for topic, partition in added:
                start = self.cluster.committed.get((self.group, topic, partition), 0)
                self.assigned[(topic, partition)] = start
            if self._callbacks.get("assign"):
                self._callbacks["assign"](self, [TopicPartition(t, p) for t, p in added])

    # Manual assignment -----------------------------------------------------------------------

    def incremental_assign(self, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            self.assigned[(tp.topic, tp.partition)] = max(tp.offset, 0)

    def incremental_unassign(self, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            self.assigned.pop((tp.topic, tp.partition), None)

    def assignment(self) -> list[TopicPartition]:
        return [TopicPartition(t, p) for t, p in self.assigned]

    def pause(self, partitions: list[TopicPartition]) -> None:
        self.paused.update((tp.topic, tp.partition) for tp in partitions)

    def resume(self, partitions: list[TopicPartition]) -> None:
        self.paused.difference_update((tp.topic, tp.partition) for tp in partitions)

    # Reading ---------------------------------------------------------------------------------

    def consume(self, num_messages: int = 1, timeout: float = -1) -> Sequence[FakeRecord]:
        if self.subscription and self.target != set(self.assigned):
            self._apply(set(self.target))
        batch = self._take(num_messages)
        if not batch and timeout and timeout > 0:
            time.sleep(min(timeout, 0.005))
            batch = self._take(num_messages)
        return batch

    def _take(self, limit: int) -> list[FakeRecord]:
        batch: list[FakeRecord] = []
        with self.cluster.lock:
            for key, position in list(self.assigned.items()):
                if key in self.paused:
                    continue
                log = self.cluster.topics.get(key[0], [])
                if key[1] >= len(log):
                    continue
                records = log[key[1]][position : position + (limit - len(batch))]
                batch.extend(records)
                self.assigned[key] = position + len(records)
                if len(batch) >= limit:
                    break
        return batch

    def commit(self, *, offsets: list[TopicPartition], asynchronous: bool = True) -> list[Any]:
        with self.cluster.lock:
            for tp in offsets:
                self.cluster.committed[(self.group, tp.topic, tp.partition)] = tp.offset
        return offsets

    def get_watermark_offsets(
        self, partition: TopicPartition, timeout: float = -1, cached: bool = False
    ) -> tuple[int, int]:
        with self.cluster.lock:
            return 0, len(self.cluster.topics[partition.topic][partition.partition])


class FakeClients:
    def __init__(self, cluster: FakeCluster | None = None) -> None:
        self.cluster = cluster or FakeCluster()
        self.consumers: list[FakeConsumer] = []

    def producer(self, config: dict[str, Any]) -> FakeProducer:
        return FakeProducer(self.cluster, config)

    def consumer(self, config: dict[str, Any]) -> FakeConsumer:
        consumer = FakeConsumer(self.cluster, config)
        self.consumers.append(consumer)
        return consumer

    def ensure_topics(
        self, bootstrap: str, topics: Mapping[str, TopicSpec], replication: int, timeout: float
    ) -> None:
        for name, spec in topics.items():
            self.cluster.create(name, spec)

    def partitions(self, bootstrap: str, topic: str, timeout: float) -> int | None:
        log = self.cluster.topics.get(topic)
        return len(log) if log is not None else None

    def reachable(self, bootstrap: str, timeout: float) -> bool:
        return not self.cluster.down
