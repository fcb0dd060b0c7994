"""The Kafka transport's settings, read once from Celery's `broker_transport_options`.

Everything a deployment may want to tune (partitions, retention, commit cadence, batch sizes,
delay tiers, librdkafka overrides) arrives here as one plain dict, so the transport itself stays
generic and the queue registry of the application decides the per-topic layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_MINUTE_MS = 60_000
_HOUR_MS = 60 * _MINUTE_MS
_DAY_MS = 24 * _HOUR_MS

# Powers of four: any delay is reached in at most three hops per tier.
DEFAULT_DELAY_TIERS_S: tuple[int, ...] = (1, 4, 16, 64, 256, 1024, 4096, 16384)


@dataclass(frozen=True)
class TopicSpec:
    """How a topic is created when the transport is the one creating it."""

    partitions: int
    retention_ms: int | None
    config: Mapping[str, str] = field(default_factory=dict)

    def broker_config(self) -> dict[str, str]:
        settings = dict(self.config)
        if self.retention_ms is not None:
            settings.setdefault("retention.ms", str(self.retention_ms))
        return settings


@dataclass(frozen=True)
class Options:
    bootstrap_servers: str
    topic_prefix: str = ""
    default_partitions: int = 12
    replication_factor: int = 1
    default_retention_ms: int = 7 * _DAY_MS
    topics: Mapping[str, TopicSpec] = field(default_factory=dict)
    # The cooperative-sticky assignor balances partition *counts* across a group, not topics:
    # a retry topic as wide as its queue can end up entirely on one member and the queue's own
    # partitions on the other. One retry partition keeps the queue's split within one.
    retry_partitions: int = 1
    exchange_partitions: int = 1
    exchange_retention_ms: int = _HOUR_MS
    dead_letter_partitions: int = 1
    dead_letter_retention_ms: int = 14 * _DAY_MS
    delay_partitions: int = 3
    delay_retention_ms: int = 7 * _DAY_MS
    delay_threshold_s: float = 1.0
    delay_tiers_s: tuple[int, ...] = DEFAULT_DELAY_TIERS_S
    delay_relay: bool = True
    max_deliveries: int = 5
    commit_interval_s: float = 1.0
    commit_flush_timeout_s: float = 5.0
    fetch_batch: int = 256
    buffer_max: int = 1024
    poll_slice_s: float = 0.05
    deliveries_per_drain: int = 256
    confirm_timeout_s: float = 5.0
    connect_timeout_s: float = 5.0
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 2_000
    # a solo-pool worker polls only between tasks, so a task longer than this gets its partitions
    # reassigned mid-run (the task still finishes; its message runs again elsewhere).
    # Limit: a solo-pool task longer than this loses its partitions and runs again elsewhere.
    max_poll_interval_ms: int = 300_000
    linger_ms: int = 2
    producer_config: Mapping[str, Any] = field(default_factory=dict)
    consumer_config: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, bootstrap_servers: str, raw: Mapping[str, Any]) -> Options:
        """Build options from `broker_transport_options`; unknown keys belong to kombu."""
        values: dict[str, Any] = {
            "bootstrap_servers": raw.get("bootstrap_servers", bootstrap_servers)
        }
        for name in _SCALARS:
            if name in raw:
                values[name] = _coerce(name, raw[name])
        if "topics" in raw:
            values["topics"] = _parse_topics(raw["topics"], raw)
        if "delay_tiers_s" in raw:
            values["delay_tiers_s"] = tuple(sorted({int(tier) for tier in raw["delay_tiers_s"]}))
        for name in ("producer_config", "consumer_config"):
            if name in raw:
                values[name] = dict(raw[name])
        options = cls(**values)
        options.validate()
        return options

    def validate(self) -> None:
        if not self.delay_tiers_s or min(self.delay_tiers_s) < 1:
            raise ValueError("delay_tiers_s needs at least one tier of one second or more")
        for name in ("default_partitions", "fetch_batch", "buffer_max", "max_deliveries"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")

    def queue_spec(self, queue: str) -> TopicSpec:
        return self.topics.get(queue) or TopicSpec(
            self.default_partitions, self.default_retention_ms
        )

    def retry_spec(self, queue: str) -> TopicSpec:
        return TopicSpec(self.retry_partitions, self.queue_spec(queue).retention_ms)

    def exchange_spec(self, exchange: str) -> TopicSpec:
        return self.topics.get(exchange) or TopicSpec(
            self.exchange_partitions, self.exchange_retention_ms
        )

    def dead_letter_spec(self) -> TopicSpec:
        return TopicSpec(self.dead_letter_partitions, self.dead_letter_retention_ms)

    def delay_spec(self) -> TopicSpec:
        return TopicSpec(self.delay_partitions, self.delay_retention_ms)


_SCALARS: dict[str, type] = {
    "topic_prefix": str,
    "default_partitions": int,
    "replication_factor": int,
    "default_retention_ms": int,
    "retry_partitions": int,
    "exchange_partitions": int,
    "exchange_retention_ms": int,
    "dead_letter_partitions": int,
    "dead_letter_retention_ms": int,
    "delay_partitions": int,
    "delay_retention_ms": int,
    "delay_threshold_s": float,
    "delay_relay": bool,
    "max_deliveries": int,
    "commit_interval_s": float,
    "commit_flush_timeout_s": float,
    "fetch_batch": int,
    "buffer_max": int,
    "poll_slice_s": float,
    "deliveries_per_drain": int,
    "confirm_timeout_s": float,
    "connect_timeout_s": float,
    "session_timeout_ms": int,
    "heartbeat_interval_ms": int,
    "max_poll_interval_ms": int,
    "linger_ms": int,
}


def _coerce(name: str, value: Any) -> Any:
    kind = _SCALARS[name]
    if kind is bool and isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return kind(value)


def _parse_topics(raw_topics: Mapping[str, Any], raw: Mapping[str, Any]) -> dict[str, TopicSpec]:
    default_partitions = int(raw.get("default_partitions", Options.default_partitions))
    default_retention = raw.get("default_retention_ms", Options.default_retention_ms)
    parsed: dict[str, TopicSpec] = {}
    for name, spec in raw_topics.items():
        retention = spec.get("retention_ms", default_retention)
        parsed[name] = TopicSpec(
            partitions=int(spec.get("partitions", default_partitions)),
            retention_ms=None if retention is None else int(retention),
            config={str(key): str(value) for key, value in spec.get("config", {}).items()},
        )
    return parsed
