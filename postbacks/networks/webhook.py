"""The customer's own webhook: LinkRunner's JSON body and `linkrunner-key` header, plus what
LinkRunner lacks, an HMAC-SHA256 signature of the exact body and a delivery id that stays the
same on every retry. Slack incoming-webhook URLs get a readable Slack message instead."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any
from urllib.parse import urlsplit

from attribution.api import EventFacts, InstallFacts
from postbacks.frozen import FrozenRequest, json_body

DELIVERY_HEADER = "X-Hazelnut-Delivery-Id"
SIGNATURE_HEADER = "X-Hazelnut-Signature"
TIMESTAMP_HEADER = "X-Hazelnut-Timestamp"
DESTINATION = "webhook"


def iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def is_slack(url: str) -> bool:
    return (urlsplit(url).hostname or "").lower() == "hooks.slack.com"


def body(install: InstallFacts, event: EventFacts | None) -> dict[str, Any]:
    user = event.user if event is not None else {}
    network = install.network_code if install.paid else "ORGANIC"
    return {
        "event_type": "install" if event is None else "signup",
        "user_id": event.user_id if event is not None else None,
        "campaign_id": install.campaign_display_id or None,
        "campaign_name": install.campaign_name or None,
        "network_name": network or "ORGANIC",
        "ad_channel": install.network_code or None,
        "attributed_on": iso(install.attributed_at),
        "installed_at": iso(install.installed_at),
        "store_click_at": iso(install.store_click_at),
        "link": install.link or None,
        "app_version": install.app_version or None,
        "gaid": install.gaid or None,
        "idfa": install.idfa or None,
        "name": user.get("name") or None,
        "phone": user.get("phone") or None,
        "email": user.get("email") or None,
        "additional_data": event.data if event is not None else None,
        "meta_campaign_details": _meta(install),
        "google_campaign_details": _google(install),
        "campaign_details": {
            "ad_network_code": install.network_code or None,
            "ad_network_name": install.network_name or None,
            "campaign_id": install.network_campaign_id or None,
            "adset_id": install.ad_set_id or None,
            "ad_creative_id": install.ad_creative_id or None,
        },
    }


def _meta(install: InstallFacts) -> dict[str, Any] | None:
    """Meta's ad facts: the campaign's, else what the decrypted install referrer said (Meta's
    legacy names: campaign group = campaign, campaign = ad set, ad group = ad)."""
    if install.network_code != "META":
        return None
    told = install.winner_details
    return {
        "ad_creative_id": install.ad_creative_id or told.get("ad_id") or None,
        "ad_creative_name": install.ad_creative_name or told.get("adgroup_name") or None,
        "ad_set_id": install.ad_set_id or told.get("campaign_id") or None,
        "ad_set_name": install.ad_set_name or told.get("campaign_name") or None,
        "campaign_group_id": install.network_campaign_id or told.get("campaign_group_id") or None,
        "campaign_group_name": told.get("campaign_group_name") or install.campaign_name or None,
        **{
            key: told.get(key)
            for key in (
                "account_id",
                "ad_objective_name",
                "is_instagram",
                "publisher_platform",
                "platform_position",
            )
        },
    }


def _google(install: InstallFacts) -> dict[str, Any] | None:
    if install.network_code != "GOOGLE":
        return None
    told = install.winner_details
    return {
        "gclid": install.click_ids.get("gclid"),
        "gbraid": install.click_ids.get("gbraid"),
        "ga_source": told.get("network_type"),
        "ad_group_id": told.get("ad_group_id") or install.ad_set_id or None,
        "ad_group_name": install.ad_set_name or None,
    }


def slack_body(payload: dict[str, Any]) -> dict[str, Any]:
    title = f"New {payload['event_type']}: {payload['network_name']}"
    fields = [
        f"*Campaign:* {payload['campaign_name'] or 'none'}",
        f"*Channel:* {payload['ad_channel'] or 'organic'}",
        f"*Installed:* {payload['installed_at']}",
    ]
    return {
        "text": title,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(fields)}},
        ],
    }


def sign(secret: str, timestamp: str, payload: str) -> str:
    message = f"{timestamp}.{payload}".encode()
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def build(
    url: str,
    key: str,
    signing_secret: str,
    install: InstallFacts,
    event: EventFacts | None,
    delivery_id: str,
    frozen_at: dt.datetime,
) -> FrozenRequest:
    payload = body(install, event)
    if is_slack(url):
        return FrozenRequest(
            "POST",
            url,
            (("Content-Type", "application/json"),),
            json_body(slack_body(payload)),
            guarded=True,
            label="slack",
        )
    text = json_body(payload)
    timestamp = str(int(frozen_at.timestamp()))
    headers = [
        ("Content-Type", "application/json"),
        (DELIVERY_HEADER, delivery_id),
        (TIMESTAMP_HEADER, timestamp),
    ]
    if key:
        headers.append(("linkrunner-key", key))
    if signing_secret:
        headers.append((SIGNATURE_HEADER, sign(signing_secret, timestamp, text)))
    return FrozenRequest("POST", url, tuple(headers), text, guarded=True, label="webhook")
