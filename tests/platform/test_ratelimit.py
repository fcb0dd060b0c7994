"""The shared fixed-window limiter: counts per window in Redis, resets at the boundary, expires."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings

from hazelnut import ratelimit


@pytest.fixture
def client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


@pytest.fixture
def base(client: redis.Redis) -> Iterator[str]:
    name = f"hztest-rl-{uuid.uuid4().hex[:12]}"
    yield name
    keys = list(client.scan_iter(f"{name}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The limiter's clock; a test moves it by setting now[0]."""
    moment = [1_000_000.25]
    monkeypatch.setattr(ratelimit, "clock", lambda: moment[0])
    return moment


def test_a_window_allows_its_limit_and_counts_every_hit_after(
    client: redis.Redis, base: str, now: list[float]
) -> None:
    hits = [ratelimit.hit(base, 2) for _ in range(4)]

    counts = [ratelimit.count(client, one) for one in hits]

    assert counts == [1, 2, 3, 4]
    assert [one.over(count) for one, count in zip(hits, counts, strict=True)] == [
        False,
        False,
        True,
        True,
    ]
    assert hits[0].key == f"{base}:1000000"
    assert client.ttl(hits[0].key) in (1, 2)  # one second past the window


def test_the_next_window_counts_from_zero(client: redis.Redis, base: str, now: list[float]) -> None:
    first = ratelimit.hit(base, 1)
    assert (ratelimit.count(client, first), ratelimit.count(client, first)) == (1, 2)

    now[0] = 1_000_001.0
    second = ratelimit.hit(base, 1)

    assert second.key != first.key
    assert not second.over(ratelimit.count(client, second))


def test_a_minute_window_is_numbered_by_minutes_and_says_when_it_ends(
    client: redis.Redis, base: str, now: list[float]
) -> None:
    now[0] = 120.0 * 60 + 45.5  # 45 s into minute 120
    minute = ratelimit.hit(base, 1, window_seconds=60)

    assert minute.key == f"{base}:120"
    assert minute.retry_after() == 15
    assert ratelimit.count(client, minute) == 1
    assert client.ttl(minute.key) in (60, 61)  # the window and one second
    now[0] = 120.0 * 60 + 59.9
    assert minute.retry_after() == 1


def test_an_unanswered_count_is_not_over_the_limit(now: list[float]) -> None:
    # What a caller sees when Redis did not answer: it decides, the limiter never refuses blind.
    assert ratelimit.hit("hz:any", 0).over(None) is False
    assert ratelimit.hit("hz:any", 0).over(1) is True


class _Recorder:
    def __init__(self) -> None:
        self.commands: list[tuple[object, ...]] = []

    def add(self, command: str, *args: object) -> int:
        self.commands.append((command, *args))
        return len(self.commands) - 1


def test_a_hit_queues_its_count_in_the_callers_batch(now: list[float]) -> None:
    batch = _Recorder()
    batch.add("get", "something-else")

    index = ratelimit.hit("hz:rl:sdk:7", 1000).queue(batch)

    assert index == 1
    assert batch.commands[1:] == [
        ("incr", "hz:rl:sdk:7:1000000"),
        ("expire", "hz:rl:sdk:7:1000000", 2),
    ]
