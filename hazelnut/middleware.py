"""Request context: a request id on every response and bound to every log line."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse

from hazelnut import metrics

REQUEST_ID_HEADER = "X-Request-ID"


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        supplied = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = supplied if 0 < len(supplied) <= 64 else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        match = request.resolver_match
        metrics.HTTP_REQUEST_SECONDS.labels(
            route=match.route if match else "unmatched",
            method=request.method or "",
            status_class=f"{response.status_code // 100}xx",
        ).observe(time.perf_counter() - started)
        return response
