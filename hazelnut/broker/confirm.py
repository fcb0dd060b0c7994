"""Asking for a confirmed publish: the web side's way to know a task really reached Kafka.

Inside `with confirmed_publish():` every publish on this thread (or asyncio task) waits for the
broker's acknowledgement, and any failure to get one surfaces as `BrokerUnavailable`, including
kombu's own connection errors, so the caller has one exception to catch before writing its
outbox row. A single publish can ask for the same with the `confirm_publish=True` property.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from confluent_kafka import KafkaException
from kombu.exceptions import OperationalError

from hazelnut.broker.errors import BrokerUnavailable, KafkaUnreachable

# Seconds to wait for the acknowledgement; 0 means "use the transport's confirm_timeout_s".
_confirm_timeout: ContextVar[float | None] = ContextVar("hazelnut_broker_confirm", default=None)


@contextmanager
def confirmed_publish(timeout: float = 0.0) -> Iterator[None]:
    token = _confirm_timeout.set(timeout)
    try:
        yield
    except BrokerUnavailable:
        raise
    except (OperationalError, KafkaException, KafkaUnreachable, ConnectionError) as exc:
        raise BrokerUnavailable(f"Kafka is unavailable: {exc}") from exc
    finally:
        _confirm_timeout.reset(token)


def requested_timeout() -> float | None:
    """None when no confirmation was asked for in this context."""
    return _confirm_timeout.get()
