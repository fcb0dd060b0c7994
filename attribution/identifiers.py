"""Device identifiers as the attribution engine sees them: cleaned, with placeholders removed.

An advertising id of all zeros (limit ad tracking, ATT denied, simulators) or an empty string is
not an id at all; treating it as one makes unrelated devices look identical, so every reader of
GAID/IDFA/IDFV goes through `clean_device_id`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_ZEROS = re.compile(r"^[0-]+$")


def clean_device_id(raw: object) -> str | None:
    """A usable device id in lower case, or None for absent, empty or all-zero values."""
    if not isinstance(raw, str):
        return None
    value = raw.strip().lower()
    if not value or _ZEROS.match(value) or value in {"null", "undefined", "unknown"}:
        return None
    return value


def device_ids(device_data: Mapping[str, Any], platform: str) -> dict[str, str | None]:
    """GAID, IDFA and IDFV from an SDK's device_data.

    Expo sends the Android ID under `gaid`; it is still a stable per-device id, so it is kept for
    matching against our own earlier installs, and an Android ID never matches a click's GAID.
    """
    ios = platform.upper() == "IOS"
    return {
        "gaid": None if ios else clean_device_id(device_data.get("gaid")),
        "idfa": clean_device_id(device_data.get("idfa")),
        "idfv": clean_device_id(device_data.get("idfv")),
    }


def short_id(value: str | None) -> str | None:
    """A log-safe prefix of a device id (full ids are personal data)."""
    return None if value is None else value[:8]
