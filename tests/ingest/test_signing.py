"""HMAC request signing: the contract's test vectors, then the checks on real requests."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import override_settings

from attribution.models import Platform, SigningCredential
from ingest import signing
from tests.ingest.conftest import Api, Published

VECTOR_SECRET = "test_secret_key"
VECTOR_TIMESTAMP = "1700000000000"


def test_vector_with_body() -> None:
    body = b'{"token":"proj_token_demo"}'

    assert signing.content_hash(body) == "XKOhpq//bWuKBthbOuWnfuZEx0H7QmiE+ufcUiZTYwA="
    assert (
        signing.sign(VECTOR_SECRET, VECTOR_TIMESTAMP, body)
        == "2Hhmex7CoaUr8nssi4Fgi4G1uz9BvX0j4IdkuYydNn4="
    )


def test_vector_with_empty_body() -> None:
    assert signing.content_hash(b"") == ""
    assert (
        signing.sign(VECTOR_SECRET, VECTOR_TIMESTAMP, b"")
        == "Ii9X3RQAcQbp/7/+UItxNnbi+5YFY5dAsqlT91tJeww="
    )


def test_signature_mismatch_on_one_changed_byte() -> None:
    headers = signing.SignedHeaders(
        "kid", VECTOR_TIMESTAMP, "2Hhmex7CoaUr8nssi4Fgi4G1uz9BvX0j4IdkuYydNn4="
    )

    assert signing.signature_matches(VECTOR_SECRET, headers, b'{"token":"proj_token_demo"}')
    assert not signing.signature_matches(VECTOR_SECRET, headers, b'{"token":"proj_token_demO"}')


@pytest.fixture
def credential(api: Api) -> tuple[str, str]:
    record, secret = SigningCredential.new(api.project, Platform.IOS)
    record.save()
    return record.key_id, secret


def _signed(api: Api, key_id: str, secret: str, timestamp_ms: int, body: bytes) -> Any:
    headers = {
        "Authorization": "HMAC",
        "x-Key-Id": key_id,
        "x-Timestamp": str(timestamp_ms),
        "x-Signature": signing.sign(secret, str(timestamp_ms), body),
    }
    return api.raw("/api/client/deeplink-triggered", body, **headers)


def _body(api: Api) -> bytes:
    # Spacing differs from json.dumps on purpose: the raw bytes are what is signed.
    return json.dumps({"token": api.project.token, "platform": "IOS"}, indent=1).encode()


def test_signed_request_is_accepted(
    api: Api, credential: tuple[str, str], published: Published
) -> None:
    response = _signed(api, *credential, int(time.time() * 1000), _body(api))

    assert response.status_code == 200


def test_wrong_secret_is_refused(api: Api, credential: tuple[str, str]) -> None:
    response = _signed(api, credential[0], "not-the-secret", int(time.time() * 1000), _body(api))

    assert response.status_code == 401
    assert api.envelope(response)["data"]["error"] == "invalid_signature"


def test_unknown_key_id_is_refused(api: Api, credential: tuple[str, str]) -> None:
    response = _signed(api, "kid_unknown", credential[1], int(time.time() * 1000), _body(api))

    assert response.status_code == 401


@override_settings(HAZELNUT_SIGNATURE_MAX_SKEW_SECONDS=300)
def test_stale_timestamp_is_refused(api: Api, credential: tuple[str, str]) -> None:
    six_minutes_ago = int(time.time() * 1000) - 360_000
    four_minutes_ahead = int(time.time() * 1000) + 240_000

    stale = _signed(api, *credential, six_minutes_ago, _body(api))
    fresh = _signed(api, *credential, four_minutes_ahead, _body(api))

    assert stale.status_code == 401
    assert api.envelope(stale)["data"]["error"] == "stale_timestamp"
    assert fresh.status_code == 200


@override_settings(HAZELNUT_SIGNATURE_MAX_SKEW_SECONDS=30)
def test_skew_is_configurable(api: Api, credential: tuple[str, str]) -> None:
    response = _signed(api, *credential, int(time.time() * 1000) - 60_000, _body(api))

    assert response.status_code == 401


def test_unsigned_request_refused_when_project_requires_signatures(
    api: Api, credential: tuple[str, str]
) -> None:
    api.project.signature_required = True
    api.project.save()

    unsigned = api.raw("/api/client/deeplink-triggered", _body(api))
    signed = _signed(api, *credential, int(time.time() * 1000), _body(api))

    assert unsigned.status_code == 401
    assert api.envelope(unsigned)["data"]["error"] == "signature_required"
    assert signed.status_code == 200


def test_unsigned_request_accepted_by_default(api: Api) -> None:
    assert api.raw("/api/client/deeplink-triggered", _body(api)).status_code == 200


def test_signed_init_on_the_hot_path(
    api: Api, credential: tuple[str, str], published: Published
) -> None:
    body = json.dumps(
        {
            "token": api.project.token,
            "platform": "IOS",
            "install_instance_id": "inst-s",
            "device_data": {},
        }
    ).encode()
    now = str(int(time.time() * 1000))
    good = {
        "Authorization": "HMAC",
        "x-Key-Id": credential[0],
        "x-Timestamp": now,
        "x-Signature": signing.sign(credential[1], now, body),
    }
    bad = {**good, "x-Signature": signing.sign(credential[1], now, body + b" ")}

    refused = api.raw("/api/client/init", body, **bad)
    accepted = api.raw("/api/client/init", body, **good)

    assert refused.status_code == 401
    assert accepted.status_code == 200
    assert len(published.messages) == 1
