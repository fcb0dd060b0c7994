"""Where a published kombu message goes in Kafka.

The anonymous exchange (Celery's route for every direct queue) writes to the queue's topic, and
so does a direct exchange named after its own queue with that name as routing key (Celery's
auto-created queues). Any other named exchange writes to its exchange topic with the routing key
in a header, for the binding filters of whoever reads it. A task with an ETA far enough ahead is
diverted to a delay tier. The Kafka key comes from the message's `kafka_key` property.
"""

from __future__ import annotations

from collections.abc import Mapping
from time import time
from typing import Any

from hazelnut.broker import wire
from hazelnut.broker.delay import delayed_route
from hazelnut.broker.naming import Names
from hazelnut.broker.options import Options
from hazelnut.broker.publisher import Publisher
from hazelnut.broker.topics import TopicRegistry


def is_identity_binding(queue: str, exchange: str, exchange_type: str, routing_key: str) -> bool:
    # a second queue bound to a direct exchange under the first queue's own name does not get those
    # messages (they go to the first queue's topic only); Celery never binds that way.
    # Limit: a second queue bound under the first queue's own name misses its messages.
    return exchange_type == "direct" and exchange == queue and routing_key == queue


class Outbound:
    def __init__(
        self, names: Names, options: Options, publisher: Publisher, registry: TopicRegistry
    ) -> None:
        self._names = names
        self._options = options
        self._publisher = publisher
        self._registry = registry
        self._exchange_topics: dict[str, str] = {}
        self._queue_topics: dict[str, str] = {}

    def publish(
        self,
        message: Mapping[str, Any],
        exchange: str,
        exchange_type: str,
        routing_key: str,
        confirm_timeout: float | None,
    ) -> None:
        value, key, headers = wire.encode(message)
        if not exchange or is_identity_binding(routing_key, exchange, exchange_type, routing_key):
            # anonymous publishes to an auto-delete queue (no topic of its own) are not delivered,
            # so the rpc:// result backend does not work; events, pidbox and task queues never
            # publish that way.
            # Limit: anonymous publishes to an auto-delete queue are dropped (no rpc:// backend).
            topic = self.queue_topic(routing_key)
            eta = wire.eta_seconds(message)
            route = (
                None
                if eta is None
                else delayed_route(self._names, self._options, topic, eta, time())
            )
            if route is not None:
                topic, extra = route
                self._registry.ensure({topic: self._options.delay_spec()})
                headers.extend(extra)
            durable = True
        else:
            topic = self._exchange_topic(exchange)
            headers.append((wire.ROUTING_KEY, routing_key.encode("utf-8")))
            # a durable queue bound to a named exchange is fed from that exchange topic, yet its
            # publishes count as transient (events and pidbox traffic dominate there), and an ETA on
            # such a publish is not diverted to a delay topic.
            # Limit: durable-queue publishes via a named exchange are transient, with no ETA delay.
            durable = False
        self._publisher.send(topic, value, key, headers, confirm_timeout, durable)

    def _exchange_topic(self, exchange: str) -> str:
        # Events go out several times per task: resolve and create each topic once.
        topic = self._exchange_topics.get(exchange)
        if topic is None:
            topic = self._names.exchange(exchange)
            self._registry.ensure({topic: self._options.exchange_spec(exchange)})
            self._exchange_topics[exchange] = topic
        return topic

    def queue_topic(self, queue: str) -> str:
        """The work topic of `queue`, created with its retry topic on first use."""
        topic = self._queue_topics.get(queue)
        if topic is None:
            topic = self._names.queue(queue)
            self._registry.ensure(
                {
                    topic: self._options.queue_spec(queue),
                    self._names.retry(queue): self._options.retry_spec(queue),
                }
            )
            self._queue_topics[queue] = topic
        return topic
