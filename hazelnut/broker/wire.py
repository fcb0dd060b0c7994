"""How a kombu message is laid out in a Kafka record, and back.

The record value is the message body as the serializer produced it (no base64, no second JSON
wrapping as kombu's virtual transports do); the kombu headers and properties travel together in
one JSON record header, and the transport's own bookkeeping (routing key, delivery count, delay
target, dead-letter reason) in small separate headers that never reach Celery.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from kombu.utils import json as kombu_json

ENVELOPE = "kombu"
ROUTING_KEY = "hz-routing-key"
DELIVERIES = "hz-deliveries"
DUE_MS = "hz-due-ms"
TARGET = "hz-target"
REASON = "hz-dlq-reason"
ERROR = "hz-error"
ORIGIN = "hz-origin"

# A message property (or header) the producer turns into the Kafka key: apply_async(...,
# kafka_key=install_instance_id) keeps one entity's tasks in one partition, in order.
KEY_PROPERTY = "kafka_key"
# A message property that makes this one publish wait for the broker's acknowledgement.
CONFIRM_PROPERTY = "confirm_publish"

# kombu's codec keeps datetimes, UUIDs and decimals intact, as on other transports, but pays a
# Python hook per value; plain envelopes (nearly all) take the C-speed stdlib path instead.
_kombu_dumps: Callable[[Any], str] = kombu_json.dumps
_kombu_loads: Callable[[str | bytes], Any] = kombu_json.loads
_TYPE_MARKER = b'"__type__"'


def _dumps(value: Any) -> str:
    try:
        return json.dumps(value, separators=(",", ":"))
    except TypeError:
        return _kombu_dumps(value)


def _loads(raw: bytes) -> Any:
    return _kombu_loads(raw) if _TYPE_MARKER in raw else json.loads(raw)


_TRANSIENT_PROPERTIES = ("delivery_info", "delivery_tag", "body_encoding", KEY_PROPERTY)

Headers = list[tuple[str, str | bytes | None]]
RecordHeaders = dict[str, str | bytes | None] | list[tuple[str, str | bytes | None]]


def encode(message: Mapping[str, Any]) -> tuple[bytes, bytes | None, Headers]:
    """Return (value, key, headers) for a message as kombu's `prepare_message` builds it."""
    properties = dict(message.get("properties") or {})
    headers = dict(message.get("headers") or {})
    key = properties.get(KEY_PROPERTY) or headers.pop(KEY_PROPERTY, None)
    properties.pop(CONFIRM_PROPERTY, None)
    for name in _TRANSIENT_PROPERTIES:
        properties.pop(name, None)
    envelope = {
        "headers": headers,
        "properties": properties,
        "content_type": message.get("content-type"),
        "content_encoding": message.get("content-encoding"),
    }
    body = message.get("body")
    value = body.encode("utf-8") if isinstance(body, str) else bytes(body or b"")
    return value, _key_bytes(key), [(ENVELOPE, _dumps(envelope).encode("utf-8"))]


def decode(value: bytes | None, headers: RecordHeaders | None) -> dict[str, Any]:
    """Rebuild the kombu payload dict (delivery tag and info are the caller's to add)."""
    raw = header(headers, ENVELOPE)
    envelope: dict[str, Any] = _loads(raw) if raw else {}
    return {
        "body": value or b"",
        "headers": envelope.get("headers") or {},
        "properties": envelope.get("properties") or {},
        "content-type": envelope.get("content_type"),
        "content-encoding": envelope.get("content_encoding"),
    }


def header(headers: RecordHeaders | None, name: str) -> bytes | None:
    if not headers:
        return None
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    for key, value in pairs:
        if key == name:
            return value.encode("utf-8") if isinstance(value, str) else value
    return None


def header_int(headers: RecordHeaders | None, name: str, default: int) -> int:
    raw = header(headers, name)
    try:
        return int(raw) if raw is not None else default
    except ValueError:
        return default


def with_headers(headers: RecordHeaders | None, **updates: str) -> Headers:
    """Copy record headers, replacing the named transport headers (underscores become dashes)."""
    names = {name.replace("_", "-"): value for name, value in updates.items()}
    kept = without(headers, *names)
    kept.extend((key, value.encode("utf-8")) for key, value in names.items())
    return kept


def eta_seconds(message: Mapping[str, Any]) -> float | None:
    """Epoch seconds of a Celery (protocol 2) task's ETA, if it has one."""
    # Limit: Celery task protocol 1 keeps the ETA in the body; those tasks wait in the worker.
    eta = (message.get("headers") or {}).get("eta")
    if not eta:
        return None
    if isinstance(eta, datetime):
        moment = eta
    else:
        try:
            moment = datetime.fromisoformat(str(eta))
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _key_bytes(key: Any) -> bytes | None:
    if key is None or key == "":
        return None
    if isinstance(key, bytes):
        return key
    return str(key).encode("utf-8")


def without(headers: RecordHeaders | None, *names: str) -> Headers:
    """Copy record headers minus the named ones."""
    kept: Headers = []
    if headers:
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        for key, value in pairs:
            if key in names or value is None:
                continue
            kept.append((key, value.encode("utf-8") if isinstance(value, str) else value))
    return kept
