"""The first steps of every SDK route: body, project, signature, rate limit, validation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from attribution.models import Project
from ingest import auth, idempotency, ratelimit
from ingest.body import read_object
from ingest.errors import ApiError
from ingest.fields import Schema


def accept(request: HttpRequest, schema: Schema) -> tuple[Project, dict[str, Any]]:
    """The calling project and the validated fields, or an ApiError."""
    raw, body = read_object(request)
    project = auth.sdk_project(request, raw, body)
    ratelimit.check(ratelimit.SDK, project.pk)
    return project, schema.validate(body)


def install_missing(project_id: int, install_instance_id: str) -> ApiError:
    """The refusal of an update to an install that has no row (yet)."""
    # Limit: if Redis loses the launch key while a worker lags, a late install is answered 404.
    if idempotency.launch_seen(project_id, install_instance_id) is False:
        # No init was accepted for it: retrying cannot help, so no 5xx (the SDKs would retry).
        return ApiError(
            404,
            "unknown_install",
            "No install with this install_instance_id; call init first.",
            field="install_instance_id",
        )
    # 503 because the SDKs retry it (2, 4, 8, 16 s): the install row is only late, not missing.
    return ApiError(
        503,
        "install_pending",
        "Install is not recorded yet; retry shortly.",
        headers={"Retry-After": "2"},
    )
