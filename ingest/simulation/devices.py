"""Simulated phones: a platform, an OS version and a model taken from a real browser agent, an
address of their own, advertising ids as the OS would expose them, and the device_data object
each SDK sends (keys as the iOS 4.x and Android SDKs name them)."""

from __future__ import annotations

import random
import string
import uuid
from dataclasses import dataclass, replace
from typing import Any

from ingest.simulation import agents

ZERO_ID = "00000000-0000-0000-0000-000000000000"
_ALPHABET = string.ascii_letters + string.digits
_ADDRESSES = 254 * 256 * 254  # 127.b.c.d with b, d in 1..254 and c in 0..255


@dataclass(frozen=True)
class Device:
    serial: int
    platform: str  # IOS or ANDROID
    os_version: str
    model: str
    brand: str
    browser_agent: str
    ip: str
    install_instance_id: str
    app_version: str
    gaid: str  # "" when limit-ad-tracking is on (Android)
    idfa: str  # "" unless the user allowed tracking (iOS)
    idfv: str
    android_id: str

    @property
    def app_agent(self) -> str:
        return agents.app_user_agent(self.platform, self.app_version, self.model, self.os_version)

    def reinstalled(self, rng: random.Random) -> Device:
        """The same phone after the app was deleted and installed again: a new instance id;
        the advertising id survives, the vendor id does not."""
        return replace(self, install_instance_id=instance_id(rng, self.platform),
                       idfv=str(uuid.UUID(int=rng.getrandbits(128))).upper())  # fmt: skip


def address(index: int) -> str:
    """A distinct loopback address per device index."""
    index %= _ADDRESSES
    return f"127.{1 + index // (254 * 256)}.{(index // 254) % 256}.{1 + index % 254}"


def instance_id(rng: random.Random, platform: str) -> str:
    if platform == "ANDROID":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return "".join(rng.choice(_ALPHABET) for _ in range(20))


def new_device(rng: random.Random, serial: int, platform: str, address_offset: int) -> Device:
    agent = agents.pick(rng, platform)
    ios = platform == "IOS"
    tracked = rng.random() < (0.25 if ios else 0.8)  # ATT opt-in vs Android LAT rates
    ad_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return Device(
        serial=serial,
        platform=platform,
        os_version=agent.os_version,
        model=agent.model,
        brand=agent.brand,
        browser_agent=agent.user_agent,
        ip=address(address_offset + serial),
        install_instance_id=instance_id(rng, platform),
        app_version=rng.choice(("3.4.0", "3.4.1", "3.5.0")),
        gaid=ad_id if tracked and not ios else "",
        idfa=ad_id.upper() if tracked and ios else "",
        idfv=str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper() if ios else "",
        android_id=f"{rng.getrandbits(64):016x}" if not ios else "",
    )


def device_data(device: Device, bundle_id: str, **extra: Any) -> dict[str, Any]:
    """The SDK's device_data for this phone; `extra` adds referrers or the AdServices token."""
    common = {
        "system_version": device.os_version,
        "brand": device.brand,
        "manufacturer": device.brand,
        "bundle_id": bundle_id,
        "version": device.app_version,
        "build_number": device.app_version.replace(".", ""),
        "user_agent": device.app_agent,
    }
    if device.platform == "IOS":
        data = {
            **common,
            "idfv": device.idfv,
            "device": device.model,
            "device_name": device.model,
            "connectivity": "wifi",
            "locale": "en_US",
            "language": "en",
            "country": "US",
            "timezone": "America/New_York",
            "timezone_offset": -300,
            "install_instance_id": device.install_instance_id,
        }
        if device.idfa:
            data["idfa"] = device.idfa
    else:
        data = {
            **common,
            "gaid": device.gaid or ZERO_ID,
            "device_id": device.android_id,
            "device_name": f"{device.brand} {device.model}",
            "application_name": "Demo",
            "connectivity": "Wi-Fi",
            "carrier": ["T-Mobile"],
        }
    data.update(extra)
    return data
