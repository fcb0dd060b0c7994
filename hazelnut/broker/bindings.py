"""Local binding table: which of this process's queues want a record from an exchange topic.

Kafka has no broker-side bindings, so every named exchange is one topic that carries the routing
key in a header, and each reader filters with its own process's bindings. Only the process that
bound a queue needs to know the binding, which is what makes fanout, topic routing and pidbox
replies work across processes (kombu's virtual transports keep this table per process and so
cannot).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Binding:
    queue: str
    exchange: str
    exchange_type: str
    routing_key: str

    def matches(self, routing_key: str) -> bool:
        if self.exchange_type == "fanout":
            return True
        if self.exchange_type == "topic":
            return topic_matches(self.routing_key, routing_key)
        return self.routing_key == routing_key


def topic_matches(binding_key: str, routing_key: str) -> bool:
    """AMQP topic matching: dot-separated words, `*` is one word, `#` is zero or more."""
    if binding_key == "#":
        return True
    return _match_words(tuple(binding_key.split(".")), tuple(routing_key.split(".")))


@lru_cache(maxsize=4096)
def _match_words(pattern: tuple[str, ...], words: tuple[str, ...]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_match_words(rest, words[skip:]) for skip in range(len(words) + 1))
    if not words:
        return False
    return (head in ("*", words[0])) and _match_words(rest, words[1:])


class BindingIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_exchange: dict[str, set[Binding]] = {}

    def bind(self, binding: Binding) -> bool:
        """Add a binding; True if it is new."""
        with self._lock:
            bucket = self._by_exchange.setdefault(binding.exchange, set())
            if binding in bucket:
                return False
            bucket.add(binding)
            return True

    def unbind_queue(self, queue: str) -> list[Binding]:
        with self._lock:
            removed: list[Binding] = []
            for exchange, bucket in list(self._by_exchange.items()):
                gone = {binding for binding in bucket if binding.queue == queue}
                bucket -= gone
                removed.extend(gone)
                if not bucket:
                    del self._by_exchange[exchange]
            return removed

    def queues_for(self, exchange: str, routing_key: str) -> set[str]:
        with self._lock:
            bucket = self._by_exchange.get(exchange, ())
            return {binding.queue for binding in bucket if binding.matches(routing_key)}

    def exchanges_of(self, queue: str) -> set[str]:
        with self._lock:
            return {
                exchange
                for exchange, bucket in self._by_exchange.items()
                if any(binding.queue == queue for binding in bucket)
            }

    def matches(self, queue: str, exchange: str, routing_key: str) -> bool:
        with self._lock:
            return any(
                binding.queue == queue and binding.matches(routing_key)
                for binding in self._by_exchange.get(exchange, ())
            )
