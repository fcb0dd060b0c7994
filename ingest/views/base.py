"""What every DRF route of the edge shares: the envelope on errors, raw-body JSON, no auth.

DRF's own parsers are never run (request.data is never read): the raw bytes are needed for
signatures, and JSON is decoded with Decimal numbers (see ingest.body). JSONParser is listed only
so the OpenAPI schema says the bodies are JSON.
"""

from __future__ import annotations

from typing import Any

import structlog
from django.http import HttpResponse
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.views import APIView

from ingest.errors import ApiError, bad_request, envelope, error_response

log = structlog.get_logger(__name__)


def handle_exception(exc: Exception, context: dict[str, Any]) -> HttpResponse | None:
    if isinstance(exc, ApiError):
        return error_response(exc)
    if isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "invalid_request"
        response = envelope(str(exc.detail), exc.status_code, {"error": code})
        if isinstance(exc, exceptions.MethodNotAllowed):
            view = context.get("view")
            if view is not None:
                response["Allow"] = ", ".join(view.allowed_methods)
        return response
    log.error("ingest.request.failed", error=type(exc).__name__, exc_info=exc)
    return envelope("Internal server error.", 500, {"error": "internal_error"})


class AnyAccept(BaseContentNegotiation):
    """Every route answers JSON whatever the client's Accept header says (old SDKs vary)."""

    def select_parser(self, request: Any, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


class EdgeView(APIView):
    authentication_classes = ()
    permission_classes = ()
    parser_classes = (JSONParser,)
    content_negotiation_class = AnyAccept

    def get_exception_handler(self) -> Any:
        return handle_exception

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # PostgreSQL cannot hold NUL in text; refused here rather than failing in a query.
        if any("\x00" in key + value for key, value in request.GET.items()):
            raise bad_request("invalid_query", "Query parameters may not contain NUL characters.")
