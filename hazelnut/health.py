"""Liveness and readiness.

`/healthz` says the process answers. `/readyz` checks every service this process is configured to
use and names each with ok or error and its latency; apps add their own facts (the outbox depth,
say) through `register_check`, so this plumbing never imports them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse

Check = Callable[[], dict[str, Any] | None]
_checks: dict[str, Check] = {}


def register_check(name: str, check: Check) -> None:
    """Add a readiness check; it raises on failure and may return extra facts."""
    _checks[name] = check


def _database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"backend": connection.vendor}


def _redis() -> dict[str, Any]:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    client.ping()
    return {"embedded": settings.REDIS_EMBEDDED_SOCKET is not None}


def _broker() -> dict[str, Any]:
    from hazelnut.celery import app

    with app.connection_for_write() as broker_connection:
        broker_connection.ensure_connection(max_retries=1, timeout=3)
        transport = broker_connection.transport_cls
    return {"transport": str(transport)}


def _warehouse() -> dict[str, Any]:
    from hazelnut.warehouse import get_warehouse

    warehouse = get_warehouse()
    warehouse.ping()
    return {"backend": warehouse.name}


register_check("database", _database)
register_check("redis", _redis)
register_check("broker", _broker)
register_check("warehouse", _warehouse)


def run_checks() -> tuple[bool, dict[str, dict[str, Any]]]:
    results: dict[str, dict[str, Any]] = {}
    healthy = True
    for name, check in _checks.items():
        started = time.perf_counter()
        try:
            facts = check() or {}
            result: dict[str, Any] = {"status": "ok", **facts}
        except Exception as error:  # noqa: BLE001 - any failure means "not ready", reported
            healthy = False
            result = {"status": "error", "error": f"{type(error).__name__}: {error}"}
        result["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
        results[name] = result
    return healthy, results


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    healthy, results = run_checks()
    body = {"status": "ok" if healthy else "error", "services": results}
    return JsonResponse(body, status=200 if healthy else 503)
