"""Server-to-server read of an install's decision trace: how its attribution was decided.

GET /api/v1/attribution-decision?install_instance_id=<id> (or the id as a path argument), with
the project's server key in the `linkrunner-key` header. Answers in the API envelope
{msg, status, data}; data = {install_instance_id, status, attribution_type, source, network,
campaign, is_reinstall, decision}.

The route lives at the edge because only the edge knows an install it accepted but the workers
have not stored yet (the `init` launch key): that one is PENDING with no decision, not a 404.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from attribution import queries
from attribution.models import Project
from attribution.reports.http import ReportError, api_view
from ingest import idempotency


@api_view
def decision_trace(
    request: HttpRequest, project: Project, install_instance_id: str | None = None
) -> dict[str, Any]:
    wanted = install_instance_id or request.GET.get("install_instance_id", "")
    if not wanted:
        raise ReportError(
            400, "'install_instance_id' is required.", "missing_field", "install_instance_id"
        )
    found = queries.decision_of(project.pk, wanted)
    if found is not None:
        return found
    if idempotency.launch_seen(project.pk, wanted):
        pending = dict.fromkeys(
            ("attribution_type", "source", "network", "campaign", "is_reinstall", "decision")
        )
        return {"install_instance_id": wanted, "status": "PENDING", **pending}
    raise ReportError(404, "Install not found.", "install_not_found")
