"""Exceptions the Kafka transport raises to its callers.

`BrokerUnavailable` is what a web request catches to write its outbox row instead; it derives
from kombu's `OperationalError` so generic handlers still see it, but it is deliberately not one
of the transport's `connection_errors`, so kombu does not silently retry a confirmed publish.
`KafkaUnreachable` (and `DeliveryFailed`) are connection errors, so Celery's reconnect loop
rebuilds the consumers from the last good commit.
"""

from __future__ import annotations

from kombu.exceptions import OperationalError


class BrokerUnavailable(OperationalError):
    """A publish could not be confirmed by Kafka in time (or was refused)."""


class KafkaUnreachable(ConnectionError):
    """No Kafka broker answered within the connect timeout."""


class DeliveryFailed(KafkaUnreachable):
    """A task message published by this worker was lost, so its consumers must not commit."""
