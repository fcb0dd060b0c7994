"""Micro-batches out of one-install tasks: when a worker runs attribute tasks on many threads,
their messages are handed to one batcher thread that attributes whatever is waiting together.

Each task still stands for its own message: it waits until its install is stored (or failed)
and then returns or raises as if it had run alone, so the broker acknowledges a message only
after its own install is done, and a redelivered message is the same no-op it always was.
Batching costs no waiting: the batcher takes what is queued at that moment, so a lone install
goes alone and a busy worker's installs go up to `MAX_BATCH` at a time (group commit). Tasks
run on the main thread (prefork and solo pools, `.apply()`) skip the batcher: one task at a
time per process leaves nothing to batch.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog
from django.db import close_old_connections

from attribution.contracts import InstallMessage
from attribution.engine import rounds

log = structlog.get_logger(__name__)

MAX_BATCH = 200

Attribute = Callable[[Sequence[InstallMessage]], list[int | Exception]]
Result = TypeVar("Result")

# Per batch on the batcher thread: each install's task context (its trace), by install key.
_origins = threading.local()


@dataclass
class _Slot:
    message: InstallMessage
    done: threading.Event = field(default_factory=threading.Event)
    outcome: int | Exception | None = None
    # Taken on the task's thread, so work done for this install can run under its trace.
    context: contextvars.Context = field(default_factory=contextvars.copy_context)


def in_origin(key: tuple[int, str], work: Callable[..., Result], *args: Any) -> Result:
    """Run `work` in the context of the task that brought install `key` (its trace, so the
    fan-out it publishes continues the request's trace), or as is off the batcher thread."""
    context = getattr(_origins, "by_key", {}).get(key)
    return work(*args) if context is None else context.run(work, *args)


class Coalescer:
    """Hands messages from many threads to one batcher thread, MAX_BATCH at most per batch."""

    def __init__(self, attribute: Attribute, max_batch: int = MAX_BATCH) -> None:
        self._attribute = attribute
        self._max_batch = max_batch
        self._waiting: queue.SimpleQueue[_Slot] = queue.SimpleQueue()
        self._start = threading.Lock()
        self._batcher: threading.Thread | None = None

    def attribute(self, message: InstallMessage) -> int:
        """The install's row id once its batch is done; its own error raised here."""
        slot = _Slot(message)
        self._ensure_batcher()
        self._waiting.put(slot)
        slot.done.wait()
        if isinstance(slot.outcome, Exception):
            raise slot.outcome
        assert slot.outcome is not None
        return slot.outcome

    def _ensure_batcher(self) -> None:
        with self._start:
            if self._batcher is None or not self._batcher.is_alive():
                self._batcher = threading.Thread(
                    target=self._run, name="attribution-batcher", daemon=True
                )
                self._batcher.start()

    def _run(self) -> None:
        while True:
            batch = [self._waiting.get()]
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._waiting.get_nowait())
                except queue.Empty:
                    break
            self._attribute_batch(batch)

    def _attribute_batch(self, batch: list[_Slot]) -> None:
        outcomes: list[int | Exception]
        _origins.by_key = {rounds.install_key(slot.message): slot.context for slot in batch}
        try:
            # Like a request boundary: drop a connection that broke or outlived its age.
            close_old_connections()
            outcomes = self._attribute([slot.message for slot in batch])
        except Exception as error:  # noqa: BLE001  (every waiting task gets it and fails alone)
            log.warning("attribution.batch.failed", installs=len(batch), error=type(error).__name__)
            outcomes = [error] * len(batch)
        finally:
            _origins.by_key = {}
        for slot, outcome in zip(batch, outcomes, strict=True):
            slot.outcome = outcome
            slot.done.set()


_shared: Coalescer | None = None
_shared_lock = threading.Lock()


def attribute(message: InstallMessage, direct: Callable[[InstallMessage], int]) -> int:
    """Attribute one message: through the process's batcher on a worker thread, else `direct`."""
    if threading.current_thread() is threading.main_thread():
        return direct(message)
    global _shared
    with _shared_lock:
        if _shared is None:
            from attribution.installs import attribute_each

            _shared = Coalescer(attribute_each)
    return _shared.attribute(message)
