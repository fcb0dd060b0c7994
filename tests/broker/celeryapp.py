"""A tiny standalone Celery app on the Kafka transport, for real-broker tests and the S3 bench.

It knows nothing of Django or the domain apps (no Django fixup either), so a worker started with
`celery -A tests.broker.celeryapp worker` exercises only Celery, kombu and our transport. The
worker side reads its settings from the environment (HZ_TEST_BROKER_URL, HZ_TEST_PREFIX,
HZ_TEST_OUT); the test side builds the same app in-process with `make_app`.

Each `record` task appends the worker's name to a file named after its number, so a test can
check afterwards that every task ran at least once, how often, and where.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from celery import Celery

from hazelnut import broker

TASK_RECORD = "hztest.record"
TASK_NOOP = "hztest.noop"
QUEUE = "work"


def make_app(broker_url: str, prefix: str, out_dir: str = "", **settings: Any) -> Celery:
    broker.register()
    app = Celery("hztest", broker=broker_url, fixups=[], set_as_current=False)
    transport_options = {
        "topic_prefix": prefix,
        "default_partitions": 12,
        # Fast failover for the kill -9 test: a dead member leaves the group after 6 s.
        "session_timeout_ms": 6000,
        "heartbeat_interval_ms": 1000,
        "commit_interval_s": 0.5,
    }
    transport_options.update(settings.pop("broker_transport_options", {}))
    conf: dict[str, Any] = {
        "broker_transport_options": transport_options,
        "broker_connection_retry_on_startup": True,
        "task_default_queue": QUEUE,
        "task_acks_late": True,
        "task_retry_on_worker_lost": True,
        "task_ignore_result": True,
        "worker_prefetch_multiplier": 2,
        "worker_hijack_root_logger": False,
        "worker_send_task_events": False,
        "task_send_sent_event": False,
    }
    conf.update(settings)
    app.conf.update(conf)

    @app.task(name=TASK_RECORD, shared=False)
    def record(number: int) -> None:
        line = (os.environ.get("HZ_TEST_WORKER") or socket.gethostname()) + "\n"
        descriptor = os.open(
            os.path.join(out_dir, str(number)), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644
        )
        try:
            os.write(descriptor, line.encode())
        finally:
            os.close(descriptor)

    @app.task(name=TASK_NOOP, shared=False)
    def noop() -> None:
        return None

    return app


def __getattr__(name: str) -> Celery:
    # `celery -A tests.broker.celeryapp` asks for `app`; build it from the environment then.
    if name != "app":
        raise AttributeError(name)
    app = make_app(
        os.environ["HZ_TEST_BROKER_URL"],
        os.environ.get("HZ_TEST_PREFIX", ""),
        os.environ.get("HZ_TEST_OUT", ""),
        worker_send_task_events=os.environ.get("HZ_TEST_EVENTS") == "1",
    )
    globals()["app"] = app
    return app
