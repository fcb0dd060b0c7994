"""Celery settings that the Kafka transport's delivery guarantees assume, for the lead to merge.

Keys use Django's `CELERY_` namespace. Late acks plus `task_retry_on_worker_lost` make a task's
message outlive a crashed or killed pool process (the retry goes through a delay topic, never a
broker-side requeue); a small prefetch keeps the replay window after a crash short; events keep
Flower and `celery events` fed. Per-queue topic layout comes from the queue registry through
`transport_options(...)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

_MINUTE_MS = 60_000

CELERY_SETTINGS: Final[dict[str, Any]] = {
    "CELERY_TASK_ACKS_LATE": True,
    "CELERY_TASK_RETRY_ON_WORKER_LOST": True,
    # Left unset on purpose: a requeue on worker loss would loop a poison task forever.
    "CELERY_TASK_REJECT_ON_WORKER_LOST": None,
    # A failed task's message goes to the dead-letter topic (with its error) instead of vanishing.
    "CELERY_TASK_ACKS_ON_FAILURE": False,
    "CELERY_WORKER_PREFETCH_MULTIPLIER": 2,
    "CELERY_WORKER_SEND_TASK_EVENTS": True,
    "CELERY_TASK_SEND_SENT_EVENT": True,
    "CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP": True,
    "CELERY_BROKER_TRANSPORT_OPTIONS": {
        "default_partitions": 12,
        "exchange_retention_ms": 60 * _MINUTE_MS,
        "max_deliveries": 5,
        "commit_interval_s": 1.0,
    },
}


def transport_options(topics: Mapping[str, Mapping[str, Any]], **overrides: Any) -> dict[str, Any]:
    """`broker_transport_options` with per-queue `{'partitions': n, 'retention_ms': ms}`."""
    options: dict[str, Any] = dict(CELERY_SETTINGS["CELERY_BROKER_TRANSPORT_OPTIONS"])
    options["topics"] = {name: dict(spec) for name, spec in topics.items()}
    # Pidbox traffic is only useful for seconds; keep it minutes, not the event hour.
    options["topics"].setdefault("celery.pidbox", {"partitions": 1, "retention_ms": 5 * _MINUTE_MS})
    options["topics"].setdefault(
        "reply.celery.pidbox", {"partitions": 1, "retention_ms": 5 * _MINUTE_MS}
    )
    options.update(overrides)
    return options
