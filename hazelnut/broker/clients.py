"""The seam between the transport and a Kafka client library.

The transport only talks to the small protocols below; `ConfluentClients` backs them with
confluent-kafka (librdkafka), and the unit tests back them with an in-memory cluster. Admin work
is exposed as the two questions the transport actually asks (make sure these topics exist; how
many partitions does this topic have) rather than as an AdminClient look-alike.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from time import monotonic, sleep
from typing import Any, Literal, Protocol

import structlog
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec
from confluent_kafka.cimpl import Message, NewTopic

from hazelnut.broker.options import TopicSpec

log = structlog.get_logger(__name__)
# librdkafka's own messages (connection refused, leader moved...) go through stdlib logging, so
# they reach the same handlers as everything else instead of raw stderr. They are served on
# poll/consume, which producers and consumers here call all the time.
_LIBRDKAFKA_LOG = logging.getLogger("hazelnut.broker.librdkafka")
_ONLINE_POLL_S = 0.1

HeaderPairs = dict[str, str | bytes | None] | list[tuple[str, str | bytes | None]]
DeliveryCallback = Callable[[KafkaError | None, Message], None]
RebalanceCallback = Callable[[Any, list[TopicPartition]], None]


class Record(Protocol):
    def topic(self) -> str | None: ...
    def partition(self) -> int | None: ...
    def offset(self) -> int | None: ...
    def key(self) -> bytes | None: ...
    def value(self) -> bytes | None: ...
    def headers(self) -> HeaderPairs | None: ...
    def error(self) -> KafkaError | None: ...
    def timestamp(self) -> tuple[int, int]: ...


class ProducerLike(Protocol):
    def produce(
        self,
        topic: str,
        value: str | bytes | None = None,
        key: str | bytes | None = None,
        partition: int = -1,
        callback: DeliveryCallback | None = None,
        on_delivery: DeliveryCallback | None = None,
        timestamp: int = 0,
        headers: HeaderPairs | None = None,
    ) -> None: ...
    def poll(self, timeout: float = -1) -> int: ...
    def flush(self, timeout: float = -1) -> int: ...
    def __len__(self) -> int: ...


class ConsumerLike(Protocol):
    def subscribe(
        self,
        topics: list[str],
        on_assign: RebalanceCallback | None = None,
        on_revoke: RebalanceCallback | None = None,
        on_lost: RebalanceCallback | None = None,
    ) -> None: ...
    def consume(self, num_messages: int = 1, timeout: float = -1) -> Sequence[Record]: ...
    def incremental_assign(self, partitions: list[TopicPartition]) -> None: ...
    def incremental_unassign(self, partitions: list[TopicPartition]) -> None: ...
    def assignment(self) -> list[TopicPartition]: ...
    def pause(self, partitions: list[TopicPartition]) -> None: ...
    def resume(self, partitions: list[TopicPartition]) -> None: ...
    def commit(
        self, *, offsets: list[TopicPartition], asynchronous: Literal[False]
    ) -> list[TopicPartition]: ...
    def get_watermark_offsets(
        self, partition: TopicPartition, timeout: float = -1, cached: bool = False
    ) -> tuple[int, int]: ...
    def close(self) -> None: ...


class KafkaClients(Protocol):
    """Factory for the clients of one cluster, plus the two admin questions."""

    def producer(self, config: dict[str, Any]) -> ProducerLike: ...
    def consumer(self, config: dict[str, Any]) -> ConsumerLike: ...
    def ensure_topics(
        self, bootstrap: str, topics: Mapping[str, TopicSpec], replication: int, timeout: float
    ) -> None: ...
    def partitions(self, bootstrap: str, topic: str, timeout: float) -> int | None: ...
    def reachable(self, bootstrap: str, timeout: float) -> bool: ...


class ConfluentClients:
    """confluent-kafka behind the `KafkaClients` protocol; one AdminClient per cluster."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._admins: dict[str, AdminClient] = {}

    def producer(self, config: dict[str, Any]) -> ProducerLike:
        return Producer({"logger": _LIBRDKAFKA_LOG, **config})

    def consumer(self, config: dict[str, Any]) -> ConsumerLike:
        return Consumer({"logger": _LIBRDKAFKA_LOG, **config})

    def ensure_topics(
        self, bootstrap: str, topics: Mapping[str, TopicSpec], replication: int, timeout: float
    ) -> None:
        if not topics:
            return
        requests = [
            NewTopic(
                name,
                num_partitions=spec.partitions,
                replication_factor=replication,
                config=spec.broker_config(),
            )
            for name, spec in topics.items()
        ]
        futures = self._admin(bootstrap).create_topics(
            requests, operation_timeout=timeout, request_timeout=timeout
        )
        for name, future in futures.items():
            try:
                future.result(timeout=timeout)
            except KafkaException as exc:
                error = exc.args[0] if exc.args else None
                if (
                    isinstance(error, KafkaError)
                    and error.code() == KafkaError.TOPIC_ALREADY_EXISTS
                ):
                    continue
                log.error("broker.topic.create_failed", topic=name, error=str(exc))
                raise
        self._wait_online(bootstrap, topics, timeout)

    def _wait_online(self, bootstrap: str, topics: Iterable[str], timeout: float) -> None:
        """Return once every partition of `topics` answers a ListOffsets on its leader.

        CreateTopics succeeds when the controller has recorded the topic, which can be seconds
        before a busy broker has loaded the partitions' logs; records produced into that window
        went missing in the kill -9 test although the producer saw them acknowledged.
        """
        admin = self._admin(bootstrap)
        deadline = monotonic() + timeout
        waiting = set(topics)
        while waiting:
            for name in list(waiting):
                described = admin.list_topics(name, timeout=timeout).topics.get(name)
                if described is None or described.error is not None or not described.partitions:
                    continue
                earliest = OffsetSpec.earliest()  # type: ignore[no-untyped-call]
                probes = {TopicPartition(name, p): earliest for p in described.partitions}
                answers = admin.list_offsets(probes, request_timeout=timeout)
                if all(_answered(answer, timeout) for answer in answers.values()):
                    waiting.discard(name)
            if not waiting:
                return
            if monotonic() >= deadline:
                raise KafkaException(
                    KafkaError(KafkaError._TIMED_OUT, f"topics not online: {sorted(waiting)}")
                )
            sleep(_ONLINE_POLL_S)

    def partitions(self, bootstrap: str, topic: str, timeout: float) -> int | None:
        metadata = self._admin(bootstrap).list_topics(topic, timeout=timeout)
        described = metadata.topics.get(topic)
        if described is None or described.error is not None:
            return None
        return len(described.partitions)

    def reachable(self, bootstrap: str, timeout: float) -> bool:
        try:
            self._admin(bootstrap).list_topics(timeout=timeout)
        except KafkaException:
            return False
        return True

    def _admin(self, bootstrap: str) -> AdminClient:
        with self._lock:
            admin = self._admins.get(bootstrap)
            if admin is None:
                admin = AdminClient({"bootstrap.servers": bootstrap})
                self._admins[bootstrap] = admin
            return admin

    def forget(self) -> None:
        """Drop handles inherited over fork() without destroying them (their threads are gone)."""
        with self._lock:
            _ABANDONED.extend(self._admins.values())
            self._admins = {}


# librdkafka handles copied into a forked child must never be destroyed there: destruction
# joins threads that only exist in the parent and hangs. Keeping a reference prevents it.
_ABANDONED: list[object] = []


def abandon(handle: object) -> None:
    _ABANDONED.append(handle)


def _answered(answer: Any, timeout: float) -> bool:
    try:
        answer.result(timeout=timeout)
    except KafkaException:
        return False
    return True
