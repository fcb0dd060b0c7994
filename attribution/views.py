"""Server-to-server read of an install's decision trace: how its attribution was decided.

GET /api/v1/attribution-decision?install_instance_id=<id> (or the id as a path argument), with
the project's server key in the `linkrunner-key` header. Answers in the API envelope
{msg, status, data}; data = {install_instance_id, status, attribution_type, source, network,
campaign, decision}.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from attribution.models import Install, Project
from attribution.reports.http import ReportError, api_view


@api_view
def decision_trace(
    request: HttpRequest, project: Project, install_instance_id: str | None = None
) -> dict[str, Any]:
    wanted = install_instance_id or request.GET.get("install_instance_id", "")
    if not wanted:
        raise ReportError(
            400,
            "'install_instance_id' is required.",
            "missing_field",
            "install_instance_id",
        )
    install = (
        Install.objects.select_related("campaign")
        .filter(project=project, install_instance_id=wanted)
        .first()
    )
    if install is None:
        raise ReportError(404, "Install not found.", "install_not_found")
    return {
        "install_instance_id": install.install_instance_id,
        "status": install.status,
        "attribution_type": install.attribution_type,
        "source": install.source,
        "network": install.network_code or None,
        "campaign": install.campaign.display_id if install.campaign else None,
        "is_reinstall": install.is_reinstall,
        "decision": install.decision,
    }
