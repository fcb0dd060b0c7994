"""Under /api/ and /web/, Django's own 404 and 405 pages become the API's JSON envelope.

SDKs and servers parse every answer from /api/ as the envelope, but an unknown path gets Django's
HTML not-found page (its debug page under DEBUG) and a plain Django view refuses a method with an
empty HTML 405. They are replaced on their way out, neither by a handler404, which Django skips
under DEBUG, nor by a catch-all route, which would stop CommonMiddleware's slash redirect
(`/api/docs` to `/api/docs/`). So the middleware sits outside CommonMiddleware, and inside
SecurityMiddleware so the envelope still gets its headers. The browser collector's /web/ paths
are machine-read the same way; `/api` and `/web` themselves count too (campaign links never take
those words).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ingest.errors import ApiError, error_response

API_ROOTS = ("/api", "/web")
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
        if error is None or not _is_api_path(request.path_info):
            return response
        # A route's own answer (an unknown campaign, DRF's 405) is already an envelope.
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        envelope = error_response(error)
        if "Allow" in response:
            envelope["Allow"] = response["Allow"]
        return envelope


def _is_api_path(path: str) -> bool:
    return any(path == root or path.startswith(root + "/") for root in API_ROOTS)
