"""The messages the HTTP edge publishes to the attribution app's queues.

Task names and payload shapes are the contract between `ingest` (producer) and the attribution
tasks (consumers): payloads are plain JSON objects so they survive the broker and the outbox
unchanged. Times are ISO-8601 UTC strings; IPs are already normalised (hazelnut.net).
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

RECORD_CLICK = "attribution.clicks.record"
RECORD_PAGE_VIEW = "attribution.clicks.page_view"
ATTRIBUTE_INSTALL = "attribution.installs.attribute"
HANDLE_DEEPLINK = "attribution.installs.deeplink"
RECORD_SIGNUP = "attribution.events.signup"
RECORD_PAYMENT = "attribution.events.payment"
REMOVE_PAYMENT = "attribution.events.remove_payment"
RECORD_CUSTOM_EVENT = "attribution.events.custom"


class ClickMessage(TypedDict):
    project_id: int
    campaign_id: int | None
    click_id: str
    clicked_at: str
    ip: str | None
    user_agent: str
    url: str
    host: str
    # Decoded query parameters (utm_*, gclid, gbraid, wbraid, fbclid, ttclid, sccid, msclkid,
    # gaid/idfa when a network macro filled them in, is_view for impressions).
    params: dict[str, str]


class InstallMessage(TypedDict):
    """An SDK `init`: attribution is idempotent per (project_id, install_instance_id)."""

    project_id: int
    install_instance_id: str
    platform: str
    app_version: str
    package_version: str
    device_data: dict[str, Any]
    ip: str | None
    user_agent: str
    received_at: str
    link: NotRequired[str | None]
    source: NotRequired[str | None]
    debug: NotRequired[bool]


class DeeplinkMessage(TypedDict):
    project_id: int
    install_instance_id: str
    deeplink_url: str
    device_data: dict[str, Any]
    ip: str | None
    user_agent: str
    received_at: str
    client_timestamp_ms: NotRequired[int | None]


class EventMessage(TypedDict):
    """Signup, payment, payment removal or custom event, from an SDK or a server.

    `body` is the validated request body (amounts as decimal strings, currency upper-cased).
    """

    project_id: int
    install_instance_id: str | None
    user_id: str | None
    received_at: str
    origin: str  # "sdk", "s2s" or "revenuecat"
    body: dict[str, Any]
