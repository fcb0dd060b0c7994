"""Braze /users/track. Success is 201 (sometimes with non-fatal `errors`); a fatal answer names
its error in `message`. A user is keyed by external_id, or by the braze_id resolved from the
device id the app reported (resolution happens before the request is frozen)."""

from __future__ import annotations

from typing import Any

from analytics.platforms import base
from attribution.api import EventFacts, InstallFacts
from hazelnut.http import HttpClient, RetryPolicy
from postbacks.api import FrozenRequest, Outcome, Skip, Verdict, body_json, by_status, json_body

CODE = "braze"


class ResolutionFailed(Exception):
    """Braze could not be asked for the device's user now; the fan-out retries."""


def classify(status: int, body: bytes) -> Verdict:
    verdict = by_status(status, body)
    if verdict.outcome is not Outcome.DELIVERED:
        return verdict
    message = body_json(body).get("message")
    if message == "success":
        return verdict
    return Verdict(Outcome.TERMINAL, f"braze: {message}")


def _headers(api_key: str) -> tuple[tuple[str, str], ...]:
    return (("Content-Type", "application/json"), ("Authorization", f"Bearer {api_key}"))


def resolve_braze_id(base_url: str, api_key: str, device_id: str, client: HttpClient) -> str:
    """The braze_id of the user on `device_id`, or "" when Braze knows no such device."""
    result = client.send(
        "POST",
        base_url + "/users/export/ids",
        headers=dict(_headers(api_key)),
        data=json_body({"device_id": device_id, "fields_to_export": ["braze_id"]}),
        policy=RetryPolicy(attempts=2, base_delay_seconds=0.2),
    )
    if result.transient:
        raise ResolutionFailed(result.error or "braze unavailable")
    if not result.ok:
        return ""
    users = body_json(result.body).get("users") or []
    return str(users[0].get("braze_id") or "") if users else ""


def build(
    install: InstallFacts,
    event: EventFacts | None,
    context: base.Context,
    client: HttpClient | None = None,
) -> FrozenRequest | Skip:
    api_key = context.credentials.get("api_key")
    if not api_key:
        return Skip("braze credentials lack api_key")
    url = context.base_url("https://rest.iad-01.braze.com")
    key = _user_key(install, event, url, str(api_key), client)
    if key is None:
        return Skip("braze: no external_id and the device id resolves to no user")
    moment = base.iso(base.happened(install, event, context.frozen_at))
    payload: dict[str, Any]
    money = base.money(event)
    if money is not None and event is not None:
        purchase: dict[str, Any] = {
            **key,
            "product_id": event.name,
            "currency": money[1],
            "price": float(money[0]),
        }
        purchase.update(quantity=1, time=moment, properties=base.properties(install, event))
        payload = {"purchases": [purchase]}
    else:
        item: dict[str, Any] = {**key, "name": base.event_name(event), "time": moment}
        item["properties"] = base.properties(install, event)
        payload = {"events": [item]}
    return FrozenRequest(
        "POST", url + "/users/track", _headers(str(api_key)), json_body(payload), CODE, label=CODE
    )


def _user_key(
    install: InstallFacts,
    event: EventFacts | None,
    url: str,
    api_key: str,
    client: HttpClient | None,
) -> dict[str, str] | None:
    if base.user_id(event):
        return {"external_id": base.user_id(event)}
    device_id = base.platform_id(install, event, "braze_device_id")
    if not device_id or client is None:
        return None
    braze_id = resolve_braze_id(url, api_key, device_id, client)
    return {"braze_id": braze_id} if braze_id else None
