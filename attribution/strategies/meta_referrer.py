"""Meta's install referrer: `{"source": {"data", "nonce"}}` encrypted with AES-256-GCM under the
app's Install Referrer Decryption Key. It arrives in the Play referrer's utm_content or, from the
Facebook/Instagram content provider, as device_data["meta_install_referrer"] (same shape or the
`utm_content` JSON string)."""

from __future__ import annotations

import json
from typing import Any

import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from attribution import campaigns
from attribution.models import App
from attribution.strategies.base import TIER_REFERRER, Candidate, InstallContext, Outcome

log = structlog.get_logger(__name__)
META = "META"


def decrypt(payload: dict[str, str], hex_key: str) -> dict[str, Any] | None:
    """The decrypted referrer JSON, or None when the key, nonce or tag does not fit."""
    try:
        key = bytes.fromhex(hex_key.strip()[:64])
        data = bytes.fromhex(payload["data"])
        nonce = bytes.fromhex(payload["nonce"])
        plain = AESGCM(key).decrypt(nonce, data, None)
        decoded = json.loads(plain)
    except (InvalidTag, ValueError, KeyError):
        return None
    return decoded if isinstance(decoded, dict) else None


def _payload(context: InstallContext) -> dict[str, str] | None:
    found = context.referrer.meta_payload
    if found:
        return found
    extra = context.device_data.get("meta_install_referrer")
    if isinstance(extra, str):
        try:
            extra = json.loads(extra)
        except ValueError:
            return None
    if isinstance(extra, dict):
        source = extra.get("source", extra)
        if isinstance(source, dict) and source.get("data") and source.get("nonce"):
            return {"data": str(source["data"]), "nonce": str(source["nonce"])}
    return None


class MetaReferrer:
    name = "meta_referrer"
    external = False

    def can_handle(self, context: InstallContext) -> bool:
        return _payload(context) is not None

    def run(self, context: InstallContext) -> Outcome:
        payload = _payload(context)
        assert payload is not None
        keys = (
            App.objects.filter(project_id=context.project_id)
            .exclude(meta_install_referrer_key="")
            .values_list("meta_install_referrer_key", flat=True)
        )
        decoded = next((d for k in keys if (d := decrypt(payload, k)) is not None), None)
        if decoded is None:
            log.warning("attribution.meta_referrer.undecryptable", project_id=context.project_id)
            return Outcome(note="encrypted Meta referrer that no app key decrypts")
        # Meta's legacy names: campaign_group = campaign, campaign = ad set, adgroup = ad.
        ids = [str(decoded.get(k) or "") for k in ("campaign_group_id", "campaign_id", "ad_id")]
        campaign, trace = campaigns.from_network_answer(
            context.project_id,
            META,
            ids,
            ids[0],
            name=str(decoded.get("campaign_group_name") or ""),
        )
        details: dict[str, Any] = {
            k: decoded.get(k)
            for k in (
                "account_id",
                "ad_id",
                "adgroup_id",
                "adgroup_name",
                "campaign_id",
                "campaign_name",
                "campaign_group_id",
                "campaign_group_name",
                "ad_objective_name",
                "is_instagram",
                "publisher_platform",
                "platform_position",
            )
            if k in decoded
        }
        details.update(trace)
        candidate = Candidate(
            strategy=self.name,
            tier=TIER_REFERRER,
            matched_by="meta_install_referrer",
            network=META,
            campaign_id=campaign.id if campaign else None,
            details=details,
        )
        return Outcome([candidate], note="decrypted")
