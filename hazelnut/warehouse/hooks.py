"""Flush-before-acknowledge: the one call every acknowledger makes before it acknowledges.

Rows sit in a process's buffers until flushed. Work must never be acknowledged (a Kafka offset
committed, a Celery message acked) while rows it produced are only buffered, or a crash would
drop them. So each acknowledger calls `flush_all()` first and acknowledges only if it returned:
it raises if any buffer could not be written, with those rows kept for the next try. Buffers are
per process, so the flush must run in the process that ran the task:

- Celery tasks, prefork pool (the default): the child runs the task and the parent acks or
  commits, so the parent cannot flush the child's rows. Wrap each task body with `flush_after`
  (e.g. in `hazelnut.tasks.task`): the flush runs inside the task, before it returns, and a failed
  flush fails the task. With the SQL warehouse that is one insert per task and table; with
  ClickHouse, turn on WAREHOUSE_SPOOL so that the flush produces the rows to Kafka instead and
  `manage.py warehouse_sink` batches them into ClickHouse (see `spool.py`).
- Kafka transport with the tasks in the consumer's process (`--pool threads` or `solo`): call
  `hazelnut.warehouse.flush_all()` in the transport right before committing offsets (in
  `hazelnut/broker/group.py`, `_commit`, after the producer flush and before
  `consumer.commit`); on an exception skip the commit and return False, like an undelivered
  publish. Inserts then follow the commit pace, not the task rate. The messages of a skipped
  commit are redelivered; reports count distinct rows, so repeats are harmless.
- `connect_celery_signals()` flushes on worker_process_shutdown (and on task_postrun as a
  backstop: Celery only logs errors raised by signal receivers, hence `flush_after`).
- Web requests: `connect_request_signal()` flushes when a request finishes.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import structlog

log = structlog.get_logger(__name__)

Flusher = Callable[[], int]
P = ParamSpec("P")
R = TypeVar("R")
_flushers: dict[str, Flusher] = {}
_lock = threading.Lock()


def register_flusher(name: str, flusher: Flusher) -> None:
    """Add a buffer to flush before acknowledging; registering a name again replaces it."""
    with _lock:
        _flushers[name] = flusher


def flush_all() -> int:
    """Flush every registered buffer; returns the rows written, raises if any flush failed."""
    with _lock:
        flushers = list(_flushers.items())
    written = 0
    failure: BaseException | None = None
    for name, flusher in flushers:
        try:
            written += flusher()
        except Exception as error:  # noqa: BLE001 - flush the others, then raise the first
            log.error("warehouse.flush_all.failed", flusher=name, error=type(error).__name__)
            failure = failure or error
    if failure is not None:
        raise failure
    return written


# Limit: without WAREHOUSE_SPOOL, prefork + flush_after gives ClickHouse one insert per task.
def flush_after(function: Callable[P, R]) -> Callable[P, R]:
    """Run `function`, then `flush_all()`; the result is returned only once rows are durable."""

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        result = function(*args, **kwargs)
        flush_all()
        return result

    return run


# Limit: Celery only logs a flush failing here, then acks; until tasks use flush_after, rows can go.
def _flush_on_signal(**_: Any) -> None:
    flush_all()


def connect_celery_signals() -> None:
    """Flush at the end of every task (before acks_late acks) and when a worker process exits."""
    from celery import signals

    signals.task_postrun.connect(_flush_on_signal, weak=False, dispatch_uid="warehouse.flush")
    signals.worker_process_shutdown.connect(
        _flush_on_signal, weak=False, dispatch_uid="warehouse.flush.shutdown"
    )


def connect_request_signal() -> None:
    from django.core.signals import request_finished

    request_finished.connect(_flush_on_signal, weak=False, dispatch_uid="warehouse.flush.request")
