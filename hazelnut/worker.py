"""Worker process hooks: telemetry start-up, log context per task, task metrics, liveness.

Liveness: every Celery heartbeat (each ~2 s while events are on) stamps a file per worker
under STATE_DIR/heartbeats; `manage.py worker_alive` compares its age with a limit, which is
what a supervisor probes.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import structlog
from celery import signals
from django.conf import settings

from hazelnut import metrics, telemetry


def heartbeat_dir() -> Path:
    return Path(settings.STATE_DIR) / "heartbeats"


@signals.worker_process_init.connect
def _start_child(**_: Any) -> None:
    # Exporter threads do not survive fork: each pool child starts its own.
    telemetry.init(settings.SENTRY_DSN)


@signals.worker_init.connect
def _start_worker(**_: Any) -> None:
    telemetry.init(settings.SENTRY_DSN)


@signals.heartbeat_sent.connect
def _heartbeat(sender: Any = None, **_: Any) -> None:
    hostname = getattr(sender, "hostname", None) or "worker"
    directory = heartbeat_dir()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / hostname).write_text(str(time.time()))
    metrics.WORKER_HEARTBEAT.labels(queue_set="all").set(time.time())


@signals.task_prerun.connect
def _bind_task_context(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(task_id=task_id, task=getattr(task, "name", None))


@signals.task_success.connect
def _count_success(sender: Any = None, **_: Any) -> None:
    metrics.TASKS.labels(task=getattr(sender, "name", "unknown"), state="succeeded").inc()


@signals.task_failure.connect
def _count_failure(sender: Any = None, **_: Any) -> None:
    metrics.TASKS.labels(task=getattr(sender, "name", "unknown"), state="failed").inc()


@signals.task_retry.connect
def _count_retry(sender: Any = None, **_: Any) -> None:
    metrics.TASKS.labels(task=getattr(sender, "name", "unknown"), state="retried").inc()


def newest_heartbeat_age(now: float | None = None) -> float | None:
    """Seconds since the most recent heartbeat of any worker, or None if there was none."""
    stamps = [float(path.read_text() or 0) for path in heartbeat_dir().glob("*")]
    if not stamps:
        return None
    return (now or time.time()) - max(stamps)
