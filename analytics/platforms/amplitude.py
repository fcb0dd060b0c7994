"""Amplitude HTTP V2: JSON with the api key in the body, times in milliseconds, insert_id dedup."""

from __future__ import annotations

from typing import Any

from analytics.platforms import base
from attribution.api import EventFacts, InstallFacts
from postbacks.api import JSON_HEADERS, FrozenRequest, Skip, Verdict, by_status, json_body

CODE = "amplitude"


def classify(status: int, body: bytes) -> Verdict:
    return by_status(status, body)


def build(
    install: InstallFacts, event: EventFacts | None, context: base.Context
) -> FrozenRequest | Skip:
    api_key = context.credentials.get("api_key")
    if not api_key:
        return Skip("amplitude credentials lack api_key")
    item: dict[str, Any] = {
        "event_type": base.event_name(event),
        "device_id": base.platform_id(install, event, "amplitude_device_id")
        or install.install_instance_id,
        "time": int(base.happened(install, event, context.frozen_at).timestamp() * 1000),
        "insert_id": context.insert_id,
        "event_properties": base.properties(install, event),
        "platform": install.os,
        "app_version": install.app_version,
    }
    if base.user_id(event):
        item["user_id"] = base.user_id(event)
    money = base.money(event)
    if money is not None:
        item.update(price=float(money[0]), quantity=1, revenue=float(money[0]))
        item["event_properties"]["currency"] = money[1]
    payload = {"api_key": api_key, "events": [item]}
    url = context.base_url("https://api2.amplitude.com") + "/2/httpapi"
    return FrozenRequest("POST", url, JSON_HEADERS, json_body(payload), CODE, label=CODE)
