"""GA4 Measurement Protocol for app streams. GA4 needs the app's own app_instance_id (32 hex);
without it there is nothing to join on and the event is skipped. Reserved names and the
length limits are applied here because production GA4 answers 2xx even to malformed events."""

from __future__ import annotations

import re
from typing import Any

from analytics.platforms import base
from attribution.api import EventFacts, InstallFacts
from postbacks.api import (
    JSON_HEADERS,
    FrozenRequest,
    Skip,
    Verdict,
    by_status,
    json_body,
    with_query,
)

CODE = "ga4"
RESERVED = frozenset(
    {"first_open", "session_start", "app_remove", "user_engagement", "in_app_purchase"}
)
_NAME = re.compile(r"[^A-Za-z0-9_]")


def classify(status: int, body: bytes) -> Verdict:
    return by_status(status, body)


def ga_name(name: str) -> str:
    cleaned = _NAME.sub("_", name).strip("_") or "event"
    if not cleaned[0].isalpha():
        cleaned = "e_" + cleaned
    if cleaned in RESERVED:
        cleaned = "hz_" + cleaned
    return cleaned[:40]


def _params(install: InstallFacts, event: EventFacts | None) -> dict[str, Any]:
    params = {
        ga_name(key)[:40]: (value[:100] if isinstance(value, str) else value)
        for key, value in base.properties(install, event).items()
    }
    params["engagement_time_msec"] = 1
    money = base.money(event)
    if money is not None:
        params.update(value=float(money[0]), currency=money[1])
    return dict(list(params.items())[:25])


def build(
    install: InstallFacts, event: EventFacts | None, context: base.Context
) -> FrozenRequest | Skip:
    app_id = context.credentials.get("firebase_app_id")
    secret = context.credentials.get("api_secret")
    if not app_id or not secret:
        return Skip("ga4 credentials lack firebase_app_id or api_secret")
    instance = base.platform_id(install, event, "ga_app_instance_id")
    if not re.fullmatch(r"[0-9a-fA-F]{32}", instance):
        return Skip("ga4 needs the app's 32-hex app_instance_id")
    payload: dict[str, Any] = {
        "app_instance_id": instance.lower(),
        "timestamp_micros": int(base.happened(install, event, context.frozen_at).timestamp() * 1e6),
        "events": [{"name": ga_name(base.event_name(event)), "params": _params(install, event)}],
    }
    if base.user_id(event):
        payload["user_id"] = base.user_id(event)
    url = with_query(
        context.base_url("https://www.google-analytics.com") + "/mp/collect",
        {"firebase_app_id": str(app_id), "api_secret": str(secret)},
    )
    return FrozenRequest("POST", url, JSON_HEADERS, json_body(payload), CODE, label=CODE)
