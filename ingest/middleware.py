"""Under /api/, Django's own 404 and 405 pages become the API's JSON envelope.

SDKs and servers parse every answer from /api/ as the envelope, but an unknown path gets Django's
HTML not-found page (its debug page under DEBUG) and a plain Django view refuses a method with an
empty HTML 405. They are replaced on their way out, neither by a handler404, which Django skips
under DEBUG, nor by a catch-all route, which would stop CommonMiddleware's slash redirect
(`/api/docs` to `/api/docs/`). So the middleware sits outside CommonMiddleware, and inside
SecurityMiddleware so the envelope still gets its headers.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ingest.errors import ApiError, error_response

API_PREFIX = "/api/"
REPLACED = {
    404: ApiError(404, "unknown_route", "No API route at this path."),
    405: ApiError(405, "method_not_allowed", "Method not allowed."),
}


class ApiErrorPageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        error = REPLACED.get(response.status_code)
        if error is None or not request.path_info.startswith(API_PREFIX):
            return response
        # A route's own answer (an unknown campaign, DRF's 405) is already an envelope.
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        envelope = error_response(error)
        if "Allow" in response:
            envelope["Allow"] = response["Allow"]
        return envelope
