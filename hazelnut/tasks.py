"""The one decorator every platform task is declared with.

It fixes the dotted name, checks that the name routes to a registered queue, turns on retries
only for the named transient errors (exponential backoff with jitter, capped), and keeps results
off: no task on the platform has its result read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from celery import Task

from hazelnut.celery import app
from hazelnut.queues import REGISTRY, Queue

F = TypeVar("F", bound=Callable[..., Any])


def _queue_for(name: str) -> Queue:
    for spec in REGISTRY.values():
        if any(name.startswith(prefix) for prefix in spec.task_prefixes):
            return spec.queue
    raise ValueError(f"task {name} matches no queue in hazelnut.queues.REGISTRY")


def task(
    name: str,
    *,
    retry_on: tuple[type[BaseException], ...] = (),
    max_retries: int = 5,
    backoff_max_seconds: int = 600,
    bind: bool = False,
) -> Callable[[F], Task]:
    """Declare a platform task named `name` (dotted, prefix decides the queue)."""
    queue = _queue_for(name)

    def decorate(function: F) -> Task:
        options: dict[str, Any] = {
            "name": name,
            "queue": queue.value,
            "bind": bind,
            "ignore_result": True,
            "acks_late": True,
        }
        if retry_on:
            options.update(
                autoretry_for=retry_on,
                retry_backoff=True,
                retry_backoff_max=backoff_max_seconds,
                retry_jitter=True,
                max_retries=max_retries,
            )
        return app.task(**options)(function)  # type: ignore[no-any-return]

    return decorate
