"""Install referrers as the stores and Meta hand them to apps.

The Play referrer is the `referrer` parameter of the store link our redirect answered with, URL
decoded once (that is what the Install Referrer API returns). Meta's referrer is the JSON
`{"source": {"data", "nonce"}}` in utm_content, where data is the AES-256-GCM ciphertext of the
campaign facts followed by the tag, both hex, under the app's Install Referrer Decryption Key.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ORGANIC = "utm_source=google-play&utm_medium=organic"
# In-app browsers get a page that tries the deep link, then goes to `f` (the store link).
_FALLBACK = re.compile(r'\bf=("(?:[^"\\]|\\.)*")')


def new_meta_key() -> str:
    """A fresh 32-byte key as the 64 hex characters Meta's dashboard shows."""
    return os.urandom(32).hex()


def store_link(answer: Any) -> str:
    """Where a link click sends the browser: the redirect, or the in-app page's fallback."""
    location = answer.headers.get("Location", "")
    if location:
        return str(location)
    found = _FALLBACK.search(answer.body.decode("utf-8", "replace"))
    return str(json.loads(found.group(1))) if found else ""


def play_referrer_from_location(location: str) -> str | None:
    """The referrer string the Install Referrer API would return for this store link."""
    parts = urlsplit(location)
    if "play.google.com" not in (parts.hostname or "") and parts.scheme != "market":
        return None
    values = parse_qs(parts.query).get("referrer")
    return values[0] if values else None


def meta_referrer(hex_key: str, facts: dict[str, Any]) -> str:
    """A Play referrer string carrying Meta's encrypted install referrer in utm_content."""
    nonce = os.urandom(12)
    sealed = AESGCM(bytes.fromhex(hex_key)).encrypt(nonce, json.dumps(facts).encode(), None)
    content = json.dumps({"source": {"data": sealed.hex(), "nonce": nonce.hex()}})
    return urlencode(
        {"utm_source": "apps.facebook.com", "utm_campaign": "fb4a", "utm_content": content}
    )


def meta_facts(campaign_group_id: str, campaign_name: str, serial: int) -> dict[str, Any]:
    """Decrypted referrer facts in Meta's legacy naming (campaign_group = the campaign)."""
    return {
        "account_id": "act_1029384756",
        "ad_id": f"{campaign_group_id}9{serial % 7}",
        "adgroup_id": f"{campaign_group_id}9{serial % 7}",
        "adgroup_name": f"creative {serial % 7}",
        "campaign_id": f"{campaign_group_id}5{serial % 3}",
        "campaign_name": f"ad set {serial % 3}",
        "campaign_group_id": campaign_group_id,
        "campaign_group_name": campaign_name,
        "ad_objective_name": "APP_INSTALLS",
        "is_instagram": serial % 2 == 0,
    }
