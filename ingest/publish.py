"""The one door through which the HTTP edge hands accepted work to the queues.

Work is published by task name (producers never import consumer code). If the broker cannot
take it, the message is written to the durable outbox instead and the request still succeeds;
`ingest.outbox` republishes it later. Only when both the broker and the database refuse does the
caller see an error, and then the client retries.

`CONFIRMED` is the single switch for waiting until the broker has acknowledged each message
(the Kafka transport's `confirmed_publish`); without it a send that returns is trusted. The
messages are copies of one template per task (ingest.taskmessage), written on Kafka by the
transport's direct publisher (whose confirmations share one poller per process) and elsewhere by
kombu's producer; only where Celery must build the message itself does `send_task` publish.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import StrEnum
from functools import partial
from typing import Any

import structlog
from celery import Celery, signals
from django.conf import settings
from django.db import DatabaseError

from hazelnut.broker import BrokerUnavailable, confirmed_publish, message_key
from hazelnut.broker.direct import direct_publisher
from hazelnut.celery import app
from ingest.errors import ApiError
from ingest.models import OutboxMessage
from ingest.taskmessage import Recorder, Template

log = structlog.get_logger(__name__)

# The one switch: wait for the broker's acknowledgement of every publish (Kafka), so an
# answered request is in Kafka or in the outbox, never only in a client buffer.
CONFIRMED: bool = bool(getattr(settings, "HAZELNUT_PUBLISH_CONFIRMED", True))

# BrokerUnavailable is what the Kafka transport raises; other transports (the embedded Redis)
# fail with their own errors, and an unexpected one must not lose the message either.
UNAVAILABLE: tuple[type[BaseException], ...] = (BrokerUnavailable, Exception)

# After a failed send, requests go straight to the outbox for this long instead of each one
# waiting out the broker's connect timeout; the relay finds out when the broker is back.
BREAKER_SECONDS = 5.0


class BrokerBreaker:
    def __init__(self) -> None:
        self._open_until = 0.0
        self._lock = threading.Lock()

    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def trip(self) -> None:
        with self._lock:
            self._open_until = time.monotonic() + BREAKER_SECONDS

    def reset(self) -> None:
        with self._lock:
            self._open_until = 0.0


breaker = BrokerBreaker()


class BrokerSkipped(Exception):
    """The breaker is open: the broker failed moments ago, so it is not tried now."""


class Outcome(StrEnum):
    QUEUED = "queued"
    OUTBOXED = "outboxed"


def publish(task_name: str, payload: Mapping[str, Any]) -> Outcome:
    """Enqueue `task_name` with `payload` as its keyword arguments, or park it in the outbox."""
    kwargs = jsonable(payload)
    try:
        if breaker.is_open():
            raise BrokerSkipped("broker failed recently")
        send(task_name, kwargs)
    except UNAVAILABLE as error:
        if not isinstance(error, BrokerSkipped):
            breaker.trip()
        park(task_name, kwargs, error)
        log.warning("ingest.publish.outboxed", task=task_name, error=type(error).__name__)
        return Outcome.OUTBOXED
    return Outcome.QUEUED


def park(task_name: str, kwargs: dict[str, Any], error: BaseException) -> None:
    try:
        OutboxMessage.objects.create(task_name=task_name, payload=kwargs, last_error=repr(error))
    except DatabaseError as db_error:
        log.error("ingest.publish.lost_both", task=task_name, error=type(db_error).__name__)
        # Nothing was accepted, so the client is told to retry rather than losing the message.
        raise ApiError(503, "unavailable", "Service temporarily unavailable; retry.") from db_error


def send(task_name: str, kwargs: dict[str, Any]) -> None:
    """Hand one message to the broker; raises when the broker does not take it."""
    key = _key_of(kwargs)
    direct = fast_path()
    if direct is not None:
        direct.send(task_name, kwargs, key)
        return
    options: dict[str, Any] = {"kwargs": kwargs, "retry": False, **message_key(key)}
    if not CONFIRMED:
        app.send_task(task_name, **options)
        return
    with confirmed_publish():
        app.send_task(task_name, **options)


Write = Callable[[dict[str, Any], str], None]


class FastPath:
    """Template copies (ingest.taskmessage) handed straight to the broker's producer."""

    def __init__(self, write: Write) -> None:
        self._write = write
        self._templates: dict[str, Template] = {}

    def send(self, task_name: str, kwargs: dict[str, Any], key: str | None) -> None:
        template = self._templates.get(task_name)
        if template is None:
            template = self._templates[task_name] = record_template(task_name)
        self._write(template.message(kwargs, key), template.queue)


_fast_path: FastPath | None = None
_fast_path_pid = 0


def fast_path() -> FastPath | None:
    """This process's fast path, or None where Celery must build the message itself.

    That is inside a worker task (the message carries its parent's ids) and whenever something
    listens to Celery's publish signals (tracing adds its headers there).
    """
    global _fast_path, _fast_path_pid
    if app.current_worker_task is not None or _publish_observed():
        return None
    if _fast_path_pid != os.getpid():
        publisher = direct_publisher(app.connection_for_write())
        write = (
            _publish_with_kombu
            if publisher is None
            else partial(publisher.publish, confirm=CONFIRMED)
        )
        _fast_path = FastPath(write)
        _fast_path_pid = os.getpid()
    return _fast_path


def _publish_with_kombu(message: dict[str, Any], queue: str) -> None:
    """Brokers other than Kafka: kombu's producer, handed the ready body and headers."""
    properties = dict(message["properties"])
    properties.pop("delivery_info", None)
    with app.producer_or_acquire() as producer:
        producer.publish(
            message["body"],
            routing_key=queue,
            exchange="",
            content_type=message["content-type"],
            content_encoding=message["content-encoding"],
            headers=message["headers"],
            declare=[app.amqp.queues[queue]],
            retry=False,
            **properties,
        )


def _publish_observed() -> bool:
    return bool(signals.before_task_publish.receivers or signals.after_task_publish.receivers)


def record_template(task_name: str, celery: Celery | None = None) -> Template:
    """Let Celery build one `task_name` message, kept as the template of that task's messages."""
    celery = celery or app
    recorder = Recorder()
    try:
        celery.send_task(task_name, kwargs={}, producer=recorder.producer, retry=False)
        return Template.recorded(recorder, celery.amqp.kwargsrepr_maxsize)
    finally:
        recorder.close()


def _key_of(kwargs: dict[str, Any]) -> str | None:
    """The partition key: one install's (or click's) messages stay in order on one partition."""
    for name in ("install_instance_id", "click_id"):
        value = kwargs.get(name)
        if value:
            return f"{kwargs.get('project_id')}:{value}"
    return None


_SCALARS = frozenset({str, int, bool, float, type(None)})


def jsonable(value: Any) -> Any:
    """`value` with Decimals made JSON numbers again (free-form blobs) so any serializer takes it.

    Money never reaches here as Decimal: views turn amounts into decimal strings first.
    """
    if type(value) in _SCALARS:  # most leaves; far cheaper than the ABC checks below
        return value
    if isinstance(value, Mapping):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
