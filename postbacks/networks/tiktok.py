"""TikTok Events API 2.0, app events. TikTok answers 200 even on failure: the body's `code`
decides (0 delivered, 40100 throttled and worth retrying, any other code final)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from attribution.api import EventFacts, InstallFacts
from postbacks.frozen import FrozenRequest, Skip, json_body
from postbacks.networks import base
from postbacks.verdict import Outcome, Verdict, by_status

THROTTLE_CODES = frozenset({40100})
PARTNER_NAME = "Hazelnut"


def classify(status: int, body: bytes) -> Verdict:
    verdict = by_status(status, body)
    if verdict.outcome is not Outcome.DELIVERED:
        return verdict
    code = base.body_json(body).get("code")
    if code == 0:
        return verdict
    if code in THROTTLE_CODES:
        return Verdict(Outcome.TRANSIENT, f"tiktok_{code}")
    return Verdict(Outcome.TERMINAL, f"tiktok_{code}")


@dataclass(frozen=True)
class TikTokClient:
    code: str = "TIKTOK"
    destination: str = "tiktok"

    @staticmethod
    def classify(status: int, body: bytes) -> Verdict:
        return classify(status, body)

    def build(
        self, install: InstallFacts, event: EventFacts | None, context: base.Context
    ) -> FrozenRequest | Skip:
        token = context.credentials.get("access_token")
        app_id = context.credentials.get("tiktok_app_id") or context.credentials.get("app_id")
        if not token or not app_id:
            return Skip("tiktok credentials lack access_token or tiktok_app_id")
        if not (install.store_id or install.bundle_id):
            return Skip("tiktok needs the app's store id or bundle id")
        happened = base.event_time(install, event, context.frozen_at)
        item: dict[str, Any] = {
            "event": context.network_event_name,
            "event_time": base.unix(happened),
            "event_id": context.delivery_id,
            "user": self._user(install),
            "app": self._app(install),
            "ad": self._ad(install),
        }
        money = base.revenue(event, context)
        if money is not None:
            item["properties"] = {"value": base.number(money[0]), "currency": money[1]}
        payload = {
            "event_source": "app",
            "event_source_id": str(app_id),
            "partner_name": PARTNER_NAME,
            "data": [item],
        }
        url = context.endpoint("https://business-api.tiktok.com") + "/open_api/v1.3/event/track/"
        headers = (("Content-Type", "application/json"), ("Access-Token", str(token)))
        return FrozenRequest(
            "POST", url, headers, json_body(payload), classifier=self.destination, label="tiktok"
        )

    @staticmethod
    def _app(install: InstallFacts) -> dict[str, str]:
        # TikTok documents no "unknown" version: an unknown one is left out, never sent empty.
        app = {"app_id": install.store_id or install.bundle_id}
        if install.app_version:
            app["app_version"] = install.app_version
        return app

    @staticmethod
    def _user(install: InstallFacts) -> dict[str, str]:
        user = {"ip": install.ip, "user_agent": install.user_agent}
        if install.os == "ios":
            if install.idfa:
                user["idfa"] = install.idfa.upper()
            if install.idfv:
                user["idfv"] = install.idfv
            user["att_status"] = "AUTHORIZED" if install.idfa else "DENIED"
        else:
            if install.gaid:
                user["gaid"] = install.gaid.lower()
            user["att_status"] = "NOT_APPLICABLE"
        return {key: value for key, value in user.items() if value}

    @staticmethod
    def _ad(install: InstallFacts) -> dict[str, Any]:
        ad: dict[str, Any] = {
            "attributed": install.network_code == "TIKTOK",
            "attribution_provider": PARTNER_NAME,
        }
        if install.click_ids.get("ttclid"):
            ad["callback"] = install.click_ids["ttclid"]
        if install.network_campaign_id:
            ad["campaign_id"] = install.network_campaign_id
        return ad


CLIENT = TikTokClient()
