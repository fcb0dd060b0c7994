"""Server-to-server read of an install's decision trace: how its attribution was decided.

GET /api/v1/attribution-decision?install_instance_id=<id> (or the id as a path argument), with
the project's server key in the `linkrunner-key` header. Answers in the API envelope
{msg, status, data}; data = {install_instance_id, status, attribution_type, source, network,
campaign, decision}.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from attribution.models import Install
from attribution.queries import project_by_server_key


def _envelope(msg: str, status: int, data: Any = None) -> JsonResponse:
    return JsonResponse({"msg": msg, "status": status, "data": data}, status=status)


@require_GET
def decision_trace(request: HttpRequest, install_instance_id: str | None = None) -> JsonResponse:
    key = request.headers.get("linkrunner-key", "").strip()
    project = project_by_server_key(key) if key else None
    if project is None:
        return _envelope("Server key missing or invalid!", 401)
    wanted = install_instance_id or request.GET.get("install_instance_id", "")
    if not wanted:
        return _envelope(
            "'install_instance_id' is required.", 400, {"field": "install_instance_id"}
        )
    install = (
        Install.objects.select_related("campaign")
        .filter(project=project, install_instance_id=wanted)
        .first()
    )
    if install is None:
        return _envelope("Install not found.", 404)
    return _envelope(
        "Decision trace",
        200,
        {
            "install_instance_id": install.install_instance_id,
            "status": install.status,
            "attribution_type": install.attribution_type,
            "source": install.source,
            "network": install.network_code or None,
            "campaign": install.campaign.display_id if install.campaign else None,
            "is_reinstall": install.is_reinstall,
            "decision": install.decision,
        },
    )
