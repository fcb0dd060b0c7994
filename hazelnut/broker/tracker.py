"""Which offsets a consumer may commit: the core of at-least-once delivery on Kafka.

Kafka keeps one committed offset per partition, so acknowledging message 7 must not commit past
message 5 while 5 is still running. For every partition the tracker remembers the offsets handed
out in fetch order and the ones acknowledged since; the committable position is the first
offset still outstanding, or one past the last fetched when nothing is. Acks may come from any
thread (prefork result handlers), so every operation takes one lock. A partition that is revoked
is dropped whole, and tickets issued for it before then turn into no-ops.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

TopicPartitionKey = tuple[str, int]


@dataclass(eq=False)
class _Ledger:
    pending: deque[int] = field(default_factory=deque)
    acked: set[int] = field(default_factory=set)
    next_offset: int | None = None
    committed: int | None = None
    live: bool = True

    def position(self) -> int | None:
        while self.pending and self.pending[0] in self.acked:
            self.acked.discard(self.pending.popleft())
        if self.pending:
            return self.pending[0]
        return self.next_offset


@dataclass(frozen=True, eq=False)
class Ticket:
    """The right to acknowledge one fetched offset, valid for one partition assignment."""

    ledger: _Ledger
    topic: str
    partition: int
    offset: int


class CommitTracker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ledgers: dict[TopicPartitionKey, _Ledger] = {}

    def track(self, topic: str, partition: int, offset: int) -> Ticket:
        """Record that `offset` was fetched; offsets of one partition arrive in order."""
        with self._lock:
            ledger = self._ledgers.get((topic, partition))
            if ledger is None or (ledger.next_offset is not None and offset < ledger.next_offset):
                # First fetch, or the partition was rewound (offset reset): start over, and let
                # tickets from before the rewind fall through as stale.
                if ledger is not None:
                    ledger.live = False
                ledger = _Ledger()
                self._ledgers[(topic, partition)] = ledger
            ledger.pending.append(offset)
            ledger.next_offset = offset + 1
            return Ticket(ledger, topic, partition, offset)

    def ack(self, ticket: Ticket) -> bool:
        """Mark the ticket's offset done; False when its partition is no longer ours."""
        with self._lock:
            if not ticket.ledger.live:
                return False
            ticket.ledger.acked.add(ticket.offset)
            return True

    def committable(self) -> dict[TopicPartitionKey, int]:
        """Positions that moved since the last commit, ready for `commit(offsets=...)`."""
        with self._lock:
            ready: dict[TopicPartitionKey, int] = {}
            for key, ledger in self._ledgers.items():
                position = ledger.position()
                if position is not None and position != ledger.committed:
                    ready[key] = position
            return ready

    def mark_committed(self, positions: dict[TopicPartitionKey, int]) -> None:
        with self._lock:
            for key, position in positions.items():
                ledger = self._ledgers.get(key)
                if ledger is not None:
                    ledger.committed = position

    def release(self, keys: list[TopicPartitionKey]) -> dict[TopicPartitionKey, int]:
        """Forget revoked partitions and return their final committable positions."""
        with self._lock:
            final: dict[TopicPartitionKey, int] = {}
            for key in keys:
                ledger = self._ledgers.pop(key, None)
                if ledger is None:
                    continue
                ledger.live = False
                position = ledger.position()
                if position is not None and position != ledger.committed:
                    final[key] = position
            return final

    def outstanding(self) -> int:
        with self._lock:
            return sum(len(ledger.pending) - len(ledger.acked) for ledger in self._ledgers.values())

    def partitions(self) -> list[TopicPartitionKey]:
        with self._lock:
            return list(self._ledgers)
