"""Hazelnut's kombu transport for Apache Kafka (selected by `kafka://host:9092`).

One topic per work queue consumed by a consumer group named after the queue; one topic per
named exchange read without a group and filtered by each process's own bindings (so Celery
events, Flower and `celery inspect`/`control` work across processes); one idempotent producer
per process; commits that never pass an unacknowledged offset; retry, dead-letter and delay
topics. It is a kombu *virtual* transport: kombu's channel API on top, our Kafka mapping below,
and `drain_events` replaced by the dispatcher's batched, multiplexed polling loop.
"""

from __future__ import annotations

import os
from typing import Any

import confluent_kafka
from confluent_kafka import KafkaException
from kombu.transport import virtual

from hazelnut.broker.channel import Channel
from hazelnut.broker.clients import ConfluentClients, KafkaClients, abandon
from hazelnut.broker.dispatcher import Dispatcher
from hazelnut.broker.errors import KafkaUnreachable
from hazelnut.broker.naming import Names
from hazelnut.broker.options import Options
from hazelnut.broker.outbound import Outbound
from hazelnut.broker.publisher import shared_publisher
from hazelnut.broker.topics import shared_registry

DEFAULT_PORT = 9092

# One client factory per process, so its admin handle (and the producer keyed on it) is shared
# by every connection; tests pass their own through the `clients` transport option.
DEFAULT_CLIENTS = ConfluentClients()
os.register_at_fork(after_in_child=DEFAULT_CLIENTS.forget)


class Transport(virtual.Transport):
    Channel = Channel

    default_port = DEFAULT_PORT  # type: ignore[assignment]
    driver_type = "kafka"
    driver_name = "confluent_kafka"
    # Both are retried by kombu/Celery reconnect loops; BrokerUnavailable deliberately is not.
    connection_errors = (*virtual.Transport.connection_errors, KafkaUnreachable, KafkaException)  # type: ignore[assignment]
    recoverable_connection_errors = (KafkaUnreachable, KafkaException)
    implements = virtual.Transport.implements.extend(
        asynchronous=False,
        exchange_type=frozenset(["direct", "topic", "fanout"]),
        heartbeats=False,
    )

    def __init__(self, client: Any, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)  # type: ignore[no-untyped-call]
        transport_options: dict[str, Any] = dict(client.transport_options or {})
        self.clients: KafkaClients = transport_options.pop("clients", None) or DEFAULT_CLIENTS
        self.options = Options.parse(_bootstrap(client), transport_options)
        self.names = Names(self.options.topic_prefix)
        self._pid = os.getpid()
        self._dispatcher: Dispatcher | None = None
        self._outbound: Outbound | None = None

    @property
    def dispatcher(self) -> Dispatcher:
        if self._dispatcher is None:
            self._dispatcher = Dispatcher(
                self.clients,
                self.options,
                self.names,
                shared_publisher(self.clients, self.options),
                shared_registry(self.clients, self.options),
            )
        return self._dispatcher

    @property
    def outbound(self) -> Outbound:
        if self._outbound is None:
            self._outbound = Outbound(
                self.names,
                self.options,
                shared_publisher(self.clients, self.options),
                shared_registry(self.clients, self.options),
            )
        return self._outbound

    def establish_connection(self) -> Any:
        if not self.clients.reachable(
            self.options.bootstrap_servers, self.options.connect_timeout_s
        ):
            raise KafkaUnreachable(
                f"no Kafka broker answered at {self.options.bootstrap_servers} "
                f"within {self.options.connect_timeout_s}s"
            )
        return super().establish_connection()  # type: ignore[no-untyped-call]

    def drain_events(self, connection: Any, timeout: float | None = None) -> None:  # type: ignore[override]
        self.dispatcher.drain(timeout)

    def close_connection(self, connection: Any) -> None:
        if self._pid != os.getpid():
            # Forked child: the consumers belong to the parent and must not even be destroyed.
            abandon(self._dispatcher)
            self._dispatcher = None
            return
        super().close_connection(connection)  # type: ignore[no-untyped-call]
        if self._dispatcher is not None:
            self._dispatcher.close()
            self._dispatcher = None

    # Flower's Broker tab (queue lengths) knows only AMQP and Redis and shows a 404 for this scheme;
    # workers, tasks, events and remote control all work.
    # Limit: Flower's Broker tab (queue lengths) shows a 404 for the kafka:// scheme.
    def driver_version(self) -> str:
        return str(confluent_kafka.version()[0])

    def as_uri(self, uri: str, include_password: bool = False, mask: str = "**") -> str:
        return uri

    @property
    def default_connection_params(self) -> dict[str, Any]:
        return {"port": self.default_port, "hostname": "127.0.0.1"}


def _bootstrap(client: Any) -> str:
    hostname = client.hostname or "127.0.0.1"
    port = client.port or DEFAULT_PORT
    return f"{hostname}:{port}"
