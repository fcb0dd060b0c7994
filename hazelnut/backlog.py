"""How far behind each work queue is: unconsumed messages per queue (and per Kafka partition).

On Kafka a queue's backlog is its consumer group's lag (end offset minus committed offset, per
partition); on Redis it is the length of the queue's list. `sample()` also records the Kafka
lag in the `hazelnut_consumer_lag_messages` gauge; the beat runs it every 30 seconds through the
`hazelnut.backlog.sample` task, and `manage.py queues` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import redis
from django.conf import settings

from hazelnut import metrics
from hazelnut.broker.naming import Names
from hazelnut.queues import REGISTRY
from hazelnut.tasks import task

_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Backlog:
    queue: str
    topic: str
    partition: int | None  # None on Redis, which has no partitions
    messages: int


def measure() -> list[Backlog]:
    broker = str(settings.CELERY_BROKER_URL)
    if broker.startswith("kafka://"):
        return _kafka(broker)
    return _redis(broker)


def _kafka(broker: str) -> list[Backlog]:
    from confluent_kafka import Consumer, TopicPartition

    names = Names(settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("topic_prefix", ""))
    bootstrap = urlsplit(broker).netloc
    backlog: list[Backlog] = []
    for spec in REGISTRY.values():
        topic = names.queue(spec.queue.value)
        # A consumer that never subscribes only reads the group's committed offsets; it does
        # not join the group, so measuring never triggers a rebalance of the workers.
        reader = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": names.group(spec.queue.value),
                "enable.auto.commit": False,
            }
        )
        try:
            metadata = reader.list_topics(topic, timeout=_TIMEOUT_SECONDS).topics.get(topic)
            if metadata is None or metadata.error is not None:
                continue
            partitions = [TopicPartition(topic, number) for number in metadata.partitions]
            for committed in reader.committed(partitions, timeout=_TIMEOUT_SECONDS):
                low, high = reader.get_watermark_offsets(committed, timeout=_TIMEOUT_SECONDS)
                position = committed.offset if committed.offset >= 0 else low
                backlog.append(
                    Backlog(spec.queue.value, topic, committed.partition, max(0, high - position))
                )
        finally:
            reader.close()
    return backlog


def _redis(broker: str) -> list[Backlog]:
    parts = urlsplit(broker)
    if parts.scheme == "redis+socket":
        client = redis.Redis(unix_socket_path=parts.path, socket_timeout=_TIMEOUT_SECONDS)
    else:
        client = redis.Redis.from_url(broker, socket_timeout=_TIMEOUT_SECONDS)
    return [
        Backlog(spec.queue.value, spec.queue.value, None, int(client.llen(spec.queue.value)))
        for spec in REGISTRY.values()
    ]


def sample() -> list[Backlog]:
    backlog = measure()
    for row in backlog:
        if row.partition is not None:
            metrics.CONSUMER_LAG.labels(topic=row.topic, partition=str(row.partition)).set(
                row.messages
            )
    return backlog


@task("hazelnut.backlog.sample")
def sample_task() -> None:
    sample()
