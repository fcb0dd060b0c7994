"""The Redis connection the HTTP edge shares for rate limits and idempotency keys."""

from __future__ import annotations

from functools import cache
from typing import Any

import redis
import structlog
from django.conf import settings
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

log = structlog.get_logger(__name__)

# Every key the edge writes starts with this; tests point it at a namespace of their own.
PREFIX = "hz"


@cache
def client() -> redis.Redis:
    # Short timeouts and one quick retry: a missing Redis must not hold an SDK request for long
    # (redis-py's default retries back off for seconds).
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=1.0,
        socket_connect_timeout=1.0,
        retry=Retry(ExponentialBackoff(cap=0.05, base=0.01), 1),
        decode_responses=True,
    )


def key(*parts: object) -> str:
    return ":".join((PREFIX, *(str(part) for part in parts)))


class Batch:
    """Commands of several checks sent to Redis in one round trip (the hot path's budget).

    If Redis fails, every result reads as None and each check decides what that means.
    """

    def __init__(self) -> None:
        self._pipe = client().pipeline(transaction=False)
        self._size = 0
        self._results: list[Any] | None = None

    def add(self, command: str, *args: Any, **options: Any) -> int:
        getattr(self._pipe, command)(*args, **options)
        self._size += 1
        return self._size - 1

    def run(self) -> bool:
        try:
            self._results = self._pipe.execute(raise_on_error=False)
        except redis.RedisError as error:
            log.warning("ingest.kv.unavailable", error=type(error).__name__)
            self._results = None
        return self._results is not None

    def answered(self, index: int) -> bool:
        return self._results is not None and not isinstance(self._results[index], Exception)

    def result(self, index: int) -> Any:
        if self._results is None or not self.answered(index):
            return None
        return self._results[index]
