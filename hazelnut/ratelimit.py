"""Fixed-window rate limits in Redis, shared by the HTTP edge and the reporting routes.

A limit allows `per_window` hits per subject in each window of `window_seconds`. A hit is one
INCR on the key of the current window (the caller's base key plus the window number) and an
EXPIRE a second past the window, so a window's counter cleans itself up; both go in the caller's
pipeline, one round trip. Callers choose the base key, what a refusal looks like, and what an
unanswered count (Redis down) means.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import redis

MESSAGE = "Rate limit exceeded. Please try again later."
# Where windows read the time; tests put a fake clock here to cross a window boundary on purpose.
clock: Callable[[], float] = time.time


class Commands(Protocol):
    """Queues Redis commands and tells where each answer will be (ingest's `kv.Batch`)."""

    def add(self, command: str, *args: Any) -> int: ...


@dataclass(frozen=True)
class Hit:
    """One hit counted in the window that `hit()` found current."""

    key: str
    per_window: int
    window_seconds: int

    def queue(self, commands: Commands) -> int:
        """Queue the count; the window's total so far will be at the returned index."""
        index = commands.add("incr", self.key)
        commands.add("expire", self.key, self.window_seconds + 1)
        return index

    def over(self, count: Any) -> bool:
        """Whether `count`, Redis's answer to the INCR, is past the limit; None is not."""
        return count is not None and int(count) > self.per_window

    def retry_after(self) -> int:
        """Seconds until the next window opens (at least 1), for a Retry-After header."""
        return max(self.window_seconds - int(clock()) % self.window_seconds, 1)


def hit(base_key: str, per_window: int, window_seconds: int = 1) -> Hit:
    window = int(clock()) // window_seconds
    return Hit(f"{base_key}:{window}", per_window, window_seconds)


def count(client: redis.Redis, one: Hit) -> int:
    """Count `one` in a round trip of its own and return its window's total so far."""
    pipe = _Pipeline(client.pipeline())
    index = one.queue(pipe)
    return int(pipe.execute()[index])


class _Pipeline:
    """A redis-py pipeline seen as `Commands`."""

    def __init__(self, pipe: Any) -> None:
        self._pipe = pipe
        self._size = 0

    def add(self, command: str, *args: Any) -> int:
        getattr(self._pipe, command)(*args)
        self._size += 1
        return self._size - 1

    def execute(self) -> list[Any]:
        return list(self._pipe.execute())
