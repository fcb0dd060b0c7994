"""A fetched record on its way to a kombu consumer, with the right to acknowledge it."""

from __future__ import annotations

from dataclasses import dataclass

from hazelnut.broker.clients import Record
from hazelnut.broker.tracker import CommitTracker, Ticket


@dataclass(eq=False)
class Inbound:
    queue: str
    record: Record
    ticket: Ticket | None
    tracker: CommitTracker | None
    exchange: str
    routing_key: str

    def settle(self) -> None:
        if self.ticket is not None and self.tracker is not None:
            self.tracker.ack(self.ticket)
