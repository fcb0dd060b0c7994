"""Celery: the broker (Kafka in production, the embedded Redis otherwise) and worker policy."""

from __future__ import annotations

from typing import Any

from hazelnut.broker.settings import transport_options
from hazelnut.queues import broker_topic_options, task_routes
from hazelnut.settings.runtime import ENV, required_in_production
from hazelnut.settings.services import REDIS_EMBEDDED_SOCKET

required_in_production("CELERY_BROKER_URL")
_broker_url = ENV.url("CELERY_BROKER_URL", ("kafka", "redis", "rediss", "redis+socket", "memory"))

if _broker_url is not None:
    CELERY_BROKER_URL = _broker_url.geturl()
else:
    CELERY_BROKER_URL = f"redis+socket://{REDIS_EMBEDDED_SOCKET}"

BROKER_IS_KAFKA = CELERY_BROKER_URL.startswith("kafka://")

# Every platform task is idempotent, so at-least-once with late acks is the contract.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_RETRY_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = ENV.integer("CELERY_PREFETCH_MULTIPLIER", 4)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND: str | None = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_SEND_TASK_EVENTS = True
# "sent" events would double every publish on the ingest hot path; Flower sees tasks from the
# worker-side events (received, started, succeeded) all the same.
CELERY_TASK_SEND_SENT_EVENT = False
CELERY_TASK_ROUTES = task_routes()
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers log through structlog like the web process (hazelnut.logging), not Celery's handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ALWAYS_EAGER = ENV.boolean("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True

CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {}
if BROKER_IS_KAFKA:
    # A prefix keeps deployments (or test runs) sharing one cluster out of each other's topics.
    CELERY_BROKER_TRANSPORT_OPTIONS = transport_options(
        broker_topic_options()["topics"],
        topic_prefix=ENV.string("HAZELNUT_TOPIC_PREFIX", ""),
    )
    # On Kafka a failed task's message goes to the dead-letter topic with its error; the
    # prefetch is also the replay window after a crash, so it stays small.
    CELERY_TASK_ACKS_ON_FAILURE = False
    CELERY_WORKER_PREFETCH_MULTIPLIER = ENV.integer("CELERY_PREFETCH_MULTIPLIER", 2)
elif REDIS_EMBEDDED_SOCKET is not None or CELERY_BROKER_URL.startswith("redis"):
    # Redis redelivers unacked messages after this long; attribution tasks finish in seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
