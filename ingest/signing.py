"""HMAC request signing as the LinkRunner iOS SDK does it.

The client signs `<timestamp ms>\\n<base64 sha256 of the body>` with its secret and sends the
result in `x-Signature`. We recompute it over the raw bytes we received (never a re-serialised
body), compare in constant time, and refuse timestamps outside the allowed skew so a captured
request cannot be replayed later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass


@dataclass(frozen=True)
class SignedHeaders:
    key_id: str
    timestamp: str
    signature: str


def content_hash(body: bytes) -> str:
    if not body:
        return ""
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    message = f"{timestamp}\n{content_hash(body)}".encode()
    mac = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def signature_matches(secret: str, headers: SignedHeaders, body: bytes) -> bool:
    expected = sign(secret, headers.timestamp, body)
    return hmac.compare_digest(expected.encode(), headers.signature.encode())


def timestamp_fresh(timestamp: str, now_ms: int, max_skew_seconds: int) -> bool:
    if not timestamp.isdigit():
        return False
    return abs(now_ms - int(timestamp)) <= max_skew_seconds * 1000


def signed_headers(meta: dict[str, str]) -> SignedHeaders | None:
    """The signing headers of a request, or None when it is not signed at all."""
    if meta.get("HTTP_AUTHORIZATION", "").strip().upper() != "HMAC":
        return None
    return SignedHeaders(
        key_id=meta.get("HTTP_X_KEY_ID", ""),
        timestamp=meta.get("HTTP_X_TIMESTAMP", ""),
        signature=meta.get("HTTP_X_SIGNATURE", ""),
    )
