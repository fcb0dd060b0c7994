"""Creating topics on declare, with a process-wide memory of which ones already exist.

kombu declares queues and exchanges often (every new connection, every pidbox reply queue), so
each topic is created or confirmed once per process and then only looked up in a set. Partition
counts are remembered the same way; they only ever grow, and readers re-ask when a partition
they have not seen shows up.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from time import monotonic, sleep

from hazelnut.broker.clients import KafkaClients
from hazelnut.broker.options import Options, TopicSpec

_METADATA_RETRY_S = 0.1


class TopicRegistry:
    def __init__(self, clients: KafkaClients, options: Options) -> None:
        self._clients = clients
        self._options = options
        self._lock = threading.Lock()
        self._known: set[str] = set()
        self._partitions: dict[str, int] = {}

    def ensure(self, topics: Mapping[str, TopicSpec]) -> None:
        """Create the missing ones among `topics` (already existing ones are left as they are)."""
        with self._lock:
            missing = {name: spec for name, spec in topics.items() if name not in self._known}
        if not missing:
            return
        self._clients.ensure_topics(
            self._options.bootstrap_servers,
            missing,
            self._options.replication_factor,
            self._options.connect_timeout_s,
        )
        with self._lock:
            self._known.update(missing)

    def known(self, topic: str) -> bool:
        return topic in self._known

    def partitions(self, topic: str) -> int:
        """Partition count of an existing topic, waiting briefly for fresh metadata."""
        cached = self._partitions.get(topic)
        if cached is not None:
            return cached
        deadline = monotonic() + self._options.connect_timeout_s
        while True:
            count = self._clients.partitions(
                self._options.bootstrap_servers, topic, self._options.connect_timeout_s
            )
            if count:
                with self._lock:
                    self._partitions[topic] = count
                return count
            if monotonic() >= deadline:
                raise LookupError(f"Kafka topic {topic} has no metadata yet")
            sleep(_METADATA_RETRY_S)

    def forget_partitions(self, topic: str) -> None:
        with self._lock:
            self._partitions.pop(topic, None)


_lock = threading.Lock()
_registries: dict[tuple[KafkaClients, str, str], TopicRegistry] = {}


def shared_registry(clients: KafkaClients, options: Options) -> TopicRegistry:
    key = (clients, options.bootstrap_servers, options.topic_prefix)
    with _lock:
        registry = _registries.get(key)
        if registry is None:
            registry = TopicRegistry(clients, options)
            _registries[key] = registry
        return registry
