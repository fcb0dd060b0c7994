"""Apple AdServices: the SDK's attribution token is posted to Apple's attribution API, which
answers whether an Apple Search Ads campaign drove the install.

Apple answers 404 while its record is not ready (and for tokens older than 24 h) and advises
retrying every 5 seconds, three tries at most (case C23); those retries run here, inside the
external-strategy task, so they never hold up local attribution. The base URL comes from the
project's APPLE_SEARCH_ADS network account (`credentials.base_url`) or the
HAZELNUT_APPLE_ADSERVICES_URL setting, so tests point it at a local fake.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from attribution import campaigns
from attribution.instants import from_iso
from attribution.models import NetworkAccount
from attribution.strategies.base import TIER_DETERMINISTIC, Candidate, InstallContext, Outcome
from hazelnut.http import RetryPolicy, default_client

APPLE = "APPLE_SEARCH_ADS"
DEFAULT_URL = "https://api-adservices.apple.com/api/v1/"
TOKEN_KEYS = ("adservices_attribution_token", "adservices_token")
_KEPT_FIELDS = (
    "orgId",
    "campaignId",
    "adGroupId",
    "keywordId",
    "adId",
    "conversionType",
    "claimType",
    "countryOrRegion",
    "supplyPlacement",
    "clickDate",
    "impressionDate",
)


def token_of(context: InstallContext) -> str | None:
    for key in TOKEN_KEYS:
        value = context.device_data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _url(project_id: int) -> str:
    account = (
        NetworkAccount.objects.filter(project_id=project_id, network__code=APPLE, active=True)
        .order_by("id")
        .first()
    )
    configured = (account.credentials or {}).get("base_url") if account else None
    return str(configured or getattr(settings, "HAZELNUT_APPLE_ADSERVICES_URL", DEFAULT_URL))


def _policy() -> RetryPolicy:
    return RetryPolicy(
        attempts=3,
        fixed_delay_seconds=float(getattr(settings, "HAZELNUT_APPLE_RETRY_SECONDS", 5.0)),
        extra_retry_statuses=frozenset({404}),
    )


class AppleAdServices:
    name = "apple_adservices"
    external = True

    def can_handle(self, context: InstallContext) -> bool:
        return context.platform.upper() == "IOS" and token_of(context) is not None

    def run(self, context: InstallContext) -> Outcome:
        token = token_of(context)
        assert token is not None
        result = default_client().send(
            "POST",
            _url(context.project_id),
            headers={"Content-Type": "text/plain"},
            data=token.encode(),
            policy=_policy(),
        )
        details: dict[str, Any] = {"status": result.status, "calls": len(result.attempts)}
        if result.status == 404:
            # Limit: after the last 404 the SDK is not yet asked for a fresh token.
            return Outcome(note="Apple has no record after retries", details=details)
        if not result.ok:
            return Outcome(note="Apple API failed", details={**details, "error": result.error})
        answer = result.json()
        if not answer.get("attribution"):
            return Outcome(note="Apple: not an Apple Search Ads install", details=details)
        return Outcome([self._candidate(context, answer, details)], note="Apple claims the install")

    def _candidate(
        self, context: InstallContext, answer: dict[str, Any], details: dict[str, Any]
    ) -> Candidate:
        apple_campaign = str(answer.get("campaignId") or "")
        ids = [str(answer.get("adGroupId") or ""), apple_campaign]
        # Apple names no campaign, so a registered one gets a default name.
        campaign, trace = campaigns.from_network_answer(
            context.project_id, APPLE, ids, apple_campaign
        )
        details.update({k: answer[k] for k in _KEPT_FIELDS if k in answer})
        details.update(trace)
        return Candidate(
            strategy=self.name,
            tier=TIER_DETERMINISTIC,
            matched_by="apple_adservices",
            network=APPLE,
            campaign_id=campaign.id if campaign else None,
            touched_at=_apple_time(answer.get("clickDate") or answer.get("impressionDate")),
            details=details,
        )


def _apple_time(raw: object) -> float | None:
    """Apple dates look like 2024-10-08T17:17Z."""
    moment = from_iso(raw)
    return moment.timestamp() if moment else None
