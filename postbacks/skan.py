"""Apple's signature on a SKAdNetwork postback, checked before the postback may count.

Apple signs a UTF-8 string made of some of the postback's values, joined by U+2063 (invisible
separator) in an order that depends on the postback's `version`, with ECDSA over SHA-256. Version
1.0 and 2.0 postbacks are signed with Apple's NIST P-192 key, 2.1 and later with its P-256 key
(StoreKit documentation: "Verifying an install-validation postback", "Combining parameters for
SKAdNetwork 3 postbacks", "Combining parameters for previous SKAdNetwork postback versions", and
the SKAdNetwork 1 and 2 release notes, which publish the P-192 key). Conversion values are never
signed. A postback whose version we do not know, or which lacks a signed value, does not verify.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

SEPARATOR = "\u2063"

# Apple's public keys as published (base64 of the X.509 SubjectPublicKeyInfo).
APPLE_P256_KEY = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEWdp8GPcGqmhgzEFj9Z2nSpQVddayaPe4FMzqM9wib1+aHaaIzoHo"
    "LN9zW4K8y4SPykE3YVK3sVqW6Af0lfx3gg=="
)
APPLE_P192_KEY = (
    "MEkwEwYHKoZIzj0CAQYIKoZIzj0DAQEDMgAEMyHD625uvsmGq4C43cQ9BnfN2xslVT5V1nOmAMP6qaRRUll3PB1J"
    "YmgSm+62sosG"
)

# A slot is one signed value; a tuple names alternatives of which the first present is signed,
# or none when the postback carries none of them (`source-app-id` only comes with a win).
Slot = str | tuple[str, ...]

_V2: tuple[Slot, ...] = (
    "version",
    "ad-network-id",
    "campaign-id",
    "app-id",
    "transaction-id",
    "redownload",
    ("source-app-id",),
)
_V4: tuple[Slot, ...] = (
    "version",
    "ad-network-id",
    "source-identifier",
    "app-id",
    "transaction-id",
    "redownload",
    ("source-app-id", "source-domain"),
    "fidelity-type",
    "did-win",
    "postback-sequence-index",
)


@dataclass(frozen=True)
class Layout:
    """What Apple signs for one postback version, and with which of its keys."""

    curve: str  # "p192" or "p256"
    slots: tuple[Slot, ...]
    reports_did_win: bool


LAYOUTS: dict[str, Layout] = {
    "1.0": Layout("p192", ("ad-network-id", "campaign-id", "app-id", "transaction-id"), False),
    "2.0": Layout("p192", _V2, False),
    "2.1": Layout("p256", _V2, False),
    "2.2": Layout("p256", (*_V2, "fidelity-type"), False),
    "3.0": Layout("p256", (*_V2, "fidelity-type", "did-win"), True),
    "4.0": Layout("p256", _V4, True),
}

PublicKeys = Mapping[str, ec.EllipticCurvePublicKey]


def _load(text: str) -> ec.EllipticCurvePublicKey:
    key = serialization.load_der_public_key(base64.b64decode(text))
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise TypeError("Apple's SKAdNetwork keys are elliptic-curve keys")
    return key


@cache
def apple_keys() -> PublicKeys:
    return {"p192": _load(APPLE_P192_KEY), "p256": _load(APPLE_P256_KEY)}


def layout(report: Mapping[str, Any]) -> Layout | None:
    """The version's layout; a postback without `version` is a version 1.0 postback."""
    return LAYOUTS.get(str(report.get("version") or "1.0"))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _value(report: Mapping[str, Any], slot: Slot) -> str | None:
    if isinstance(slot, str):
        return _text(report[slot]) if report.get(slot) is not None else None
    present = [report[name] for name in slot if report.get(name) is not None]
    return _text(present[0]) if present else ""


def signed_message(report: Mapping[str, Any]) -> bytes | None:
    """The bytes Apple signed for this postback, or None when it cannot be rebuilt."""
    found = layout(report)
    if found is None:
        return None
    values: list[str] = []
    for slot in found.slots:
        value = _value(report, slot)
        if value is None:
            return None
        if value or isinstance(slot, str):
            values.append(value)
    return SEPARATOR.join(values).encode("utf-8")


def verify(report: Mapping[str, Any], keys: PublicKeys | None = None) -> bool:
    """True when `attribution-signature` is Apple's signature over the postback's values."""
    found = layout(report)
    message = signed_message(report)
    signature = report.get("attribution-signature")
    if found is None or message is None or not isinstance(signature, str):
        return False
    try:
        raw = base64.b64decode(signature, validate=True)
        (keys or apple_keys())[found.curve].verify(raw, message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def won(report: Mapping[str, Any]) -> bool:
    """Whether the postback reports a win: `did-win` from 3.0 on; earlier, every postback is one."""
    found = layout(report)
    if found is not None and not found.reports_did_win:
        return True
    return report.get("did-win") is True
