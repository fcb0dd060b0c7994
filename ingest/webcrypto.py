"""The web SDK's optional encrypted envelope: ECDH P-256 + HKDF-SHA256 + AES-256-GCM.

The browser makes one ephemeral key pair per page load and sends its public point with each
event (`epk`); the shared secret with our static key, stretched by HKDF with the key id in the
info string, is the AES-GCM key. Everything is done by `cryptography`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INFO_PREFIX = b"linkrunner-web-collect-v1:"
ENVELOPE_VERSION = 1


class EnvelopeError(ValueError):
    """The envelope is malformed or does not decrypt under the named key."""


@dataclass(frozen=True)
class Envelope:
    key_id: str
    ephemeral_point: bytes
    iv: bytes
    ciphertext: bytes


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def is_envelope(body: dict[str, Any]) -> bool:
    return "lrv" in body and "ct" in body


def parse_envelope(body: dict[str, Any]) -> Envelope:
    if body.get("lrv") != ENVELOPE_VERSION:
        raise EnvelopeError("unsupported envelope version")
    fields = [body.get(name) for name in ("kid", "epk", "iv", "ct")]
    if not all(isinstance(value, str) and value for value in fields):
        raise EnvelopeError("envelope lacks kid, epk, iv or ct")
    kid, epk, iv, ct = (str(value) for value in fields)
    try:
        return Envelope(kid, b64url_decode(epk), b64url_decode(iv), b64url_decode(ct))
    except ValueError:
        raise EnvelopeError("envelope field is not base64url") from None


def _key(private_key: ec.EllipticCurvePrivateKey, envelope: Envelope) -> bytes:
    try:
        peer = ec.EllipticCurvePublicKey.from_encoded_point(
            ec.SECP256R1(), envelope.ephemeral_point
        )
    except ValueError:
        raise EnvelopeError("epk is not a P-256 point") from None
    shared = private_key.exchange(ec.ECDH(), peer)
    info = INFO_PREFIX + envelope.key_id.encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(shared)


def decrypt(private_key: ec.EllipticCurvePrivateKey, envelope: Envelope) -> bytes:
    if len(envelope.iv) != 12:
        raise EnvelopeError("iv must be 12 bytes")
    try:
        return AESGCM(_key(private_key, envelope)).decrypt(envelope.iv, envelope.ciphertext, None)
    except InvalidTag:
        raise EnvelopeError("ciphertext does not authenticate") from None


def encrypt(public_point: bytes, key_id: str, plaintext: bytes, iv: bytes) -> dict[str, Any]:
    """What the browser does; used by tests and by operators checking a key pair."""
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    recipient = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public_point)
    shared = ephemeral.exchange(ec.ECDH(), recipient)
    info = INFO_PREFIX + key_id.encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(shared)
    point = ephemeral.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return {
        "lrv": ENVELOPE_VERSION,
        "kid": key_id,
        "epk": b64url_encode(point),
        "iv": b64url_encode(iv),
        "ct": b64url_encode(AESGCM(key).encrypt(iv, plaintext, None)),
    }


def new_key_pair() -> tuple[str, str]:
    """A fresh key pair: (private key as PKCS#8 PEM, public point as base64url)."""
    private_key = ec.generate_private_key(ec.SECP256R1())
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    point = private_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return pem, b64url_encode(point)


def load_private_key(pem: str) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise EnvelopeError("stored web collector key is not an EC key")
    return key
