"""The plumbing every reporting route shares: server-key auth, the {msg, status, data} envelope,
and parsing of the query parameters the contract documents (pages, dates, time zones).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from attribution import queries
from attribution.models import Project

# The view gets the request, the key's project and the route's path arguments.
View = Callable[..., dict[str, Any]]
TIMESTAMP_FORMATS = ("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


class ReportError(Exception):
    def __init__(
        self,
        status: int,
        msg: str,
        code: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(msg)
        self.status, self.msg, self.code, self.field = status, msg, code, field
        self.headers = headers or {}


def envelope(msg: str, status: int, data: Any) -> JsonResponse:
    return JsonResponse({"msg": msg, "status": status, "data": data}, status=status)


def _project(request: HttpRequest) -> Project:
    key = request.headers.get("linkrunner-key", "")
    if not key:
        raise ReportError(401, "Server key missing!", "missing_key")
    project = queries.project_by_server_key(key)
    if project is None:
        raise ReportError(401, "Server key invalid!", "invalid_key")
    return project


def api_view(view: View) -> Callable[..., JsonResponse]:
    """A GET route authenticated by `linkrunner-key`, answering in the envelope (a 405 in it for
    any other method: a server key is no browser session, so no CSRF check applies)."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, **path_arguments: str) -> JsonResponse:
        if request.method not in ("GET", "HEAD"):
            refused = envelope("Method not allowed.", 405, {"error": "method_not_allowed"})
            refused["Allow"] = "GET, HEAD"
            return refused
        try:
            data = view(request, _project(request), **path_arguments)
        except ReportError as error:
            detail = {"error": error.code, **({"field": error.field} if error.field else {})}
            response = envelope(error.msg, error.status, detail)
            for name, value in error.headers.items():
                response[name] = value
            return response
        return envelope("Success", 200, data)

    return wrapper


# Far past any real listing, and page * limit stays inside a 64-bit OFFSET.
MAX_PAGE = 1_000_000


def page_and_limit(request: HttpRequest, *, default: int, maximum: int) -> tuple[int, int]:
    page = _positive_int(request, "page", 1, maximum=MAX_PAGE)
    limit = _positive_int(request, "limit", default, maximum=maximum)
    return page, limit


def _positive_int(request: HttpRequest, name: str, default: int, maximum: int | None) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ReportError(
            422, f"'{name}' must be a whole number.", "invalid_" + name, name
        ) from None
    if value < 1 or (maximum is not None and value > maximum):
        bound = f" between 1 and {maximum}" if maximum else " at least 1"
        raise ReportError(422, f"'{name}' must be{bound}.", "invalid_" + name, name)
    return value


def pagination(total: int, page: int, limit: int) -> dict[str, int]:
    return {
        "total": total,
        "pages": math.ceil(total / limit) if total else 0,
        "page": page,
        "limit": limit,
    }


def time_zone(request: HttpRequest) -> ZoneInfo:
    name = request.GET.get("timezone") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ReportError(400, "Invalid timezone.", "invalid_timezone", "timezone") from None


def timestamp(request: HttpRequest, name: str, zone: ZoneInfo) -> dt.datetime | None:
    raw = request.GET.get(name)
    if not raw:
        return None
    for fmt in TIMESTAMP_FORMATS:
        try:
            return dt.datetime.strptime(raw, fmt).replace(tzinfo=zone)
        except ValueError:
            continue
    raise ReportError(400, f"Invalid '{name}'.", f"invalid_{name}", name)


def day(request: HttpRequest, *names: str) -> dt.date | None:
    for name in names:
        raw = request.GET.get(name)
        if raw:
            try:
                return dt.date.fromisoformat(raw)
            except ValueError:
                raise ReportError(
                    422, f"'{name}' must be YYYY-MM-DD.", "invalid_date", name
                ) from None
    return None


def choice(request: HttpRequest, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = (request.GET.get(name) or default).strip()
    match = next((option for option in allowed if option.lower() == value.lower()), None)
    if match is None:
        raise ReportError(400, f"Invalid '{name}'.", f"invalid_{name}", name)
    return match


def iso(value: dt.datetime | None, zone: ZoneInfo | None = None) -> str | None:
    if value is None:
        return None
    if zone is not None:
        value = value.astimezone(zone)
    return value.isoformat(timespec="milliseconds")
