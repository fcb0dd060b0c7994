"""The Google Play install referrer: decoded once, placeholders removed, timestamps in seconds.

The SDK sends the referrer string exactly as the Install Referrer API returned it: already
URL-decoded once by Play, so its own query syntax (`a=b&c=d`, values form-encoded) is parsed
once here and never decoded again. Google's placeholders for "no referrer" (`(not set)`, the
`google-play` / `organic` pair) mean no referrer, not a campaign called "(not set)".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from attribution.instants import epoch_number, from_epoch_seconds

_UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
_PLACEHOLDERS = frozenset({"", "(not set)", "(not%20set)", "(none)", "null", "undefined"})
# Keys under which the clients carry the referrer click / install begin times (seconds).
_CLICK_TIME_KEYS = (
    "install_ref_referrerClickTimestampSeconds",
    "referrerClickTimestampSeconds",
    "referrer_click_timestamp_seconds",
)
_BEGIN_TIME_KEYS = (
    "install_ref_installBeginTimestampSeconds",
    "installBeginTimestampSeconds",
    "install_begin_timestamp_seconds",
)


@dataclass(frozen=True)
class PlayReferrer:
    """The parsed referrer; `params` holds every key, `utm` only the meaningful utm_* values."""

    raw: str
    params: dict[str, str] = field(default_factory=dict)
    utm: dict[str, str] = field(default_factory=dict)
    click_time: datetime | None = None
    install_begin_time: datetime | None = None
    # Time keys the device sent with a value no time can be read from (junk, 1e300, NaN).
    unreadable_times: tuple[str, ...] = ()

    @property
    def is_organic(self) -> bool:
        """No referrer at all, a placeholder, or Play's own organic marker."""
        source = self.utm.get("utm_source", "")
        medium = self.utm.get("utm_medium", "")
        if source == "google-play" and medium == "organic":
            return True
        return not self.utm and not self.click_id and not self.google_click_ids

    @property
    def click_id(self) -> str | None:
        return self.params.get("click_id") or self.params.get("lr_ia_id") or None

    @property
    def google_click_ids(self) -> dict[str, str]:
        return {k: self.params[k] for k in ("gclid", "gbraid", "wbraid") if self.params.get(k)}

    @property
    def meta_payload(self) -> dict[str, str] | None:
        """`{"data": hex, "nonce": hex}` when utm_content carries Meta's encrypted referrer."""
        content = self.params.get("utm_content", "")
        if not content.startswith("{"):
            return None
        try:
            source = json.loads(content).get("source")
        except (ValueError, AttributeError):
            return None
        if isinstance(source, dict) and source.get("data") and source.get("nonce"):
            return {"data": str(source["data"]), "nonce": str(source["nonce"])}
        return None

    def describe(self) -> dict[str, Any]:
        """The referrer for the decision trace (JSON-safe)."""
        return {
            "present": bool(self.raw),
            "organic": self.is_organic,
            "utm": self.utm,
            "click_id": self.click_id,
            "google_click_ids": self.google_click_ids,
            "click_time": _iso(self.click_time),
            "install_begin_time": _iso(self.install_begin_time),
            **({"unreadable_times": list(self.unreadable_times)} if self.unreadable_times else {}),
        }


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _first(data: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[str, object] | None:
    return next(((k, data[k]) for k in keys if data.get(k) not in (None, "")), None)


def _time(found: tuple[str, object] | None, unreadable: list[str]) -> datetime | None:
    """The time under the first key present; zero means "not known" (Play sends it), anything
    else unreadable is noted by key and also unknown."""
    if found is None:
        return None
    key, raw = found
    moment = from_epoch_seconds(raw)
    if moment is None and epoch_number(raw) != 0:
        unreadable.append(key)
    return moment


# Where SDKs put the raw Play install referrer string in device_data, by SDK generation.
REFERRER_KEYS = ("install_ref", "installReferrer", "install_referrer")


def referrer_text(device_data: Mapping[str, Any]) -> str:
    """The raw Play install referrer an SDK sent in device_data, "" when there is none."""
    for key in REFERRER_KEYS:
        value = device_data.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def parse_play_referrer(
    raw: str | None, device_data: Mapping[str, Any] | None = None
) -> PlayReferrer:
    """Parse the referrer string once; timestamps come from `device_data` when present."""
    text = (raw or "").strip()
    params: dict[str, str] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        if value.strip().lower() not in _PLACEHOLDERS:
            params.setdefault(key, value)
    utm = {k: params[k] for k in _UTM_KEYS if k in params}
    data = device_data or {}
    unreadable: list[str] = []
    click_time = _time(_first(data, _CLICK_TIME_KEYS), unreadable)
    install_begin_time = _time(_first(data, _BEGIN_TIME_KEYS), unreadable)
    return PlayReferrer(
        raw=text,
        params=params,
        utm=utm,
        click_time=click_time,
        install_begin_time=install_begin_time,
        unreadable_times=tuple(unreadable),
    )
