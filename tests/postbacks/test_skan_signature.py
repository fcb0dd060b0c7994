"""Apple's SKAdNetwork signature: Apple's own examples verify against the keys we ship, and for
every version a postback signed over Apple's documented field order verifies, while a changed
signed value, a wrong key or a wrong curve does not."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from postbacks import skan
from tests.postbacks import skan_examples

SEP = "\u2063"
PUBLISHED = {
    # SKAdNetwork 1 and 2 release notes (P-192); "Verifying an install-validation postback" (P-256)
    "p192": (
        "MEkwEwYHKoZIzj0CAQYIKoZIzj0DAQEDMgAEMyHD625uvsmGq4C43cQ9BnfN2xslVT5V1nOmAMP6qaRRUll3PB1J"
        "YmgSm+62sosG"
    ),
    "p256": (
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEWdp8GPcGqmhgzEFj9Z2nSpQVddayaPe4FMzqM9wib1+aHaaIzoHo"
        "LN9zW4K8y4SPykE3YVK3sVqW6Af0lfx3gg=="
    ),
}


@pytest.fixture(scope="module")
def test_keys() -> dict[str, ec.EllipticCurvePrivateKey]:
    return {
        "p192": ec.generate_private_key(ec.SECP192R1()),
        "p256": ec.generate_private_key(ec.SECP256R1()),
    }


def _public(keys: dict[str, ec.EllipticCurvePrivateKey]) -> dict[str, ec.EllipticCurvePublicKey]:
    return {curve: key.public_key() for curve, key in keys.items()}


def _signed(
    report: dict[str, Any], message: str, key: ec.EllipticCurvePrivateKey
) -> dict[str, Any]:
    signature = key.sign(message.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
    return {**report, "attribution-signature": base64.b64encode(signature).decode()}


def _der(curve: str) -> bytes:
    return skan.apple_keys()[curve].public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_the_shipped_keys_are_the_ones_apple_publishes() -> None:
    keys = skan.apple_keys()
    assert isinstance(keys["p192"].curve, ec.SECP192R1)
    assert isinstance(keys["p256"].curve, ec.SECP256R1)
    for curve, text in PUBLISHED.items():
        assert _der(curve) == base64.b64decode(text)


@pytest.mark.parametrize("name", list(skan_examples.ALL))
def test_apples_own_examples_verify_with_the_production_key(name: str) -> None:
    assert skan.verify(skan_examples.ALL[name]) is True


@pytest.mark.parametrize("name", list(skan_examples.ALL))
def test_an_apple_example_with_one_signed_value_changed_fails(name: str) -> None:
    forged = {**skan_examples.ALL[name], "app-id": 999999999}
    assert skan.verify(forged) is False


def test_conversion_values_are_not_signed() -> None:
    raised = {**skan_examples.V4_WEB_HIGH_TIER, "conversion-value": 1}
    coarse = {**skan_examples.V4_WEB_LOW_TIER, "coarse-conversion-value": "low"}
    assert skan.verify(raised) is True
    assert skan.verify(coarse) is True


def test_a_postback_that_wins_cannot_be_made_from_one_that_did_not() -> None:
    claimed = {**skan_examples.V3_NOT_WINNER, "did-win": True, "source-app-id": 1234567891}
    assert skan.verify(claimed) is False
    assert skan.won(skan_examples.V3_NOT_WINNER) is False
    assert skan.won(skan_examples.V3_WINNER) is True


BASE: dict[str, Any] = {
    "ad-network-id": "example123.skadnetwork",
    "app-id": 525463029,
    "transaction-id": "a4b1c4f6-8a8f-4f0e-9d35-2c8b4f1e7c11",
}

NET, APP, TX = BASE["ad-network-id"], "525463029", BASE["transaction-id"]


def _joined(*values: str) -> str:
    return SEP.join(values)


# One realistic postback per version, and the string Apple signs for it (its documented order).
VERSIONS: list[tuple[str, dict[str, Any], str]] = [
    ("p192", {**BASE, "campaign-id": 17}, _joined(NET, "17", APP, TX)),
    (
        "p192",
        {**BASE, "version": "2.0", "campaign-id": 17, "redownload": False, "source-app-id": 88},
        _joined("2.0", NET, "17", APP, TX, "false", "88"),
    ),
    (
        "p256",
        {**BASE, "version": "2.1", "campaign-id": 17, "redownload": True},
        _joined("2.1", NET, "17", APP, TX, "true"),
    ),
    (
        "p256",
        {
            **BASE,
            "version": "2.2",
            "campaign-id": 17,
            "redownload": False,
            "source-app-id": 88,
            "fidelity-type": 0,
            "conversion-value": 7,
        },
        _joined("2.2", NET, "17", APP, TX, "false", "88", "0"),
    ),
    (
        "p256",
        {
            **BASE,
            "version": "3.0",
            "campaign-id": 17,
            "redownload": False,
            "fidelity-type": 1,
            "did-win": False,
        },
        _joined("3.0", NET, "17", APP, TX, "false", "1", "false"),
    ),
    (
        "p256",
        {
            **BASE,
            "version": "4.0",
            "source-identifier": "2417",
            "redownload": False,
            "source-app-id": 1234567891,
            "fidelity-type": 1,
            "did-win": True,
            "fine-conversion-value": 42,
            "postback-sequence-index": 0,
        },
        _joined("4.0", NET, "2417", APP, TX, "false", "1234567891", "1", "true", "0"),
    ),
    (
        "p256",
        {
            **BASE,
            "version": "4.0",
            "source-identifier": "24",
            "redownload": True,
            "fidelity-type": 0,
            "did-win": False,
            "postback-sequence-index": 2,
        },
        _joined("4.0", NET, "24", APP, TX, "true", "0", "false", "2"),
    ),
]


@pytest.mark.parametrize(("curve", "report", "message"), VERSIONS)
def test_each_version_verifies_over_apples_field_order(
    test_keys: dict[str, ec.EllipticCurvePrivateKey],
    curve: str,
    report: dict[str, Any],
    message: str,
) -> None:
    signed = _signed(report, message, test_keys[curve])
    assert skan.signed_message(report) == message.encode("utf-8")
    assert skan.verify(signed, _public(test_keys)) is True


@pytest.mark.parametrize(("curve", "report", "message"), VERSIONS)
def test_each_version_fails_when_tampered_or_signed_by_another_key(
    test_keys: dict[str, ec.EllipticCurvePrivateKey],
    curve: str,
    report: dict[str, Any],
    message: str,
) -> None:
    signed = _signed(report, message, test_keys[curve])
    tampered = {**signed, "transaction-id": "b4b1c4f6-8a8f-4f0e-9d35-2c8b4f1e7c11"}
    assert skan.verify(tampered, _public(test_keys)) is False
    stranger = ec.generate_private_key(test_keys[curve].curve)
    assert skan.verify(_signed(report, message, stranger), _public(test_keys)) is False
    other_curve = "p256" if curve == "p192" else "p192"
    assert skan.verify(_signed(report, message, test_keys[other_curve]), _public(test_keys)) is (
        False
    )
    assert skan.verify(signed) is False  # not Apple's


@pytest.mark.parametrize(
    "broken",
    [
        {"attribution-signature": "not base64!"},
        {"attribution-signature": ""},
        {"attribution-signature": None},
        {"version": "9.9"},
        {"source-identifier": None},
    ],
)
def test_unusable_postbacks_do_not_verify(broken: dict[str, Any]) -> None:
    assert skan.verify({**skan_examples.V4_WEB_HIGH_TIER, **broken}) is False


def test_before_version_3_every_postback_is_a_win() -> None:
    assert skan.won(skan_examples.V2_2) is True
    assert skan.won({**BASE, "campaign-id": 1}) is True  # version 1.0 has no version field
    assert skan.won({**skan_examples.V4_WEB_HIGH_TIER, "did-win": False}) is False
