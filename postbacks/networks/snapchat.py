"""Snapchat Conversions API v3 for app events: the Snap App ID in the path, the token in the
query, and at least one matching key (advertising id, or IP with user agent) per event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from attribution.api import EventFacts, InstallFacts
from postbacks.frozen import JSON_HEADERS, FrozenRequest, Skip, json_body, with_query
from postbacks.networks import base
from postbacks.verdict import Verdict, by_status

INTEGRATION = "hazelnut"


@dataclass(frozen=True)
class SnapchatClient:
    code: str = "SNAPCHAT"
    destination: str = "snapchat"

    @staticmethod
    def classify(status: int, body: bytes) -> Verdict:
        return by_status(status, body)

    def build(
        self, install: InstallFacts, event: EventFacts | None, context: base.Context
    ) -> FrozenRequest | Skip:
        snap_app_id = context.credentials.get("snap_app_id")
        token = context.credentials.get("access_token")
        if not snap_app_id or not token:
            return Skip("snapchat credentials lack snap_app_id or access_token")
        user_data = self._user(install)
        if "madid" not in user_data and "client_ip_address" not in user_data:
            return Skip("snapchat needs an advertising id or IP and user agent")
        happened = base.event_time(install, event, context.frozen_at)
        item: dict[str, Any] = {
            "event_name": context.network_event_name,
            "event_time": base.unix(happened),
            "event_id": context.delivery_id,
            "action_source": "MOBILE_APP",
            "integration": INTEGRATION,
            "user_data": user_data,
            "app_data": {
                "app_id": install.store_id or install.bundle_id,
                "advertiser_tracking_enabled": 1 if install.tracking_enabled else 0,
                "extinfo": base.extinfo(install),
            },
        }
        money = base.revenue(event, context)
        if money is not None:
            item["custom_data"] = {"value": base.number(money[0]), "currency": money[1]}
        url = f"{context.endpoint('https://tr.snapchat.com')}/v3/{snap_app_id}/events"
        return FrozenRequest(
            "POST",
            with_query(url, {"access_token": str(token)}),
            JSON_HEADERS,
            json_body({"data": [item]}),
            classifier=self.destination,
            label=f"snapchat:{snap_app_id}",
        )

    @staticmethod
    def _user(install: InstallFacts) -> dict[str, Any]:
        user: dict[str, Any] = base.user_identifiers(install)
        if install.ip and install.user_agent:
            user["client_ip_address"] = install.ip
            user["client_user_agent"] = install.user_agent
        if install.click_ids.get("sccid"):
            user["sc_click_id"] = install.click_ids["sccid"]
        return user


CLIENT = SnapchatClient()
