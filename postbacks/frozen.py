"""The request a delivery sends, frozen when the delivery is created.

Every attempt replays exactly these bytes, so a receiver that saw the first try can recognise a
retry (same body, same delivery id header). Nothing here may depend on the time of sending.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


@dataclass(frozen=True)
class FrozenRequest:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""
    # Which classifier reads the answer (a network or platform code); "" is plain HTTP rules.
    classifier: str = ""
    # Where the URL came from a customer and must pass the private-address guard.
    guarded: bool = False
    # Logged instead of the URL: network URLs carry tokens in their query strings.
    label: str = field(default="")
    # ISO time from which the destination refuses the event (Meta's 7 days); "" for never.
    send_before: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "method": self.method,
            "url": self.url,
            "headers": [list(pair) for pair in self.headers],
            "body": self.body,
            "classifier": self.classifier,
            "guarded": self.guarded,
            "label": self.label,
        }
        if self.send_before:
            data["send_before"] = self.send_before
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FrozenRequest:
        return cls(
            method=str(data["method"]),
            url=str(data["url"]),
            headers=tuple((str(k), str(v)) for k, v in data.get("headers", [])),
            body=str(data.get("body", "")),
            classifier=str(data.get("classifier", "")),
            guarded=bool(data.get("guarded", False)),
            label=str(data.get("label", "")),
            send_before=str(data.get("send_before", "")),
        )

    def body_bytes(self) -> bytes:
        return self.body.encode("utf-8")

    def too_late(self, now: dt.datetime) -> bool:
        """True once the destination no longer accepts this request (see `send_before`)."""
        return bool(self.send_before) and now >= dt.datetime.fromisoformat(self.send_before)

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


def json_body(payload: Any) -> str:
    """Compact, key-ordered JSON: the same payload always gives the same bytes."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def with_query(url: str, params: dict[str, str]) -> str:
    if not params:
        return url
    separator = "&" if "?" in url else "?"
    return url + separator + urlencode(params)


JSON_HEADERS: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)


@dataclass(frozen=True)
class Skip:
    """A delivery that must not be sent, with the reason kept on the delivery row."""

    reason: str


@dataclass(frozen=True)
class DeliverySpec:
    """One delivery to create: where to, for which event, under which idempotency key."""

    project_id: int
    destination: str
    event_kind: str
    event_name: str
    idempotency_key: str
    subject: dict[str, Any]
    request: FrozenRequest | Skip


# Query parameters, headers and JSON keys that carry a credential, whatever the destination.
_SECRET_NAME = re.compile(r"token|secret|key|auth|signature|password", re.IGNORECASE)
HIDDEN = "[hidden]"


def redacted(request: dict[str, Any]) -> dict[str, Any]:
    """A stored request for people to read: every credential-looking value hidden."""
    shown = dict(request)
    parts = urlsplit(str(request.get("url", "")))
    query = [(k, HIDDEN if _SECRET_NAME.search(k) else v) for k, v in parse_qsl(parts.query)]
    shown["url"] = urlunsplit(parts._replace(query=urlencode(query)))
    shown["headers"] = [
        [name, HIDDEN if _SECRET_NAME.search(name) else value]
        for name, value in request.get("headers", [])
    ]
    try:
        body = json.loads(request.get("body") or "null")
    except ValueError:
        return shown
    shown["body"] = json.dumps(_hide(body), sort_keys=True)
    return shown


def _hide(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: HIDDEN if _SECRET_NAME.search(str(k)) and isinstance(v, str) else _hide(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_hide(item) for item in value]
    return value
