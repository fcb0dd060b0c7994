"""Kafka topic and consumer-group names for kombu queues and exchanges.

One function per kind of topic, all under an optional prefix, so that a deployment (or a test
run) can share a cluster without collisions and so that queue and exchange names that coincide
in AMQP (Celery's `celery` queue and `celery` exchange) never land on the same topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ILLEGAL = re.compile(r"[^a-zA-Z0-9._-]")
_MAX_TOPIC = 249

RETRY_SUFFIX = ".retry"
DEAD_LETTER_SUFFIX = ".dlq"
EXCHANGE_PREFIX = "exchange."
DELAY_PREFIX = "delay."


def sanitize(name: str) -> str:
    """Map an AMQP name onto Kafka's topic alphabet ([a-zA-Z0-9._-], 249 characters)."""
    cleaned = _ILLEGAL.sub("_", name)
    if not cleaned or cleaned in (".", ".."):
        raise ValueError(f"{name!r} cannot name a Kafka topic")
    if len(cleaned) > _MAX_TOPIC:
        raise ValueError(f"{name!r} is longer than Kafka's {_MAX_TOPIC}-character topic limit")
    return cleaned


@dataclass(frozen=True)
class Names:
    prefix: str = ""

    def queue(self, queue: str) -> str:
        return sanitize(self.prefix + queue)

    def retry(self, queue: str) -> str:
        return self.queue(queue) + RETRY_SUFFIX

    def dead_letter(self, queue: str) -> str:
        return self.queue(queue) + DEAD_LETTER_SUFFIX

    def exchange(self, exchange: str) -> str:
        return sanitize(self.prefix + EXCHANGE_PREFIX + exchange)

    def delay(self, seconds: int) -> str:
        return sanitize(f"{self.prefix}{DELAY_PREFIX}{seconds}s")

    def group(self, queue: str) -> str:
        return sanitize(self.prefix + queue)

    def relay_group(self) -> str:
        return sanitize(self.prefix + "delay-relay")
