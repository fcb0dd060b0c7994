"""The registry of every Celery queue (and so every Kafka work topic) and every other topic.

Call sites name a queue through `Queue` and a plain Kafka topic (one that carries no Celery tasks)
through `Topic`, never a string, so the partitions, retention, producer and consumer of each topic
are written down once, here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hazelnut.broker.naming import Names

_HOUR_MS = 3_600_000
_DAY_MS = 24 * _HOUR_MS


class Queue(StrEnum):
    CLICKS = "clicks"
    ATTRIBUTION = "attribution"
    EVENTS = "events"
    POSTBACKS = "postbacks"
    ANALYTICS = "analytics"
    MAINTENANCE = "maintenance"


@dataclass(frozen=True)
class QueueSpec:
    queue: Queue
    partitions: int
    retention_ms: int
    producer: str
    consumer: str
    # Dotted task-name prefixes routed to this queue.
    task_prefixes: tuple[str, ...]


REGISTRY: dict[Queue, QueueSpec] = {
    spec.queue: spec
    for spec in (
        QueueSpec(
            Queue.CLICKS,
            12,
            7 * _DAY_MS,
            "ingest: campaign links, web collector",
            "attribution click pipeline",
            ("attribution.clicks.",),
        ),
        QueueSpec(
            Queue.ATTRIBUTION,
            12,
            7 * _DAY_MS,
            "ingest: SDK init, handle-deeplink",
            "attribution chain",
            ("attribution.installs.", "attribution.strategies."),
        ),
        QueueSpec(
            Queue.EVENTS,
            12,
            7 * _DAY_MS,
            "ingest: trigger, capture-event, capture-payment, S2S",
            "event handling",
            ("attribution.events.",),
        ),
        QueueSpec(
            Queue.POSTBACKS,
            12,
            7 * _DAY_MS,
            "attribution and event handling",
            "one task per postback delivery",
            ("postbacks.",),
        ),
        QueueSpec(
            Queue.ANALYTICS,
            12,
            7 * _DAY_MS,
            "attribution and event handling",
            "one task per analytics platform",
            ("analytics.",),
        ),
        QueueSpec(
            Queue.MAINTENANCE,
            3,
            1 * _DAY_MS,
            "schedulers and operators",
            "outbox relay, warehouse flushes, replays, attribution sweep",
            ("ingest.outbox.", "hazelnut.", "attribution.sweep."),
        ),
    )
}


class Topic(StrEnum):
    WAREHOUSE_ROWS = "hazelnut.warehouse.rows"


@dataclass(frozen=True)
class TopicSpec:
    topic: Topic
    partitions: int
    retention_ms: int
    producer: str
    consumer: str
    # The consumer group reading the topic (before the deployment's prefix).
    group: str

    def name(self, prefix: str) -> str:
        """The topic's name under HAZELNUT_TOPIC_PREFIX, as the Kafka transport names queues."""
        return Names(prefix).queue(self.topic.value)

    def group_name(self, prefix: str) -> str:
        return Names(prefix).group(self.group)


TOPICS: dict[Topic, TopicSpec] = {
    spec.topic: spec
    for spec in (
        TopicSpec(
            Topic.WAREHOUSE_ROWS,
            6,
            # Rows wait here while the sink is down; as long as the work topics keep their tasks.
            7 * _DAY_MS,
            "warehouse writes of workers with WAREHOUSE_SPOOL on (hazelnut/warehouse/spool.py)",
            "manage.py warehouse_sink: batched inserts into the warehouse",
            "hazelnut-warehouse-sink",
        ),
    )
}


def task_routes() -> dict[str, dict[str, str]]:
    """Celery `task_routes`: each registered prefix to its queue."""
    return {
        f"{prefix}*": {"queue": spec.queue.value}
        for spec in REGISTRY.values()
        for prefix in spec.task_prefixes
    }


def broker_topic_options() -> dict[str, Any]:
    """Kafka transport options: the partitions and retention of every work topic."""
    return {
        "topics": {
            spec.queue.value: {"partitions": spec.partitions, "retention_ms": spec.retention_ms}
            for spec in REGISTRY.values()
        },
    }
