"""Building the contract payloads (attribution.contracts) from validated request fields."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from attribution.contracts import DeeplinkMessage, EventMessage, InstallMessage
from hazelnut.net import client_ip

# SDKs whose storage failed send one of these literal ids; on their own they would merge every
# such device into one install, so a device identifier is folded in when there is one.
BROKEN_INSTANCE_IDS = frozenset(
    {"ERROR_GENERAING_INSTALL_INSTANCE_ID", "ERROR_GENERATING_INSTALL_INSTANCE_ID"}
)
_DEVICE_KEYS = ("idfv", "gaid", "android_id", "device_id", "idfa")


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def request_ip(request: HttpRequest) -> str | None:
    return client_ip(request.META, settings.HAZELNUT_TRUSTED_PROXIES)


def user_agent(request: HttpRequest) -> str:
    agent: str = request.META.get("HTTP_USER_AGENT", "")
    return agent[:1000]


def instance_id(fields: dict[str, Any]) -> str | None:
    raw: str | None = fields.get("install_instance_id")
    if raw not in BROKEN_INSTANCE_IDS:
        return raw
    device = fields.get("device_data") or {}
    for key in _DEVICE_KEYS:
        value = device.get(key)
        if isinstance(value, str) and value.strip():
            digest = hashlib.sha256(f"{key}:{value}".encode()).hexdigest()[:40]
            return f"lrfb-{digest}"
    return raw


def install(project_id: int, fields: dict[str, Any], request: HttpRequest) -> InstallMessage:
    message: InstallMessage = {
        "project_id": project_id,
        "install_instance_id": instance_id(fields) or "",
        "platform": fields["platform"],
        "app_version": fields.get("app_version") or "",
        "package_version": fields.get("package_version") or "",
        "device_data": fields["device_data"],
        "ip": request_ip(request),
        "user_agent": user_agent(request),
        "received_at": now_iso(),
    }
    for optional in ("link", "source", "debug"):
        if fields.get(optional) is not None:
            message[optional] = fields[optional]
    return message


def deeplink(project_id: int, fields: dict[str, Any], request: HttpRequest) -> DeeplinkMessage:
    return {
        "project_id": project_id,
        "install_instance_id": instance_id(fields) or "",
        "deeplink_url": fields["deeplink_url"],
        "device_data": fields.get("device_data") or {},
        "ip": request_ip(request),
        "user_agent": user_agent(request),
        "received_at": now_iso(),
        "client_timestamp_ms": fields.get("timestamp"),
    }


def event(project_id: int, fields: dict[str, Any], origin: str) -> EventMessage:
    """An event message; `body` keeps the validated fields, amounts as decimal strings."""
    body = {
        key: str(value) if isinstance(value, Decimal) and key == "amount" else value
        for key, value in fields.items()
        if key != "token"
    }
    return {
        "project_id": project_id,
        "install_instance_id": instance_id(fields),
        "user_id": fields.get("user_id") or None,
        "received_at": now_iso(),
        "origin": origin,
        "body": body,
    }
