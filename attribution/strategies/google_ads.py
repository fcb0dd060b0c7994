"""Google Ads: the gclid / gbraid / wbraid in the Play referrer (local, tier 1), and Google's own
claim through the App Conversion Tracking API (external, tier 2) when the project has a Google
network account (`credentials`: dev_token, link_id; optional `base_url` for tests).

A referrer `gad_campaignid` names the campaign the install goes to, overriding the App campaign
Google reports (LinkRunner's documented web-to-app rule).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from attribution import campaigns
from attribution.instants import from_epoch_seconds
from attribution.models import NetworkAccount
from attribution.strategies import accounts
from attribution.strategies.base import (
    TIER_DETERMINISTIC,
    TIER_REFERRER,
    Candidate,
    InstallContext,
    Outcome,
    stale_referrer,
)
from hazelnut.http import RetryPolicy, default_client

GOOGLE = "GOOGLE"
DEFAULT_BASE_URL = "https://www.googleadservices.com/pagead/conversion/app/1.0"


class GoogleAdsReferrer:
    name = "google_ads_referrer"
    external = False

    def can_handle(self, context: InstallContext) -> bool:
        return bool(context.referrer.google_click_ids)

    def run(self, context: InstallContext) -> Outcome:
        referrer = context.referrer
        if (stale := stale_referrer(context)) is not None:
            return stale
        # Anyone can write gad_campaignid into a store link, so the referrer alone only finds a
        # campaign; it registers none (Google's own claim below does).
        google_campaign = referrer.params.get("gad_campaignid", "")
        campaign, trace = campaigns.from_network_answer(
            context.project_id,
            GOOGLE,
            [google_campaign],
            "",
            fallback=campaigns.by_display_id(context.project_id, referrer.params.get("c")),
        )
        touched = referrer.click_time.timestamp() if referrer.click_time else None
        candidate = Candidate(
            strategy=self.name,
            tier=TIER_REFERRER,
            matched_by="google_click_id",
            network=GOOGLE,
            campaign_id=campaign.id if campaign else None,
            touched_at=touched,
            details={
                **referrer.google_click_ids,
                "gad_campaignid": referrer.params.get("gad_campaignid"),
                **trace,
            },
        )
        return Outcome([candidate], note="Google click id in the Play referrer")


def _account(project_id: int) -> NetworkAccount | None:
    return accounts.active_account(project_id, GOOGLE)


# Limit: the cross-network follow-up request Google expects after a claim is not sent yet.
class GoogleAdsApi:
    name = "google_ads_api"
    external = True

    def can_handle(self, context: InstallContext) -> bool:
        return (
            context.platform.upper() == "ANDROID"
            and bool(context.gaid or context.referrer.google_click_ids)
            and _account(context.project_id) is not None
        )

    def run(self, context: InstallContext) -> Outcome:
        account = _account(context.project_id)
        assert account is not None
        credentials: dict[str, Any] = account.credentials or {}
        result = default_client().send(
            "POST",
            str(credentials.get("base_url") or DEFAULT_BASE_URL),
            params=self._query(context, credentials),
            data=b"",
            policy=RetryPolicy(attempts=getattr(settings, "HAZELNUT_GOOGLE_ADS_ATTEMPTS", 3)),
        )
        details: dict[str, Any] = {"status": result.status, "error": result.error}
        if not result.ok:
            return Outcome(note="Google Ads API failed", details=details)
        answer = result.json()
        if not answer.get("attributed"):
            return Outcome(note="Google does not claim the install", details=details)
        event = (answer.get("ad_events") or [{}])[0]
        google_campaign = str(event.get("campaign_id") or "")
        override = context.referrer.params.get("gad_campaignid", "")
        # A registered gad_campaignid from the referrer still comes first; only the id Google's
        # answer vouches for is registered when neither is known.
        campaign, trace = campaigns.from_network_answer(
            context.project_id,
            GOOGLE,
            [override, google_campaign],
            google_campaign,
            name=str(event.get("campaign_name") or ""),
        )
        details.update(
            campaign_id=google_campaign,
            interaction_type=event.get("interaction_type"),
            network_type=event.get("network_type"),
            ad_group_id=event.get("ad_group_id"),
        )
        details.update(trace)
        candidate = Candidate(
            strategy=self.name,
            tier=TIER_DETERMINISTIC,
            matched_by="google_ads_claim",
            network=GOOGLE,
            campaign_id=campaign.id if campaign else None,
            touched_at=_epoch(event.get("timestamp")),
            details=details,
        )
        return Outcome([candidate], note="Google claims the install", details=details)

    @staticmethod
    def _query(context: InstallContext, credentials: dict[str, Any]) -> dict[str, str]:
        query = {
            "dev_token": str(credentials.get("dev_token", "")),
            "link_id": str(credentials.get("link_id", "")),
            "app_event_type": "first_open",
            "rdid": context.gaid or "00000000-0000-0000-0000-000000000000",
            "id_type": "advertisingid",
            "lat": "0" if context.gaid else "1",
            "app_version": context.app_version,
            "os_version": context.os_version,
            "sdk_version": "hazelnut-1",
            "timestamp": f"{context.at.timestamp():.6f}",
        }
        gclid = context.referrer.google_click_ids.get("gclid")
        if gclid:
            query["market_referrer_gclid"] = gclid
        if not context.gaid:
            query["gclid_only_request"] = "1"
        return query


def _epoch(raw: object) -> float | None:
    moment = from_epoch_seconds(raw)
    return moment.timestamp() if moment else None
