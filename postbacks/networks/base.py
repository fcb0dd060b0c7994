"""What every network client shares: the build context, hashing, time rules and extinfo."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from attribution.api import EventFacts, InstallFacts
from postbacks.frozen import FrozenRequest, Skip
from postbacks.verdict import Verdict

# A device clock this far ahead of us is still believed; beyond it the server time is used.
CLOCK_SKEW_TOLERANCE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Context:
    """Everything a client needs besides the facts: the mapping, credentials and freeze time."""

    network_event_name: str
    send_revenue: bool
    credentials: dict[str, Any]
    frozen_at: dt.datetime
    delivery_id: str
    extra: dict[str, Any] = field(default_factory=dict)

    def endpoint(self, default: str) -> str:
        # Credentials may aim a network at a proxy or a test receiver.
        # Limit: an endpoint set in credentials skips the address guard that webhooks go through.
        return str(self.credentials.get("endpoint") or default).rstrip("/")


class NetworkClient(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def destination(self) -> str: ...

    def classify(self, status: int, body: bytes) -> Verdict: ...

    def build(
        self, install: InstallFacts, event: EventFacts | None, context: Context
    ) -> FrozenRequest | Skip: ...


def credentials(stored: object) -> dict[str, Any]:
    """The decrypted credentials as a new plain dict (empty when none are stored)."""
    return dict(stored) if isinstance(stored, dict) else {}


def sha256(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()


def is_sha256(value: str) -> bool:
    return len(value) == 64 and all(ch in "0123456789abcdef" for ch in value)


def hashed(value: str) -> str:
    """A user field as networks want it: SHA-256 hex of the normalised value, kept if hashed."""
    value = value.strip()
    return value.lower() if is_sha256(value.lower()) else sha256(value)


def phone_digits(phone: str) -> str:
    """A phone number as Meta hashes it: digits only, country code included, no leading zeros
    (an already hashed value is kept)."""
    phone = phone.strip()
    if is_sha256(phone.lower()):
        return phone.lower()
    return "".join(ch for ch in phone if ch.isdigit()).lstrip("0")


def event_time(
    install: InstallFacts, event: EventFacts | None, frozen_at: dt.datetime
) -> dt.datetime:
    """When the event happened, never later than the moment the request is frozen."""
    happened = install.installed_at if event is None else event.occurred_at
    return min(happened, frozen_at)


def too_old(happened: dt.datetime, frozen_at: dt.datetime, limit: dt.timedelta) -> Skip | None:
    if frozen_at - happened > limit:
        return Skip(f"event older than the network accepts ({limit.days} days)")
    return None


def revenue(event: EventFacts | None, context: Context) -> tuple[Decimal, str] | None:
    if event is None or event.amount is None or not context.send_revenue:
        return None
    return event.amount, event.currency or "USD"


def number(amount: Decimal) -> float:
    return float(round(amount, 4))


def extinfo(install: InstallFacts) -> list[str]:
    """The 16 positional device fields Meta and Snap read (empty string when unknown)."""
    device = install.device_data
    display = device.get("device_display")
    width = height = density = ""
    if isinstance(display, dict):
        width, height = str(display.get("width", "")), str(display.get("height", ""))
        density = str(display.get("scale", ""))
    carrier = device.get("carrier")
    if isinstance(carrier, list):
        carrier = carrier[0] if carrier else ""
    return [
        "i2" if install.os == "ios" else "a2",
        install.bundle_id,
        install.app_version,
        str(device.get("build_number") or install.app_version),
        install.os_version,
        install.device_model,
        install.locale.replace("-", "_"),
        "",
        str(carrier or ""),
        width,
        height,
        density,
        "",
        "",
        "",
        install.timezone,
    ]


def real_id(value: str) -> str:
    """The id, or "" when it is empty or zeroed (`0000...`, `00000000-0000-...`); for ids the
    install facts do not clean already (the device ids there are)."""
    text = value.strip()
    return "" if not text.strip("0-") else text


def user_identifiers(install: InstallFacts) -> dict[str, str]:
    """Raw device identifiers present on the install (zeroed ids already dropped)."""
    ids = {"madid": install.advertising_id, "idfv": install.idfv}
    return {key: value for key, value in ids.items() if value}


def unix(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def body_json(data: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(data or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
