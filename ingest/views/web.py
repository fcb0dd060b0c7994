"""`POST /web/ingest` (and the legacy `/web/collect`): page views and events from browsers.

Browsers call cross-origin, so the route answers CORS preflights and echoes an allowed Origin.
An origin is allowed when a project lists it (a line `*` allows any); requests without an
Origin header (same-origin, server relays) are not subject to the check.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from attribution import queries
from attribution.contracts import RECORD_PAGE_VIEW
from attribution.models import Project
from hazelnut.net import normalize_ip
from ingest import auth, messages, ratelimit, web
from ingest.body import parse_object, raw_body
from ingest.errors import ApiError, envelope, error_response
from ingest.publish import publish


@csrf_exempt
def collect(request: HttpRequest) -> HttpResponse:
    origin = request.META.get("HTTP_ORIGIN", "").rstrip("/")
    if request.method == "OPTIONS":
        return _preflight(origin)
    if request.method != "POST":
        response: HttpResponse = envelope(
            "Method not allowed.", 405, {"error": "method_not_allowed"}
        )
        response["Allow"] = "POST, OPTIONS"
        return response
    project: Project | None = None
    try:
        body, key_project_id = web.open_body(parse_object(raw_body(request)))
        project = auth.web_project(body.get("token"))
        if key_project_id is not None and key_project_id != project.pk:
            raise ApiError(401, "unknown_key", "The encryption key belongs to another project.")
        if origin and not _allows(project.origins(), origin):
            raise ApiError(403, "origin_not_allowed", "This origin may not send events here.")
        ratelimit.check(ratelimit.SDK, project.pk)
        publish(RECORD_PAGE_VIEW, _message(request, project.pk, web.clean_event(body)))
        response = envelope("Event received.", 202)
    except ApiError as error:
        response = error_response(error)
    if origin and project is not None and _allows(project.origins(), origin):
        _cors(response, origin)
    return response


def _message(request: HttpRequest, project_id: int, event: dict[str, Any]) -> dict[str, Any]:
    """The flat page-view message attribution.pageviews reads, the event's own keys included.

    The visitor's IP and agent are ours to decide (the request's); the time is when we received
    it, since browser clocks drift (the event keeps its client_timestamp). A server relaying its
    visitors' events may name the visitor's IP in X-Linkrunner-Visitor-IP, and it is believed
    only with the project's server key: the web token is public, and IP matching credits clicks.
    """
    explicit = None
    relay = auth.keyed_project(request)
    if relay is not None and relay.pk == project_id:
        explicit = normalize_ip(request.META.get("HTTP_X_LINKRUNNER_VISITOR_IP"))
    return {
        **event,
        "project_id": project_id,
        "referrer": event.get("document_referrer") or "",
        "ip": explicit or messages.request_ip(request),
        "user_agent": messages.user_agent(request) or str(event.get("user_agent") or ""),
        "occurred_at": messages.now_iso(),
    }


def _allows(origins: set[str], origin: str) -> bool:
    return "*" in origins or origin in origins


def _preflight(origin: str) -> HttpResponse:
    response = HttpResponse(status=204)
    if origin and _allows(auth.cached("origins", "all", queries.allowed_origins), origin):
        _cors(response, origin)
        response["Access-Control-Max-Age"] = "600"
    return response


def _cors(response: HttpResponse, origin: str) -> None:
    response["Access-Control-Allow-Origin"] = origin
    response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Vary"] = "Origin"
