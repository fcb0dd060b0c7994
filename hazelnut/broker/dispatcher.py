"""The consuming half of one kombu connection: readers, local buffers and the drain loop.

Durable queues each get a consumer-group member (group = queue name); auto-delete queues share
one group-less broadcast reader; workers also run the delay relay. Fetched records wait in a
per-queue buffer until the consuming channel's prefetch allows another delivery; a full buffer
pauses its member's partitions while polling continues, so group membership stays alive under
back-pressure. The drain loop also commits on a timer and writes requeued and rejected messages
to their retry or dead-letter topics, all on the thread that calls `drain_events`.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from time import monotonic

import structlog

from hazelnut.broker import wire
from hazelnut.broker.bindings import Binding, BindingIndex
from hazelnut.broker.broadcast import BroadcastReader
from hazelnut.broker.clients import KafkaClients, Record
from hazelnut.broker.delay import DelayRelay
from hazelnut.broker.group import GroupMember
from hazelnut.broker.inbound import Inbound
from hazelnut.broker.naming import Names
from hazelnut.broker.options import Options
from hazelnut.broker.outbound import is_identity_binding
from hazelnut.broker.publisher import Publisher, note_committer
from hazelnut.broker.redelivery import send_back
from hazelnut.broker.topics import TopicRegistry
from hazelnut.broker.tracker import TopicPartitionKey

log = structlog.get_logger(__name__)

# An auto-delete queue nobody drains (declared, never consumed) must not grow without bound.
_EPHEMERAL_BACKLOG = 10_000


@dataclass(eq=False)
class Subscriber:
    queue: str
    on_message: Callable[[Inbound], None]
    can_take: Callable[[], bool]


Reader = Callable[[float], int]


class Dispatcher:
    def __init__(
        self,
        clients: KafkaClients,
        options: Options,
        names: Names,
        publisher: Publisher,
        registry: TopicRegistry,
    ) -> None:
        self._clients = clients
        self._options = options
        self._names = names
        self._publisher = publisher
        self._registry = registry
        self._bindings = BindingIndex()
        self._ephemeral: set[str] = set()
        self._starts: dict[str, dict[TopicPartitionKey, int]] = {}
        self._exchange_of: dict[str, str] = {}
        self._subscribers: dict[str, Subscriber] = {}
        self._members: dict[str, GroupMember] = {}
        self._buffers: dict[str, deque[Inbound]] = {}
        self._broadcast: BroadcastReader | None = None
        self._relay: DelayRelay | None = None
        self._returns: deque[tuple[Inbound, bool]] = deque()
        self._next_commit = monotonic() + options.commit_interval_s
        self._turn = 0
        self.wakeup = threading.Event()

    # Declarations -----------------------------------------------------------------------------

    def declare_queue(self, queue: str, ephemeral: bool) -> None:
        if ephemeral:
            self._ephemeral.add(queue)
            return
        self._registry.ensure(
            {
                self._names.queue(queue): self._options.queue_spec(queue),
                self._names.retry(queue): self._options.retry_spec(queue),
            }
        )

    def declare_exchange(self, exchange: str) -> None:
        topic = self._names.exchange(exchange)
        self._registry.ensure({topic: self._options.exchange_spec(exchange)})
        self._exchange_of[topic] = exchange

    def bind(self, queue: str, exchange: str, exchange_type: str, routing_key: str) -> None:
        if is_identity_binding(queue, exchange, exchange_type, routing_key):
            return
        if not self._bindings.bind(Binding(queue, exchange, exchange_type, routing_key)):
            return
        self.declare_exchange(exchange)
        topic = self._names.exchange(exchange)
        if queue in self._ephemeral:
            ends = self._reader().watch(topic, self._registry.partitions(topic))
            starts = self._starts.setdefault(queue, {})
            for partition, offset in ends.items():
                starts.setdefault((topic, partition), offset)
        elif queue in self._members:
            # a durable queue's group starts a new exchange topic from its earliest retained record,
            # so it may see messages published before the binding existed.
            # Limit: a durable group reads a newly bound exchange topic from its earliest record.
            self._members[queue].resubscribe(self._topics_of(queue))

    def delete_queue(self, queue: str) -> None:
        self.stop(queue)
        self._bindings.unbind_queue(queue)
        self._starts.pop(queue, None)
        self._buffers.pop(queue, None)
        self._ephemeral.discard(queue)
        if self._broadcast is not None:
            watched = {topic for starts in self._starts.values() for topic, _ in starts}
            for topic in set(self._exchange_of) - watched:
                self._broadcast.unwatch(topic)

    # Consumers --------------------------------------------------------------------------------

    def start(self, subscriber: Subscriber) -> None:
        queue = subscriber.queue
        self._subscribers[queue] = subscriber
        self._buffers.setdefault(queue, deque())
        if queue in self._ephemeral or queue in self._members:
            return
        self.declare_queue(queue, ephemeral=False)
        note_committer()
        self._members[queue] = GroupMember(
            self._clients,
            self._options,
            self._publisher,
            self._names.group(queue),
            self._topics_of(queue),
            partial(self._drop_buffered, queue),
        )
        if self._options.delay_relay and self._relay is None:
            self._relay = DelayRelay(
                self._clients, self._options, self._names, self._publisher, self._registry
            )

    def stop(self, queue: str) -> None:
        self._subscribers.pop(queue, None)
        member = self._members.pop(queue, None)
        if member is not None:
            self._settle_returns()
            member.close()
            self._buffers.pop(queue, None)
        if not self._members and self._relay is not None:
            self._relay.close()
            self._relay = None

    def give_back(self, inbound: Inbound, requeue: bool) -> None:
        """Requeue (retry topic) or dead-letter a message; safe from any thread."""
        self._returns.append((inbound, requeue))
        self.wakeup.set()

    # The loop ---------------------------------------------------------------------------------

    def drain(self, timeout: float | None) -> None:
        """Deliver at least one message, or raise socket.timeout once `timeout` has passed."""
        deadline = None if timeout is None else monotonic() + timeout
        while True:
            self.wakeup.clear()
            relay_wait = self._maintain()
            if self._deliver():
                return
            now = monotonic()
            if deadline is not None and now >= deadline:
                raise TimeoutError("no message within the drain timeout")
            wait = self._options.commit_interval_s
            if deadline is not None:
                wait = min(wait, deadline - now)
            if relay_wait is not None:
                wait = min(wait, relay_wait)
            if self._returns:
                continue
            if self._blocked():
                self._fetch(0)
                self.wakeup.wait(min(wait, self._options.poll_slice_s))
            else:
                self._fetch(wait)

    def close(self) -> None:
        self._settle_returns()
        for queue in list(self._members):
            self.stop(queue)
        self._publisher.serve()
        if self._broadcast is not None:
            self._broadcast.close()
            self._broadcast = None

    # Internals --------------------------------------------------------------------------------

    def _topics_of(self, queue: str) -> list[str]:
        topics = [self._names.queue(queue), self._names.retry(queue)]
        topics.extend(self._names.exchange(ex) for ex in self._bindings.exchanges_of(queue))
        return topics

    def _reader(self) -> BroadcastReader:
        if self._broadcast is None:
            self._broadcast = BroadcastReader(self._clients, self._options)
        return self._broadcast

    def _maintain(self) -> float | None:
        self._publisher.serve()
        self._settle_returns()
        relay_wait = self._relay.pump() if self._relay is not None else None
        now = monotonic()
        if now >= self._next_commit:
            for member in list(self._members.values()):
                member.commit()
            if self._relay is not None:
                self._relay.member.commit()
            self._next_commit = now + self._options.commit_interval_s
        return relay_wait

    def _deliver(self) -> int:
        queues = [q for q, buffer in self._buffers.items() if buffer and q in self._subscribers]
        if not queues:
            return 0
        self._turn += 1
        shift = self._turn % len(queues)
        budget = self._options.deliveries_per_drain
        delivered = 0
        for queue in queues[shift:] + queues[:shift]:
            subscriber = self._subscribers[queue]
            buffer = self._buffers[queue]
            while buffer and delivered < budget and subscriber.can_take():
                subscriber.on_message(buffer.popleft())
                delivered += 1
                if self._subscribers.get(queue) is not subscriber:
                    break
            member = self._members.get(queue)
            if (
                member is not None
                and member.paused
                and len(buffer) <= self._options.buffer_max // 2
            ):
                member.resume()
        return delivered

    def _blocked(self) -> bool:
        return any(self._buffers.get(queue) for queue in self._subscribers)

    def _fetch(self, wait: float) -> None:
        readers = self._readers()
        if not readers:
            self.wakeup.wait(max(wait, 0.0))
            return
        if sum(read(0) for read in readers) or wait <= 0:
            return
        if len(readers) > 1:
            wait = min(wait, self._options.poll_slice_s)
        self._turn += 1
        readers[self._turn % len(readers)](wait)

    def _readers(self) -> list[Reader]:
        readers: list[Reader] = [
            partial(self._pull_member, queue, member) for queue, member in self._members.items()
        ]
        if self._broadcast is not None and self._broadcast.watching():
            readers.append(self._pull_broadcast)
        if self._relay is not None:
            readers.append(partial(self._relay.fetch, self._options.fetch_batch))
        return readers

    def _pull_member(self, queue: str, member: GroupMember, timeout: float) -> int:
        fetched = member.fetch(self._options.fetch_batch, timeout)
        buffer = self._buffers.setdefault(queue, deque())
        for record, ticket in fetched:
            exchange = self._exchange_of.get(ticket.topic)
            if exchange is None:
                buffer.append(Inbound(queue, record, ticket, member.tracker, "", queue))
                continue
            routing_key = _routing_key(record)
            if self._bindings.matches(queue, exchange, routing_key):
                buffer.append(Inbound(queue, record, ticket, member.tracker, exchange, routing_key))
            else:
                member.tracker.ack(ticket)
        if len(buffer) >= self._options.buffer_max:
            member.pause()
        return len(fetched)

    def _pull_broadcast(self, timeout: float) -> int:
        assert self._broadcast is not None
        records = self._broadcast.fetch(self._options.fetch_batch, timeout)
        for record in records:
            topic, partition, offset = record.topic(), record.partition(), record.offset()
            exchange = self._exchange_of.get(topic or "")
            if topic is None or exchange is None or partition is None or offset is None:
                continue
            routing_key = _routing_key(record)
            for queue in self._bindings.queues_for(exchange, routing_key):
                start = self._starts.get(queue, {}).get((topic, partition))
                if start is None or offset < start:
                    continue
                buffer = self._buffers.setdefault(queue, deque())
                if len(buffer) >= _EPHEMERAL_BACKLOG:
                    buffer.popleft()
                buffer.append(Inbound(queue, record, None, None, exchange, routing_key))
        return len(records)

    def _drop_buffered(self, queue: str, keys: list[TopicPartitionKey]) -> None:
        buffer = self._buffers.get(queue)
        if not buffer:
            return
        gone = set(keys)
        self._buffers[queue] = deque(
            inbound
            for inbound in buffer
            if inbound.ticket is None
            or (inbound.ticket.topic, inbound.ticket.partition) not in gone
        )

    def _settle_returns(self) -> None:
        while self._returns:
            inbound, requeue = self._returns.popleft()
            if inbound.ticket is None:
                continue
            send_back(self._publisher, self._names, self._options, self._registry, inbound, requeue)
            inbound.settle()


def _routing_key(record: Record) -> str:
    raw = wire.header(record.headers(), wire.ROUTING_KEY)
    return raw.decode("utf-8") if raw is not None else ""
