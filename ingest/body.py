"""Reading a request body: raw bytes first (they are what a signature covers), then JSON.

Numbers with a fraction are parsed as Decimal so money never passes through a float; NaN and
Infinity are refused because no client has a reason to send them. So are strings holding NUL or an
unpaired surrogate (only reachable through `\\u` escapes): no database stores them, and taking
them would fail later, half-way through a write. Objects and arrays nested deeper than
`MAX_DEPTH` are refused too: every later step that walks a payload recurses, and no SDK nests
its data more than a few levels.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.http.request import RawPostDataException

from ingest.errors import ApiError, bad_request

MAX_BODY_BYTES = 64 * 1024
MAX_DEPTH = 32


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def raw_body(request: HttpRequest, limit: int = MAX_BODY_BYTES) -> bytes:
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared == "0" and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        # WSGI hands Django no length, so it would read the body as empty; say so instead.
        raise ApiError(411, "length_required", "Send the body with a Content-Length, not chunked.")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    try:
        data = request.body
    except RawPostDataException:  # pragma: no cover - body already streamed by a parser
        raise bad_request("invalid_body", "The request body could not be read.") from None
    if len(data) > limit:
        raise _too_large(limit)
    return data


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "body_too_large", f"Request body is larger than {limit // 1024} KB.")


def parse_object(data: bytes) -> dict[str, Any]:
    """The body as a JSON object, or a 400 saying what is wrong with it."""
    if not data.strip():
        raise bad_request("invalid_json", "Request body is empty; a JSON object is required.")
    try:
        value = json.loads(data, parse_float=Decimal, parse_constant=_refuse_constant)
    except RecursionError:
        raise _too_deep() from None
    except (ValueError, UnicodeDecodeError):
        raise bad_request("invalid_json", "Request body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise bad_request("invalid_json", "Request body must be a JSON object.")
    # Fewer brackets than the limit cannot nest past it, so most bodies skip the walk.
    if data.count(b"{") + data.count(b"[") > MAX_DEPTH and _deeper_than(value, MAX_DEPTH):
        raise _too_deep()
    if b"\\u" in data and not _storable(value):
        raise bad_request(
            "invalid_json", "Request body has a string with a NUL or unpaired surrogate character."
        )
    return value


def _too_deep() -> ApiError:
    return bad_request(
        "invalid_json", f"Request body nests objects or arrays more than {MAX_DEPTH} levels deep."
    )


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether objects and arrays in `value` nest more than `limit` levels (without recursing)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                pending.append((child, depth + 1))
    return False


def _storable(value: Any) -> bool:
    """No string in `value` (keys included) holds NUL or a lone surrogate."""
    if isinstance(value, str):
        return _encodable(value)
    if isinstance(value, dict):
        return all(_storable(key) and _storable(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    return True


def _encodable(text: str) -> bool:
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_object(request: HttpRequest, limit: int = MAX_BODY_BYTES) -> tuple[bytes, dict[str, Any]]:
    data = raw_body(request, limit)
    return data, parse_object(data)
