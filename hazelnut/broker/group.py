"""A consumer-group member whose commits never run ahead of its acknowledgements.

Used for the work queues (group = queue name) and for the delay relay. Every fetched record is
tracked before it is handed out; commits are explicit per-partition offsets from the tracker,
taken synchronously on a timer and inside the revoke callback, and only after the process's
producer has flushed, so a task is never committed before the messages it published are stored.
Rebalancing is cooperative-sticky: only the partitions that move are revoked.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import structlog
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from hazelnut.broker.clients import ConsumerLike, KafkaClients, Record, abandon
from hazelnut.broker.errors import DeliveryFailed
from hazelnut.broker.options import Options
from hazelnut.broker.publisher import Publisher
from hazelnut.broker.tracker import CommitTracker, Ticket, TopicPartitionKey

log = structlog.get_logger(__name__)

Released = Callable[[list[TopicPartitionKey]], None]


def group_config(options: Options, group_id: str) -> dict[str, Any]:
    config: dict[str, Any] = {
        "bootstrap.servers": options.bootstrap_servers,
        "group.id": group_id,
        "client.id": f"hazelnut-{os.getpid()}",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "partition.assignment.strategy": "cooperative-sticky",
        "session.timeout.ms": options.session_timeout_ms,
        "heartbeat.interval.ms": options.heartbeat_interval_ms,
        "max.poll.interval.ms": options.max_poll_interval_ms,
        "topic.metadata.refresh.interval.ms": 30_000,
        # librdkafka's default read-ahead is 100k messages per partition; tasks are consumed far
        # slower than Kafka can serve them, so a smaller queue only saves memory.
        "queued.min.messages": 2_000,
    }
    config.update(options.consumer_config)
    return config


class GroupMember:
    def __init__(
        self,
        clients: KafkaClients,
        options: Options,
        publisher: Publisher,
        group_id: str,
        topics: Sequence[str],
        on_released: Released,
    ) -> None:
        self.group_id = group_id
        self.tracker = CommitTracker()
        self._options = options
        self._publisher = publisher
        self._on_released = on_released
        self._pid = os.getpid()
        self._topics = sorted(topics)
        self._paused = False
        self._failures_at_start = publisher.failures
        self._poisoned = False
        self._consumer: ConsumerLike = clients.consumer(group_config(options, group_id))
        self._subscribe()

    @property
    def topics(self) -> list[str]:
        return list(self._topics)

    @property
    def paused(self) -> bool:
        return self._paused

    def resubscribe(self, topics: Sequence[str]) -> None:
        if sorted(topics) != self._topics:
            self._topics = sorted(topics)
            self._subscribe()

    def fetch(self, limit: int, timeout: float) -> list[tuple[Record, Ticket]]:
        """Fetch up to `limit` records and track each one; errors are logged and skipped."""
        fetched: list[tuple[Record, Ticket]] = []
        for record in self._consumer.consume(limit, timeout):
            error = record.error()
            if error is not None:
                self._log_record_error(error)
                continue
            topic, partition, offset = record.topic(), record.partition(), record.offset()
            if topic is None or partition is None or offset is None:
                continue
            fetched.append((record, self.tracker.track(topic, partition, offset)))
        if self._paused and fetched:
            # Partitions assigned while paused arrive unpaused; pause them too.
            self._consumer.pause(self._consumer.assignment())
        return fetched

    def pause(self) -> None:
        if not self._paused:
            self._consumer.pause(self._consumer.assignment())
            self._paused = True

    def resume(self) -> None:
        if self._paused:
            self._consumer.resume(self._consumer.assignment())
            self._paused = False

    def pause_partitions(self, keys: list[TopicPartitionKey]) -> None:
        self._consumer.pause([TopicPartition(topic, partition) for topic, partition in keys])

    def resume_partitions(self, keys: list[TopicPartitionKey]) -> None:
        self._consumer.resume([TopicPartition(topic, partition) for topic, partition in keys])

    def commit(self) -> bool:
        """Commit every partition's contiguous acknowledged prefix; False if it had to wait.

        Raises DeliveryFailed once a task message published from this process was lost: the
        acknowledged work that published it must run again, so nothing may be committed and
        the connection has to start over from the last good commit.
        """
        done = self._commit(self.tracker.committable())
        if self._poisoned:
            raise DeliveryFailed(
                "Kafka refused a message this worker published; consumption restarts from "
                "the last commit so the tasks that sent it run again"
            )
        return done

    def close(self) -> None:
        if self._pid != os.getpid():
            abandon(self._consumer)
            return
        self._commit(self.tracker.committable())
        # close() revokes what is still assigned, which commits once more via _on_revoke.
        self._consumer.close()

    def _subscribe(self) -> None:
        self._consumer.subscribe(
            list(self._topics),
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_lost,
        )

    def _commit(self, positions: dict[TopicPartitionKey, int]) -> bool:
        if not positions:
            return True
        if self._poisoned:
            return False
        undelivered = self._publisher.flush(self._options.commit_flush_timeout_s)
        if undelivered:
            log.warning("broker.commit.deferred", group=self.group_id, undelivered=undelivered)
            return False
        if self._publisher.failures != self._failures_at_start:
            self._poisoned = True
            log.error("broker.commit.stopped", group=self.group_id)
            return False
        offsets = [TopicPartition(t, p, offset) for (t, p), offset in positions.items()]
        try:
            self._consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            log.warning("broker.commit.failed", group=self.group_id, error=str(exc))
            return False
        self.tracker.mark_committed(positions)
        return True

    def _on_assign(self, _consumer: Any, partitions: list[TopicPartition]) -> None:
        log.info(
            "broker.partitions.assigned",
            group=self.group_id,
            count=len(partitions),
            topics=sorted({tp.topic for tp in partitions}),
        )

    def _on_revoke(self, _consumer: Any, partitions: list[TopicPartition]) -> None:
        # tasks still running on a revoked partition are not waited for; the new owner runs them
        # again (at-least-once, tasks are idempotent).
        # Limit: tasks running on a revoked partition are not awaited; the new owner reruns them.
        keys = [(tp.topic, tp.partition) for tp in partitions]
        self._commit(self.tracker.release(keys))
        self._on_released(keys)
        log.info("broker.partitions.revoked", group=self.group_id, count=len(partitions))

    def _on_lost(self, _consumer: Any, partitions: list[TopicPartition]) -> None:
        keys = [(tp.topic, tp.partition) for tp in partitions]
        self.tracker.release(keys)
        self._on_released(keys)
        log.warning("broker.partitions.lost", group=self.group_id, count=len(partitions))

    def _log_record_error(self, error: KafkaError) -> None:
        if error.code() == KafkaError._PARTITION_EOF:
            return
        log.warning("broker.fetch.error", group=self.group_id, error=error.str())
