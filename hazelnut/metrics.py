"""Every Prometheus metric the platform exports, with its meaning. Add new ones here only.

Label values are bounded by construction: routes are URL patterns (not paths), tasks are
registered task names, sources, results and sweep actions are enums, partitions are at most the
topic's count.
Web and worker processes write to a shared multiprocess directory
(PROMETHEUS_MULTIPROC_DIR, set by the settings), and `/metrics` merges them.
"""

from __future__ import annotations

import os

from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

HTTP_REQUEST_SECONDS = Histogram(
    "hazelnut_http_request_seconds",
    "Time to answer an HTTP request, by URL route and status class.",
    ["route", "method", "status_class"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
TASKS = Counter(
    "hazelnut_tasks",
    "Celery tasks that ended, by task name and state (succeeded, failed, retried).",
    ["task", "state"],
)
CONSUMER_LAG = Gauge(
    "hazelnut_consumer_lag_messages",
    "Messages between a partition's end offset and the consumer group's position.",
    ["topic", "partition"],
    multiprocess_mode="livemax",
)
ATTRIBUTION_OUTCOMES = Counter(
    "hazelnut_attribution_outcomes",
    "Installs attributed, by the strategy that won (organic included).",
    ["source"],
)
ATTRIBUTION_SWEPT = Counter(
    "hazelnut_attribution_swept",
    "Installs the attribution sweeper handled, by action: redriven (pending too long, message "
    "published again), republished (fan-out published again), failed (fan-out raised).",
    ["action"],
)
POSTBACK_DELIVERIES = Counter(
    "hazelnut_postback_deliveries",
    "Postback and analytics attempts, by destination and result.",
    ["destination", "result"],
)
WAREHOUSE_FLUSH_ROWS = Histogram(
    "hazelnut_warehouse_flush_rows",
    "Rows written to the warehouse per flush, by table.",
    ["table"],
    buckets=(1, 10, 100, 1_000, 5_000, 10_000, 50_000),
)
WORKER_HEARTBEAT = Gauge(
    "hazelnut_worker_heartbeat_timestamp_seconds",
    "Unix time of the last heartbeat of a worker process (liveness: now minus this).",
    ["queue_set"],
    multiprocess_mode="max",
)
OUTBOX_DEPTH = Gauge(
    "hazelnut_outbox_depth",
    "Accepted requests waiting in the outbox for the broker to come back.",
    multiprocess_mode="livemax",
)
CACHE_LOOKUPS = Counter(
    "hazelnut_cache_lookups",
    "Lookups in the API's in-process caches (ingest/auth.py `cached`), by cache (the lookup "
    "kinds named in the code: token, server, web, signing, skan, origins) and result (hit, miss).",
    ["cache", "result"],
)
LINK_CLICKS_UNRECORDED = Counter(
    "hazelnut_link_clicks_unrecorded",
    "Campaign-link visits answered without recording a click, by reason: rate_limited (over the "
    "per-IP click limit, still redirected), foreign_host (a host that is not one of the "
    "project's link domains, answered 404).",
    ["reason"],
)

ALL_METRICS = (
    HTTP_REQUEST_SECONDS,
    TASKS,
    CONSUMER_LAG,
    ATTRIBUTION_OUTCOMES,
    ATTRIBUTION_SWEPT,
    POSTBACK_DELIVERIES,
    WAREHOUSE_FLUSH_ROWS,
    WORKER_HEARTBEAT,
    OUTBOX_DEPTH,
    CACHE_LOOKUPS,
    LINK_CLICKS_UNRECORDED,
)


def metrics_view(request: HttpRequest) -> HttpResponse:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest()
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
