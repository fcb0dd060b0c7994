"""kombu's channel and QoS for the Kafka transport.

The channel maps kombu's calls onto the dispatcher (consuming) and the outbound router
(publishing); the QoS turns acks into tracker acknowledgements and rejects into retry or
dead-letter records. Nothing is restored at shutdown: a message that was never acknowledged is
simply never committed, so the group hands it out again after the restart or rebalance.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from itertools import count
from queue import Empty
from typing import TYPE_CHECKING, Any

from kombu.transport import virtual

from hazelnut.broker import wire
from hazelnut.broker.confirm import requested_timeout
from hazelnut.broker.dispatcher import Dispatcher, Subscriber
from hazelnut.broker.inbound import Inbound

if TYPE_CHECKING:
    from hazelnut.broker.transport import Transport


class QoS(virtual.QoS):
    def __init__(self, channel: Channel, prefetch_count: int = 0) -> None:
        super().__init__(channel, prefetch_count)  # type: ignore[no-untyped-call]
        self._lock = threading.Lock()
        self._inflight: dict[int, Inbound] = {}

    def can_consume(self) -> bool:
        limit = self.prefetch_count
        return not limit or len(self._inflight) < limit

    def can_consume_max_estimate(self) -> int | None:
        limit = self.prefetch_count
        return max(limit - len(self._inflight), 0) if limit else None

    def append(self, message: Any, delivery_tag: int) -> None:
        # The virtual base's contract; this transport registers through `hold` instead.
        raise NotImplementedError("Kafka QoS tracks deliveries through hold()")

    def hold(self, delivery_tag: int, inbound: Inbound) -> None:
        with self._lock:
            self._inflight[delivery_tag] = inbound

    def ack(self, delivery_tag: int) -> None:
        with self._lock:
            inbound = self._inflight.pop(delivery_tag, None)
        if inbound is not None:
            inbound.settle()
            self.channel.dispatcher.wakeup.set()

    def reject(self, delivery_tag: int, requeue: bool = False) -> None:
        with self._lock:
            inbound = self._inflight.pop(delivery_tag, None)
        if inbound is not None:
            self.channel.dispatcher.give_back(inbound, requeue)

    def restore_unacked(self) -> list[Any]:
        with self._lock:
            self._inflight.clear()
        return []

    def restore_unacked_once(self, stderr: Any = None) -> None:
        self._on_collect.cancel()
        self.restore_unacked()

    def unacked(self) -> int:
        return len(self._inflight)


class Channel(virtual.Channel):
    QoS = QoS
    supports_fanout = True
    do_restore = False

    connection: Transport

    def __init__(self, connection: Transport, **kwargs: Any) -> None:
        super().__init__(connection, **kwargs)  # type: ignore[no-untyped-call]
        self._tags = count(1)

    @property
    def dispatcher(self) -> Dispatcher:
        return self.connection.dispatcher

    # Declarations -----------------------------------------------------------------------------

    def exchange_declare(
        self,
        exchange: str | None = None,
        type: str = "direct",
        durable: bool = False,
        auto_delete: bool = False,
        arguments: dict[str, Any] | None = None,
        nowait: bool = False,
        passive: bool = False,
    ) -> None:
        super().exchange_declare(  # type: ignore[no-untyped-call]
            exchange, type, durable, auto_delete, arguments, nowait=nowait, passive=passive
        )
        # A direct exchange only needs a topic once something other than its own queue binds
        # to it (`bind` creates it then); Celery's per-queue direct exchanges never do.
        if exchange and not passive and (type or "direct") != "direct":
            self.dispatcher.declare_exchange(exchange)

    def _new_queue(self, queue: str, **kwargs: Any) -> None:
        ephemeral = bool(kwargs.get("auto_delete") or kwargs.get("exclusive"))
        self.dispatcher.declare_queue(queue, ephemeral)

    def _queue_bind(self, exchange: str, routing_key: str, pattern: Any, queue: str) -> None:
        self.dispatcher.bind(queue, exchange, self._exchange_type(exchange), routing_key)

    def queue_delete(
        self, queue: str, if_unused: bool = False, if_empty: bool = False, **kwargs: Any
    ) -> None:
        super().queue_delete(queue, if_unused=if_unused, if_empty=if_empty, **kwargs)  # type: ignore[no-untyped-call]
        self.dispatcher.delete_queue(queue)

    def _delete(self, queue: str, *args: Any, **kwargs: Any) -> None:
        """Bindings are dropped by `queue_delete`; Kafka topics outlive kombu queues."""

    def _purge(self, queue: str) -> int:
        # Limit: purge is not implemented; Kafka retention expires old tasks instead.
        return 0

    def _size(self, queue: str) -> int:
        # Limit: queue length (consumer lag) is not reported; every declare would pay a lookup.
        return 0

    def _get(self, queue: str, timeout: float | None = None) -> Any:
        # Limit: basic_get (synchronous single get) is unsupported; consumers use basic_consume.
        raise Empty()

    # Publishing -------------------------------------------------------------------------------

    def basic_publish(
        self, message: dict[str, Any], exchange: str, routing_key: str, **kwargs: Any
    ) -> None:
        timeout = requested_timeout()
        if message.get("properties", {}).get(wire.CONFIRM_PROPERTY) and timeout is None:
            timeout = 0.0
        if timeout is not None and timeout <= 0:
            timeout = self.connection.options.confirm_timeout_s
        self.connection.outbound.publish(
            message, exchange or "", self._exchange_type(exchange), routing_key or "", timeout
        )

    def _put(self, queue: str, message: dict[str, Any], **kwargs: Any) -> None:
        self.connection.outbound.publish(message, "", "direct", queue, None)

    # Consuming --------------------------------------------------------------------------------

    def basic_consume(
        self,
        queue: str,
        no_ack: bool,
        callback: Callable[[Any], Any],
        consumer_tag: str,
        **kwargs: Any,
    ) -> None:
        self._tag_to_queue[consumer_tag] = queue
        self._active_queues.append(queue)
        self._consumers.add(consumer_tag)

        def on_message(inbound: Inbound) -> None:
            tag = next(self._tags)
            message = self.Message(self._payload(inbound, tag), channel=self)  # type: ignore[no-untyped-call]
            if no_ack:
                inbound.settle()
            else:
                self.qos.hold(tag, inbound)
            callback(message)

        can_take: Callable[[], bool] = (lambda: True) if no_ack else self.qos.can_consume
        self.dispatcher.start(Subscriber(queue, on_message, can_take))

    def basic_cancel(self, consumer_tag: str) -> None:
        queue = self._tag_to_queue.get(consumer_tag)
        super().basic_cancel(consumer_tag)  # type: ignore[no-untyped-call]
        if queue is not None and queue not in self._active_queues:
            self.dispatcher.stop(queue)

    def _payload(self, inbound: Inbound, tag: int) -> dict[str, Any]:
        record = inbound.record
        headers = record.headers()
        payload = wire.decode(record.value(), headers)
        properties = payload["properties"]
        properties["delivery_tag"] = tag
        properties["delivery_info"] = {
            "exchange": inbound.exchange,
            "routing_key": inbound.routing_key,
            "redelivered": wire.header_int(headers, wire.DELIVERIES, 1) > 1,
            # Where the record lives, for logs and tests; Celery ignores keys it does not know.
            "kafka_partition": record.partition(),
            "kafka_offset": record.offset(),
        }
        return payload

    def _exchange_type(self, exchange: str | None) -> str:
        if not exchange:
            return "direct"
        return str(self.typeof(exchange).type)  # type: ignore[no-untyped-call]
