"""Apple's SKAdNetwork postback endpoint (/.well-known/skadnetwork/report-attribution/).

Apple posts one JSON report per install (and later windows); it retries until it gets a 200, so
the report is stored once per transaction id and a repeat is answered 200. Every report is kept
with whether Apple's signature on it verified (`postbacks.skan`); only verified winning reports
count as attributed installs (`won_postbacks`). A report that fails the check is still answered
200, as Apple asks, and a verified copy arriving later takes its place.
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from attribution.models import App, SkanPostback
from postbacks import skan

log = structlog.get_logger(__name__)


def _envelope(status: int, msg: str, data: Any = None) -> JsonResponse:
    return JsonResponse({"msg": msg, "status": status, "data": data}, status=status)


def _fine_value(report: dict[str, Any]) -> int | None:
    value = report.get("fine-conversion-value", report.get("conversion-value"))
    return int(value) if isinstance(value, int) and 0 <= value <= 63 else None


def _window(value: Any) -> int:
    """The conversion window (0-2) a report is for; anything else reads as the first."""
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 2 else 0
    )


def _project_id(app_id: str) -> int | None:
    app = App.objects.filter(platform="IOS", store_id=app_id).only("project_id").first()
    return app.project_id if app else None


@csrf_exempt
@require_POST
def report_attribution(request: HttpRequest) -> JsonResponse:
    try:
        report = json.loads(request.body)
    except ValueError:
        return _envelope(400, "Body must be JSON.")
    if not isinstance(report, dict) or not report.get("transaction-id"):
        return _envelope(400, "transaction-id is required.")
    app_id = str(report.get("app-id") or "")
    fields = {
        "project_id": _project_id(app_id),
        "ad_network_id": str(report.get("ad-network-id") or "")[:128],
        "app_id": app_id[:64],
        "source_identifier": str(
            report.get("source-identifier") or report.get("campaign-id") or ""
        )[:16],
        "fine_conversion_value": _fine_value(report),
        "coarse_conversion_value": str(report.get("coarse-conversion-value") or "")[:8],
        "did_win": skan.won(report),
        "verified": skan.verify(report),
        "postback_sequence_index": _window(report.get("postback-sequence-index")),
        "payload": report,
    }
    transaction_id = str(report["transaction-id"])[:128]
    try:
        with transaction.atomic():
            SkanPostback.objects.create(transaction_id=transaction_id, **fields)
    except IntegrityError:
        if not (fields["verified"] and _replace_unverified(transaction_id, fields)):
            return _envelope(200, "Already received.")
    log.info(
        "postbacks.skan.received",
        did_win=fields["did_win"],
        verified=fields["verified"],
        version=str(report.get("version") or "1.0")[:8],
        app_id=app_id,
    )
    return _envelope(200, "Received.")


def _replace_unverified(transaction_id: str, fields: dict[str, Any]) -> bool:
    """A forged report must not keep Apple's own out: the signed one replaces it."""
    return (
        SkanPostback.objects.filter(transaction_id=transaction_id, verified=False).update(**fields)
        == 1
    )


def won_postbacks(project_id: int) -> QuerySet[SkanPostback]:
    """The postbacks that count: Apple-signed winning reports for the project."""
    return SkanPostback.objects.filter(project_id=project_id, did_win=True, verified=True)
