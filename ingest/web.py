"""The web collector's payload: decrypting the optional envelope and checking the flat event.

The cleartext is one flat object of strings and numbers (section 5.1 of the SDK contract); we
check its shape and sizes but keep its keys as sent, since the click pipeline reads them.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from ingest import webcrypto
from ingest.body import parse_object
from ingest.errors import bad_request
from ingest.models import WebCollectorKey

EVENT_TYPES = frozenset({"page_view", "custom", "identify"})
MAX_KEYS = 150
MAX_VALUE_LENGTH = 8192
MAX_NAME_LENGTH = 500


@lru_cache(maxsize=256)
def _private_key(key_id: str) -> tuple[int, ec.EllipticCurvePrivateKey] | None:
    stored = WebCollectorKey.objects.filter(key_id=key_id, active=True).first()
    if stored is None:
        return None
    return stored.project_id, webcrypto.load_private_key(stored.private_key)


def forget_keys() -> None:
    _private_key.cache_clear()


def open_body(body: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
    """The cleartext event, and the project its key belongs to when it came encrypted."""
    if not webcrypto.is_envelope(body):
        return body, None
    try:
        envelope = webcrypto.parse_envelope(body)
        found = _private_key(envelope.key_id)
        if found is None:
            raise bad_request("unknown_key", "Unknown web collector key id.", "kid")
        project_id, private_key = found
        plaintext = webcrypto.decrypt(private_key, envelope)
    except webcrypto.EnvelopeError as error:
        raise bad_request("invalid_envelope", f"Encrypted event rejected: {error}.") from None
    return parse_object(plaintext), project_id


def clean_event(body: dict[str, Any]) -> dict[str, Any]:
    """The event without its token, or a 400 naming the first problem."""
    if len(body) > MAX_KEYS:
        raise bad_request("too_many_fields", f"An event has at most {MAX_KEYS} fields.")
    event_type = body.get("event_type")
    if event_type not in EVENT_TYPES:
        raise bad_request(
            "invalid_choice", "'event_type' must be page_view, custom or identify.", "event_type"
        )
    event: dict[str, Any] = {}
    for key, value in body.items():
        if key == "token":
            continue
        if not isinstance(key, str) or len(key) > 64:
            raise bad_request("invalid_field", "Field names are strings of at most 64 characters.")
        if value is not None and not isinstance(value, str | int | float | bool):
            raise bad_request("invalid_type", f"'{key}' must be a string or a number.", key)
        if isinstance(value, str) and len(value) > MAX_VALUE_LENGTH:
            raise bad_request("too_long", f"'{key}' is too long.", key)
        event[key] = value
    name = event.get("event_name") or ""
    if not isinstance(name, str) or len(name) > MAX_NAME_LENGTH:
        raise bad_request("invalid_type", "'event_name' must be a short string.", "event_name")
    if event_type == "custom" and not name.strip():
        raise bad_request("blank_field", "'event_name' may not be empty.", "event_name")
    event["event_name"] = unicodedata.normalize("NFC", name)
    return event
