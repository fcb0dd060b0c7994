"""Publishing ready-made kombu messages straight to a queue's topic, for request paths.

Celery's own publish path (routing, a repr of the arguments, kombu's producer pool and entity
declarations) costs a web request more than the rest of its work. A caller that builds its task
messages itself, once per shape, hands them here: the record is the one the channel would have
written (same value, key and headers), and a confirmed publish waits on the process's
`Confirmer` instead of polling the producer itself. Every failure surfaces as
`BrokerUnavailable`, so the caller has one exception to catch before its outbox write.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from confluent_kafka import KafkaException
from kombu import Connection

from hazelnut.broker import wire
from hazelnut.broker.confirmer import confirmer_for
from hazelnut.broker.errors import BrokerUnavailable, KafkaUnreachable
from hazelnut.broker.publisher import shared_publisher
from hazelnut.broker.transport import Transport


class DirectPublisher:
    def __init__(self, transport: Transport) -> None:
        publisher = shared_publisher(transport.clients, transport.options)
        self._outbound = transport.outbound
        self._publisher = publisher
        self._confirmer = confirmer_for(publisher)
        self.confirm_timeout_s = transport.options.confirm_timeout_s

    def publish(self, message: Mapping[str, Any], queue: str, confirm: bool = True) -> None:
        """Write `message` (laid out as kombu's `prepare_message` builds it) to `queue`.

        With `confirm`, return only once Kafka has stored it. The message may not carry an ETA:
        delayed tasks go through Celery, which diverts them to a delay topic.
        """
        if wire.eta_seconds(message) is not None:
            raise ValueError("a direct publish cannot carry an ETA")
        try:
            topic = self._outbound.queue_topic(queue)
            value, key, headers = wire.encode(message)
            if confirm:
                self._confirmer.send(topic, value, key, headers, self.confirm_timeout_s)
            else:
                self._publisher.send(topic, value, key, headers)
        except BrokerUnavailable:
            raise
        except (KafkaException, KafkaUnreachable, OSError) as exc:
            raise BrokerUnavailable(f"Kafka is unavailable: {exc}") from exc


def direct_publisher(connection: Connection) -> DirectPublisher | None:
    """A direct publisher over `connection`'s transport; None when that is not our Kafka one."""
    transport = connection.transport
    return DirectPublisher(transport) if isinstance(transport, Transport) else None
