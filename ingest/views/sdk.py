"""The first steps of every SDK route: body, project, signature, rate limit, validation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from attribution.models import Project
from ingest import auth, ratelimit
from ingest.body import read_object
from ingest.errors import ApiError
from ingest.fields import Schema


def accept(request: HttpRequest, schema: Schema) -> tuple[Project, dict[str, Any]]:
    """The calling project and the validated fields, or an ApiError."""
    raw, body = read_object(request)
    project = auth.sdk_project(request, raw, body)
    ratelimit.check(ratelimit.SDK, project.pk)
    return project, schema.validate(body)


def install_pending() -> ApiError:
    # 503 because the SDKs retry it (2, 4, 8, 16 s): the install row is only late, not missing.
    return ApiError(
        503,
        "install_pending",
        "Install is not recorded yet; retry shortly.",
        headers={"Retry-After": "2"},
    )
