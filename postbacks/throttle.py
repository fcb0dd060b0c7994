"""Shared brakes on sending, kept in Redis so every worker sees the same state.

A circuit breaker per destination stops all workers from hammering a network that is down (the
in-process breaker of hazelnut.http only protects one process), and a per-project rate limit
keeps one busy project from taking a network's whole quota. Both answer "wait this long" rather
than failing, so a braked delivery is rescheduled, not lost.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
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
        _trip(destination)


def _trip(destination: str) -> None:
    key = _breaker_key(destination)
    client = connection()
    until = time.time() + BREAKER_COOLDOWN_SECONDS
    client.set(key + ":open", str(until), ex=BREAKER_COOLDOWN_SECONDS)
    client.set(key, str(BREAKER_THRESHOLD - 1), ex=BREAKER_COOLDOWN_SECONDS * 4)


def rate_wait(project_id: int, destination: str, per_second: int | None = None) -> float:
    """Take one send from the project's per-second budget; seconds to wait when it is spent."""
    now = time.time()
    second = int(now)
    key = _rate_key(project_id, destination, second)
    pipe = connection().pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, 2)
    count = int(pipe.execute()[0])
    if count <= (per_second or _per_second()):
        return 0.0
    return (second + 1) - now


def _per_second() -> int:
    return int(getattr(settings, "HAZELNUT_POSTBACK_RATE_PER_SECOND", PROJECT_RATE_PER_SECOND))


@dataclass
class Gate:
    """What the brakes let a batch send: a wait per braked destination, sends per group."""

    braked: dict[str, float] = field(default_factory=dict)
    granted: dict[tuple[int, str], int] = field(default_factory=dict)


def gate(
    answered: Collection[str],
    failures: Mapping[str, int],
    wanted: Mapping[tuple[int, str], int],
    per_second: int | None = None,
) -> Gate:
    """Feed the breakers and pass the next batch through the brakes in one round trip.

    `answered` destinations answered (their breakers reset), `failures` counts the transient
    failures of the others; `wanted` is how many sends each (project, destination) asks for.
    A braked destination gets nothing and gives its budget back.
    """
    per_second = per_second or _per_second()
    failing = [d for d in failures if d not in answered]
    destinations = sorted({destination for _, destination in wanted})
    groups = list(wanted.items())
    second = int(time.time())
    pipe = connection().pipeline(transaction=False)
    for destination in answered:
        pipe.delete(_breaker_key(destination), _breaker_key(destination) + ":open")
    for destination in failing:
        pipe.incrby(_breaker_key(destination), failures[destination])
        pipe.expire(_breaker_key(destination), BREAKER_COOLDOWN_SECONDS * 4)
    for destination in destinations:
        pipe.get(_breaker_key(destination) + ":open")
    for (project_id, destination), count in groups:
        pipe.incrby(_rate_key(project_id, destination, second), count)
        pipe.expire(_rate_key(project_id, destination, second), 2)
    replies = pipe.execute()[len(answered) :]
    result = Gate()
    for index, destination in enumerate(failing):
        if int(replies[2 * index]) >= BREAKER_THRESHOLD:
            _trip(destination)
            result.braked[destination] = float(BREAKER_COOLDOWN_SECONDS)
    replies = replies[2 * len(failing) :]
    for destination, opened_until in zip(destinations, replies, strict=False):
        if opened_until is not None:
            wait = max(0.0, float(opened_until) - time.time())
            result.braked[destination] = max(wait, result.braked.get(destination, 0.0))
    replies = replies[len(destinations) :]
    for index, ((project_id, destination), count) in enumerate(groups):
        total = int(replies[2 * index])
        if result.braked.get(destination):
            connection().decrby(_rate_key(project_id, destination, second), count)
            continue
        result.granted[(project_id, destination)] = max(0, min(count, per_second - total + count))
    return result


def _rate_key(project_id: int, destination: str, second: int) -> str:
    return f"hz:pb:rate:{project_id}:{destination}:{second}"
