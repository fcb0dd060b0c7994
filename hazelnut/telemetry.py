"""Tracing (OpenTelemetry) and error reporting (Sentry), each on only when configured.

Tracing follows the standard OTEL_* variables: with none set, no provider is installed and the
instrumentation costs nothing. The Celery instrumentation writes the W3C trace context into each
task's message headers, so one trace runs from the HTTP request through the broker into
attribution and every postback.
"""

from __future__ import annotations

import os
from typing import Any

_TRACING_VARIABLES = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_TRACES_EXPORTER",
)
_initialised = False


def tracing_configured() -> bool:
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "")
    if exporter == "none" or os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    return any(os.environ.get(name) for name in _TRACING_VARIABLES)


def init(sentry_dsn: str | None) -> None:
    """Idempotent: called by every entry point (web, worker, gRPC server)."""
    global _initialised
    if _initialised:
        return
    _initialised = True
    if sentry_dsn:
        _init_sentry(sentry_dsn)
    if tracing_configured():
        install_tracing()


def _init_sentry(dsn: str) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )


def install_tracing(exporter: Any = None) -> None:
    """Install a tracer provider and instrument every library we trace.

    `exporter` defaults to the OTLP exporter configured by OTEL_* variables (or the console one);
    tests pass an in-memory exporter.
    """
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SpanExporter,
    )

    service = os.environ.get("OTEL_SERVICE_NAME", "hazelnut")
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if exporter is None:
        exporter = (
            ConsoleSpanExporter()
            if os.environ.get("OTEL_TRACES_EXPORTER") == "console"
            else OTLPSpanExporter()
        )
    chosen: SpanExporter = exporter
    provider.add_span_processor(BatchSpanProcessor(chosen))
    trace.set_tracer_provider(provider)

    DjangoInstrumentor().instrument()
    CeleryInstrumentor().instrument()
    PsycopgInstrumentor().instrument(enable_commenter=False)
    RedisInstrumentor().instrument()
    RequestsInstrumentor().instrument()
