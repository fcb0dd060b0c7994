"""Hazelnut's Kafka broker for Celery: the `kafka://` kombu transport and its public helpers.

`register()` points kombu's `kafka` scheme at our transport and connects the two Celery signals
it relies on; the web layer wraps publishes in `confirmed_publish()` and catches
`BrokerUnavailable` to fall back to its outbox; `message_key()` gives a task a Kafka key so one
entity's tasks stay in one partition, in order. Nothing here imports Django or a domain app.
"""

from __future__ import annotations

from typing import Any

from hazelnut.broker.confirm import confirmed_publish
from hazelnut.broker.errors import BrokerUnavailable, KafkaUnreachable
from hazelnut.broker.wire import CONFIRM_PROPERTY, KEY_PROPERTY

TRANSPORT = "hazelnut.broker.transport:Transport"
_FLUSH_AFTER_TASK_S = 30.0

__all__ = (
    "CONFIRM_PROPERTY",
    "KEY_PROPERTY",
    "TRANSPORT",
    "BrokerUnavailable",
    "KafkaUnreachable",
    "confirmed_publish",
    "message_key",
    "register",
)


def register() -> None:
    """Make `kafka://` select this transport and hook the Celery signals it relies on."""
    import kombu.transport
    from celery import signals

    kombu.transport.TRANSPORT_ALIASES["kafka"] = TRANSPORT
    signals.task_postrun.connect(_flush_after_task, weak=False, dispatch_uid="hz-broker-flush")
    signals.task_failure.connect(_remember_failure, weak=False, dispatch_uid="hz-broker-failure")


def message_key(key: str | int | None) -> dict[str, Any]:
    """Options for `apply_async(**message_key(install_instance_id))`: partition by entity."""
    return {} if key is None else {KEY_PROPERTY: str(key)}


def _flush_after_task(**_kwargs: Any) -> None:
    # Under prefork the parent acknowledges (and later commits) a task that a child ran, so the
    # child must have delivered what the task published before it reports back.
    # if Kafka stays down past this wait, the parent may commit before the child's fan-out is stored
    # (librdkafka keeps retrying it); solo and threads pools have no such gap.
    # Limit: prefork only: Kafka down past this wait may let a commit pass an unstored fan-out.
    from hazelnut.broker.publisher import flush_after_task

    flush_after_task(_FLUSH_AFTER_TASK_S)


def _remember_failure(task_id: str | None = None, exception: Any = None, **_kwargs: Any) -> None:
    from hazelnut.broker import failures

    if task_id and isinstance(exception, BaseException):
        failures.remember(task_id, exception)
