"""Structured logging: JSON lines in production, readable lines in development.

Every line carries the request id, trace id and project id bound for the current request or
task (structlog contextvars). Personal data never reaches a line: known personal keys are
masked by `redact_personal_data` whatever the caller passed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any

import structlog

_PERSONAL_KEYS = frozenset({"email", "phone", "name", "gaid", "idfa", "idfv", "android_id", "ip"})
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _mask(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return value
    # Keep a short prefix so two lines about the same device can still be told apart.
    return value[:4] + "…" if len(value) > 8 else "…"


def redact_personal_data(
    logger: Any, method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event):
        if key in _PERSONAL_KEYS:
            event[key] = _mask(event[key])
        elif isinstance(event[key], str) and _EMAIL.search(event[key]):
            event[key] = _EMAIL.sub("<email>", event[key])
    return event


def _add_trace_id(
    logger: Any, method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    if "trace_id" not in event:
        from opentelemetry import trace

        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            event["trace_id"] = format(context.trace_id, "032x")
    return event


def configure(log_format: str, level: str) -> None:
    """Route structlog and the standard library through one renderer."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_trace_id,
        redact_personal_data,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        # A plain traceback: rich's default renders every frame's locals, which prints request
        # bodies and tokens past the redaction and took minutes of CPU on one large request.
        else structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
