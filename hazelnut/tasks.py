"""The one decorator every platform task is declared with.

It fixes the dotted name, checks that the name routes to a registered queue, turns on retries
only for the named transient errors (exponential backoff with jitter, capped), and keeps results
off: no task on the platform has its result read. Every task body ends by flushing the
warehouse buffers of its process, so a message is acknowledged (acks_late) only after the rows
it produced are durable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from celery import Task

from hazelnut.celery import app
from hazelnut.queues import REGISTRY, Queue
from hazelnut.warehouse import flush_after

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
    _queue_for(name)  # fail at import when the name routes nowhere; task_routes does the routing

    def decorate(function: F) -> Task:
        options: dict[str, Any] = {
            "name": name,
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
        return app.task(**options)(flush_after(function))

    return decorate
