"""Who is calling: the project behind an SDK token, a server key or a web token.

Projects are looked up once and then kept in a small in-process cache for a few seconds, so the
hot path does not pay a query per request for a row that almost never changes. SDK requests are
also checked against their HMAC signature when they carry one, or when the project demands one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.conf import settings
from django.http import HttpRequest

from attribution import queries
from attribution.models import Project
from hazelnut import metrics
from ingest import signing
from ingest.errors import ApiError

T = TypeVar("T")

# Limit: a deactivated project or revoked signing key keeps working for up to this long per process.
CACHE_SECONDS = 10.0
_MAX_ENTRIES = 10_000
_cache: dict[tuple[str, str], tuple[float, Any]] = {}


def cached(kind: str, key: str, load: Callable[[], T]) -> T:
    """`load()`, remembered for a few seconds under (kind, key)."""
    now = time.monotonic()
    hit = _cache.get((kind, key))
    if hit is not None and hit[0] > now:
        metrics.CACHE_LOOKUPS.labels(kind, "hit").inc()
        return cast(T, hit[1])
    metrics.CACHE_LOOKUPS.labels(kind, "miss").inc()
    value = load()
    if len(_cache) >= _MAX_ENTRIES:
        _cache.clear()
    _cache[(kind, key)] = (now + CACHE_SECONDS, value)
    return value


def clear_cache() -> None:
    _cache.clear()


def _unauthorized(code: str, msg: str) -> ApiError:
    return ApiError(401, code, msg)


def _token_in(value: Any) -> str:
    """The body's token, or the 400 that says whether it is missing or not a string."""
    if value is None or value == "":
        raise ApiError(400, "missing_field", "'token' is required.", field="token")
    if not isinstance(value, str):
        raise ApiError(400, "invalid_type", "'token' must be a string.", field="token")
    return value


def sdk_project(request: HttpRequest, raw: bytes, body: dict[str, Any]) -> Project:
    """The project of an SDK call (token in the body), its signature verified."""
    token = _token_in(body.get("token"))
    project = cached("token", token, lambda: queries.project_by_token(token))
    if project is None:
        raise _unauthorized("unknown_token", "Invalid project token.")
    verify_signature(request, raw, project)
    return project


def project_for_token(token: str) -> Project:
    """The project of a bare SDK token (legacy GET routes, no body to sign)."""
    if not token:
        raise ApiError(400, "missing_field", "'token' is required.", field="token")
    project = cached("token", token, lambda: queries.project_by_token(token))
    if project is None:
        raise _unauthorized("unknown_token", "Invalid project token.")
    return project


def verify_signature(request: HttpRequest, raw: bytes, project: Project) -> None:
    headers = signing.signed_headers(request.META)
    if headers is None:
        if project.signature_required:
            raise _unauthorized("signature_required", "This project accepts signed requests only.")
        return
    if not headers.key_id or not headers.signature:
        raise _unauthorized("invalid_signature", "Signed request lacks x-Key-Id or x-Signature.")
    now_ms = int(time.time() * 1000)
    if not signing.timestamp_fresh(
        headers.timestamp, now_ms, settings.HAZELNUT_SIGNATURE_MAX_SKEW_SECONDS
    ):
        raise _unauthorized("stale_timestamp", "Request timestamp is missing or too far from now.")
    secret = cached(
        "signing",
        f"{project.pk}:{headers.key_id}",
        lambda: queries.signing_secret(project.pk, headers.key_id),
    )
    if secret is None or not signing.signature_matches(secret, headers, raw):
        raise _unauthorized("invalid_signature", "Request signature is invalid.")


def server_project(request: HttpRequest) -> Project:
    """The project of a server-to-server call, from the `linkrunner-key` header."""
    if not request.META.get("HTTP_LINKRUNNER_KEY", "").strip():
        raise _unauthorized("missing_key", "Server key missing!")
    project = keyed_project(request)
    if project is None:
        raise _unauthorized("invalid_key", "Server key invalid!")
    return project


def keyed_project(request: HttpRequest) -> Project | None:
    """The project whose server key the `linkrunner-key` header carries, if it carries one."""
    key = request.META.get("HTTP_LINKRUNNER_KEY", "").strip()
    if not key:
        return None
    return cached("server", signing.content_hash(key.encode()), lambda: _server_lookup(key))


def _server_lookup(key: str) -> Project | None:
    return queries.project_by_server_key(key)


def revenuecat_project(request: HttpRequest) -> Project:
    """The project of a RevenueCat webhook, from the Authorization header its dashboard sends
    (the token as it is, or after `Bearer `)."""
    token = request.META.get("HTTP_AUTHORIZATION", "").strip().removeprefix("Bearer ").strip()
    if not token:
        raise _unauthorized("missing_key", "Authorization header missing!")
    digest = signing.content_hash(token.encode())
    project = cached("revenuecat", digest, lambda: queries.project_by_revenuecat_token(token))
    if project is None:
        raise _unauthorized("invalid_key", "Authorization invalid!")
    return project


def web_project(token: Any) -> Project:
    token = _token_in(token)
    project = cached("web", token, lambda: queries.project_by_web_token(token))
    if project is None:
        raise _unauthorized("unknown_token", "Invalid web token.")
    return project
