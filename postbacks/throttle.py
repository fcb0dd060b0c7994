"""Shared brakes on sending, kept in Redis so every worker sees the same state.

A circuit breaker per destination stops all workers from hammering a network that is down (the
in-process breaker of hazelnut.http only protects one process), and a per-project rate limit
keeps one busy project from taking a network's whole quota. Both answer "wait this long" rather
than failing, so a braked delivery is rescheduled, not lost.
"""

from __future__ import annotations

import time
from functools import cache

import redis
from django.conf import settings

BREAKER_THRESHOLD = 10
BREAKER_COOLDOWN_SECONDS = 30
PROJECT_RATE_PER_SECOND = 200


@cache
def connection() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def _breaker_key(destination: str) -> str:
    return f"hz:pb:breaker:{destination}"


def breaker_wait(destination: str) -> float:
    """Seconds until the destination's breaker lets a probe through (0 when closed)."""
    opened_until = connection().get(_breaker_key(destination) + ":open")
    if opened_until is None:
        return 0.0
    return max(0.0, float(opened_until) - time.time())


def breaker_record(destination: str, *, failed: bool, count: int = 1) -> None:
    """Count consecutive transient failures; open for the cooldown at the threshold."""
    key = _breaker_key(destination)
    client = connection()
    if not failed:
        client.delete(key, key + ":open")
        return
    failures = int(client.incrby(key, count))
    client.expire(key, BREAKER_COOLDOWN_SECONDS * 4)
    if failures >= BREAKER_THRESHOLD:
        until = time.time() + BREAKER_COOLDOWN_SECONDS
        client.set(key + ":open", str(until), ex=BREAKER_COOLDOWN_SECONDS)
        client.set(key, str(BREAKER_THRESHOLD - 1), ex=BREAKER_COOLDOWN_SECONDS * 4)


def rate_wait(
    project_id: int, destination: str, per_second: int = PROJECT_RATE_PER_SECOND
) -> float:
    """Take one send from the project's per-second budget; seconds to wait when it is spent."""
    now = time.time()
    second = int(now)
    key = f"hz:pb:rate:{project_id}:{destination}:{second}"
    pipe = connection().pipeline()
    pipe.incr(key)
    pipe.expire(key, 2)
    count = int(pipe.execute()[0])
    if count <= per_second:
        return 0.0
    return (second + 1) - now


def rate_take(project_id: int, destination: str, wanted: int, per_second: int | None = None) -> int:
    """Take up to `wanted` sends from this second's budget at once; how many were granted."""
    if per_second is None:
        per_second = int(
            getattr(settings, "HAZELNUT_POSTBACK_RATE_PER_SECOND", PROJECT_RATE_PER_SECOND)
        )
    key = f"hz:pb:rate:{project_id}:{destination}:{int(time.time())}"
    pipe = connection().pipeline()
    pipe.incrby(key, wanted)
    pipe.expire(key, 2)
    total = int(pipe.execute()[0])
    return max(0, min(wanted, per_second - (total - wanted)))
