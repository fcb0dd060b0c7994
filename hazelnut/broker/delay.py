"""ETA and countdown tasks travel through delay topics instead of waiting in worker memory.

A task due more than `delay_threshold_s` ahead is published to the delay tier just below its
remaining wait (tiers are fixed delays: 1 s, 4 s, 16 s, ...), carrying its real target topic and
due time in headers. Every record in a tier waits the same time, so each tier partition is due in
order: the relay holds a partition's head, pauses the partition until the head's tier delay has
passed, then forwards it to its target, or to a shorter tier when it is still early. Workers
never hold these messages, so they never pin a partition's commit point or a prefetch slot.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from time import time

import structlog
from confluent_kafka import TIMESTAMP_NOT_AVAILABLE

from hazelnut.broker import wire
from hazelnut.broker.clients import KafkaClients, Record
from hazelnut.broker.group import GroupMember
from hazelnut.broker.naming import Names
from hazelnut.broker.options import Options
from hazelnut.broker.publisher import Publisher
from hazelnut.broker.topics import TopicRegistry
from hazelnut.broker.tracker import Ticket, TopicPartitionKey

log = structlog.get_logger(__name__)


def tier_for(remaining_s: float, tiers: tuple[int, ...]) -> int | None:
    """The longest tier that does not overshoot `remaining_s`, or None if all of them do."""
    index = bisect_right(tiers, remaining_s)
    return tiers[index - 1] if index else None


def delayed_route(
    names: Names, options: Options, target_topic: str, eta: float, now: float
) -> tuple[str, wire.Headers] | None:
    """Where a task due at `eta` goes instead of `target_topic`, or None to send it directly."""
    remaining = eta - now
    if remaining < options.delay_threshold_s:
        return None
    tier = tier_for(remaining, options.delay_tiers_s)
    if tier is None:
        return None
    extra: wire.Headers = [
        (wire.TARGET, target_topic.encode("utf-8")),
        (wire.DUE_MS, str(int(eta * 1000)).encode("ascii")),
    ]
    return names.delay(tier), extra


class DelayRelay:
    def __init__(
        self,
        clients: KafkaClients,
        options: Options,
        names: Names,
        publisher: Publisher,
        registry: TopicRegistry,
    ) -> None:
        self._options = options
        self._names = names
        self._publisher = publisher
        self._tier_of = {names.delay(tier): tier for tier in options.delay_tiers_s}
        registry.ensure({topic: options.delay_spec() for topic in self._tier_of})
        self._held: dict[TopicPartitionKey, deque[tuple[Record, Ticket]]] = {}
        self._paused: set[TopicPartitionKey] = set()
        self.member = GroupMember(
            clients, options, publisher, names.relay_group(), list(self._tier_of), self._released
        )

    def fetch(self, limit: int, timeout: float) -> int:
        fetched = self.member.fetch(limit, timeout)
        for record, ticket in fetched:
            key = (ticket.topic, ticket.partition)
            self._held.setdefault(key, deque()).append((record, ticket))
        return len(fetched)

    def pump(self) -> float | None:
        """Forward every held record that is due; return seconds until the next one is."""
        now = time()
        next_due: float | None = None
        for key, held in list(self._held.items()):
            while held:
                record, ticket = held[0]
                due = self._due(record, key[0])
                if due > now:
                    next_due = due if next_due is None else min(next_due, due)
                    if key not in self._paused:
                        self.member.pause_partitions([key])
                        self._paused.add(key)
                    break
                held.popleft()
                self._forward(record, now)
                self.member.tracker.ack(ticket)
            if not held:
                del self._held[key]
                if key in self._paused:
                    self.member.resume_partitions([key])
                    self._paused.discard(key)
        return None if next_due is None else max(0.0, next_due - now)

    def held(self) -> int:
        return sum(len(held) for held in self._held.values())

    def close(self) -> None:
        self.member.close()

    def _due(self, record: Record, topic: str) -> float:
        headers = record.headers()
        due = wire.header_int(headers, wire.DUE_MS, 0) / 1000
        kind, stamp_ms = record.timestamp()
        if kind == TIMESTAMP_NOT_AVAILABLE:
            return due
        return min(due, stamp_ms / 1000 + self._tier_of.get(topic, 0))

    def _forward(self, record: Record, now: float) -> None:
        headers = record.headers()
        target = wire.header(headers, wire.TARGET)
        if target is None:
            log.error("broker.delay.no_target", topic=record.topic(), offset=record.offset())
            return
        due = wire.header_int(headers, wire.DUE_MS, 0) / 1000
        route = delayed_route(self._names, self._options, target.decode("utf-8"), due, now)
        if route is None:
            topic = target.decode("utf-8")
            out_headers = wire.without(headers, wire.TARGET, wire.DUE_MS)
        else:
            topic = route[0]
            out_headers = wire.without(headers)
        self._publisher.send(topic, record.value() or b"", record.key(), out_headers)

    def _released(self, keys: list[TopicPartitionKey]) -> None:
        for key in keys:
            self._held.pop(key, None)
            self._paused.discard(key)
