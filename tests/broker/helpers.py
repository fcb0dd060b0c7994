"""Small kombu helpers shared by the fake-cluster and real-broker transport tests."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from kombu import Connection, Consumer, Exchange, Queue
from kombu.message import Message

Received = list[tuple[Any, Message]]


def work_queue(name: str) -> Queue:
    return Queue(name, routing_key=name)


def broadcast_queue(name: str, exchange: Exchange, routing_key: str = "") -> Queue:
    return Queue(name, exchange, routing_key=routing_key, auto_delete=True, durable=False)


def publish(connection: Connection, queue: Queue, bodies: list[Any], **properties: Any) -> None:
    with connection.Producer() as producer:
        for body in bodies:
            producer.publish(body, routing_key=queue.name, declare=[queue], **properties)


def start_consumer(
    connection: Connection,
    queues: list[Queue],
    received: Received,
    *,
    prefetch: int = 100,
    no_ack: bool = False,
    on_message: Callable[[Any, Message], None] | None = None,
) -> Consumer:
    def callback(body: Any, message: Message) -> None:
        received.append((body, message))
        if on_message is not None:
            on_message(body, message)

    consumer = Consumer(
        connection, queues, callbacks=[callback], prefetch_count=prefetch, no_ack=no_ack
    )
    consumer.consume()
    return consumer


def drain_until(
    connections: list[Connection], done: Callable[[], bool], timeout: float = 10.0
) -> None:
    """Drain every connection in turn until `done()` holds, or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {timeout}s")
        for connection in connections:
            with contextlib.suppress(TimeoutError):
                connection.drain_events(timeout=0.05)


def drain_for(connections: list[Connection], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for connection in connections:
            with contextlib.suppress(TimeoutError):
                connection.drain_events(timeout=0.05)
