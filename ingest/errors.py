"""The response envelope every API route answers with, and the error that produces it.

LinkRunner clients read `{msg, status, data}` and some of them trust the body `status` rather
than the HTTP code, so both always carry the same number. Errors keep that shape: `msg` is for
people, `data.error` is a stable code for programs, `data.field` names the offending field.
"""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from rest_framework.utils.encoders import JSONEncoder


class ApiError(Exception):
    """A request we refuse; becomes a 4xx/5xx envelope."""

    def __init__(
        self,
        status: int,
        code: str,
        msg: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(msg)
        self.status = status
        self.code = code
        self.msg = msg
        self.field = field
        self.headers = headers or {}

    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"error": self.code}
        if self.field is not None:
            data["field"] = self.field
        return data


def envelope(msg: str, status: int = 200, data: Any = None, **top_level: Any) -> JsonResponse:
    """An envelope response; `top_level` mirrors keys beside the envelope (legacy clients)."""
    body = {"msg": msg, "status": status, "data": data, **top_level}
    return JsonResponse(body, status=status, encoder=JSONEncoder)


def error_response(error: ApiError) -> JsonResponse:
    response = envelope(error.msg, error.status, error.data())
    for name, value in error.headers.items():
        response[name] = value
    return response


def bad_request(code: str, msg: str, field: str | None = None) -> ApiError:
    return ApiError(400, code, msg, field=field)
