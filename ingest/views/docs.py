"""OpenAPI descriptions shared by the routes: the envelope and the common error answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers

from ingest.fields import Schema

F = TypeVar("F", bound=Callable[..., Any])

ENVELOPE = inline_serializer(
    "Envelope",
    {
        "msg": serializers.CharField(),
        "status": serializers.IntegerField(help_text="Always equal to the HTTP status."),
        "data": serializers.JSONField(allow_null=True),
    },
)


def error_doc(status: int, msg: str, code: str) -> OpenApiResponse:
    return OpenApiResponse(
        ENVELOPE,
        description=msg,
        examples=[
            OpenApiExample(
                code,
                value={"msg": msg, "status": status, "data": {"error": code}},
                status_codes=[status],
            )
        ],
    )


SDK_ERRORS = {
    400: error_doc(400, "'install_instance_id' is required.", "missing_field"),
    401: error_doc(401, "Invalid project token.", "unknown_token"),
    413: error_doc(413, "Request body is larger than 64 KB.", "body_too_large"),
    429: error_doc(429, "Rate limit exceeded. Please try again later.", "rate_limited"),
}
INSTALL_UPDATE_ERRORS = {
    **SDK_ERRORS,
    404: error_doc(
        404, "No install with this install_instance_id; call init first.", "unknown_install"
    ),
    503: error_doc(503, "Install is not recorded yet; retry shortly.", "install_pending"),
}
SERVER_ERRORS = {
    400: error_doc(400, "'user_id' is required.", "missing_field"),
    401: error_doc(401, "Server key invalid!", "invalid_key"),
    429: error_doc(429, "Rate limit exceeded. Please try again later.", "rate_limited"),
}


def documented(
    schema: Schema | None,
    *,
    summary: str,
    tag: str,
    request_example: dict[str, Any] | None = None,
    responses: dict[int, tuple[str, Any]],
    errors: dict[int, OpenApiResponse],
    method: str | None = None,
) -> Callable[[F], F]:
    """extend_schema for one route: request body, success examples and the error envelopes."""
    documented_responses: dict[int, Any] = dict(errors)
    for status, (msg, data) in responses.items():
        if status == 204:
            documented_responses[204] = OpenApiResponse(description=msg)
            continue
        documented_responses[status] = OpenApiResponse(
            ENVELOPE,
            description=msg,
            examples=[
                OpenApiExample(
                    f"{status}",
                    value={"msg": msg, "status": status, "data": data},
                    status_codes=[status],
                )
            ],
        )
    examples = []
    if request_example is not None:
        examples.append(OpenApiExample("request", value=request_example, request_only=True))
    return extend_schema(
        summary=summary,
        tags=[tag],
        request=schema.serializer() if schema else None,
        responses=documented_responses,
        examples=examples,
        methods=[method] if method else None,
    )
