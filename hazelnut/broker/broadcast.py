"""A group-less reader of exchange topics, for queues that live as long as one consumer.

Celery's event receivers, each worker's pidbox queue and every `inspect` reply queue are
auto-delete queues: they must see what is published after they were bound, never what came
before, and must not leave consumer groups behind. So the reader joins no group, assigns the
exchange topic's partitions itself at the offsets that were the end when the queue was bound
(resolved synchronously, so a reply sent right after the bind cannot slip past), and never
commits. Skipping the group also skips the join and rebalance delay that would outlast
`celery inspect`'s one-second timeout.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from time import monotonic, sleep
from typing import Any

from confluent_kafka import KafkaException, TopicPartition

from hazelnut.broker.clients import ConsumerLike, KafkaClients, Record, abandon
from hazelnut.broker.options import Options
from hazelnut.broker.tracker import TopicPartitionKey

_WATERMARK_RETRY_S = 0.05


class BroadcastReader:
    def __init__(self, clients: KafkaClients, options: Options) -> None:
        config: dict[str, Any] = {
            "bootstrap.servers": options.bootstrap_servers,
            # librdkafka wants a group id even for manual assignment; it is never joined.
            "group.id": f"hazelnut-broadcast-{uuid.uuid4().hex}",
            "client.id": f"hazelnut-{os.getpid()}",
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": "latest",
            "fetch.wait.max.ms": 100,
        }
        config.update(options.consumer_config)
        self._options = options
        self._pid = os.getpid()
        self._consumer: ConsumerLike = clients.consumer(config)
        self._assigned: set[TopicPartitionKey] = set()

    def watch(self, topic: str, partitions: int) -> dict[int, int]:
        """Read `topic` from now on; return each partition's end offset at this moment."""
        ends = {partition: self._end_offset(topic, partition) for partition in range(partitions)}
        fresh = [
            TopicPartition(topic, partition, offset)
            for partition, offset in ends.items()
            if (topic, partition) not in self._assigned
        ]
        if fresh:
            self._consumer.incremental_assign(fresh)
            self._assigned.update((tp.topic, tp.partition) for tp in fresh)
        return ends

    def unwatch(self, topic: str) -> None:
        gone = [TopicPartition(t, p) for t, p in self._assigned if t == topic]
        if gone:
            self._consumer.incremental_unassign(gone)
            self._assigned.difference_update((tp.topic, tp.partition) for tp in gone)

    def watching(self) -> bool:
        return bool(self._assigned)

    def fetch(self, limit: int, timeout: float) -> Sequence[Record]:
        # Errors here are transient fetch conditions (end of partition, a leader moving);
        # librdkafka retries them itself.
        return [
            record for record in self._consumer.consume(limit, timeout) if record.error() is None
        ]

    def close(self) -> None:
        if self._pid != os.getpid():
            abandon(self._consumer)
            return
        self._consumer.close()

    def _end_offset(self, topic: str, partition: int) -> int:
        deadline = monotonic() + self._options.connect_timeout_s
        while True:
            try:
                _low, high = self._consumer.get_watermark_offsets(
                    TopicPartition(topic, partition),
                    timeout=self._options.connect_timeout_s,
                    cached=False,
                )
                return high
            except KafkaException:
                # A topic created a moment ago may not have a leader in metadata yet.
                if monotonic() >= deadline:
                    raise
                sleep(_WATERMARK_RETRY_S)
