"""The web collector: flat and encrypted payloads, CORS, limits."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from attribution.contracts import RECORD_PAGE_VIEW
from ingest import webcrypto
from ingest.models import WebCollectorKey
from tests.ingest.conftest import Api, Published

ORIGIN = "https://shop.example.test"


@pytest.fixture
def site(api: Api) -> Api:
    api.project.allowed_origins = f"{ORIGIN}\nhttps://other.example.test"
    api.project.save()
    return api


def _event(api: Api, **fields: object) -> dict[str, object]:
    return {
        "token": api.project.web_token,
        "event_id": "6f1c2c8e-0000-4000-8000-000000000001",
        "event_type": "page_view",
        "event_name": "",
        "event_data": "",
        "visitor_id": "v-1",
        "session_id": "s-1",
        "page_url": "https://shop.example.test/?utm_source=news",
        "utm_source": "news",
        "screen_width": 390,
        "is_bot": 0,
        **fields,
    }


def _post(api: Api, path: str, body: dict[str, object], **headers: str) -> Any:
    return api.raw(path, json.dumps(body).encode(), **headers)


@pytest.mark.parametrize("path", ["/web/ingest", "/web/collect"])
def test_flat_page_view_is_published(site: Api, published: Published, path: str) -> None:
    response = _post(site, path, _event(site), Origin=ORIGIN)

    assert response.status_code == 202
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    (message,) = published.of(RECORD_PAGE_VIEW)
    assert message["project_id"] == site.project.pk
    assert message["ip"] == "127.0.0.1"
    assert message["utm_source"] == "news"
    assert message["screen_width"] == 390
    assert message["page_url"] == "https://shop.example.test/?utm_source=news"
    assert message["event_type"] == "page_view"
    assert message["occurred_at"]
    assert "token" not in message


def test_a_visitor_ip_header_is_believed_only_with_the_server_key(
    site: Api, published: Published
) -> None:
    claimed = {"X-Linkrunner-Visitor-IP": "203.0.113.9"}
    _post(site, "/web/ingest", _event(site), **claimed)
    _post(site, "/web/ingest", _event(site), **claimed, **{"linkrunner-key": "hz_sk_wrong"})
    _post(site, "/web/ingest", _event(site), **claimed, **{"linkrunner-key": site.server_key})

    ips = [message["ip"] for message in published.of(RECORD_PAGE_VIEW)]
    assert ips == ["127.0.0.1", "127.0.0.1", "203.0.113.9"]


def test_encrypted_envelope_is_opened(site: Api, published: Published) -> None:
    pem, public = webcrypto.new_key_pair()
    WebCollectorKey.objects.create(
        project=site.project, key_id="k1", private_key=pem, public_key=public
    )
    plaintext = json.dumps(_event(site, event_type="custom", event_name="signup_click")).encode()
    envelope = webcrypto.encrypt(webcrypto.b64url_decode(public), "k1", plaintext, os.urandom(12))

    response = _post(site, "/web/ingest", envelope, Origin=ORIGIN)

    assert response.status_code == 202
    (message,) = published.of(RECORD_PAGE_VIEW)
    assert message["event_name"] == "signup_click"


def test_tampered_envelope_is_refused(site: Api, published: Published) -> None:
    pem, public = webcrypto.new_key_pair()
    WebCollectorKey.objects.create(
        project=site.project, key_id="k1", private_key=pem, public_key=public
    )
    envelope = webcrypto.encrypt(webcrypto.b64url_decode(public), "k1", b"{}", os.urandom(12))
    wrong_info = dict(envelope, kid="k2")
    WebCollectorKey.objects.create(
        project=site.project, key_id="k2", private_key=pem, public_key=public
    )

    response = _post(site, "/web/ingest", wrong_info, Origin=ORIGIN)

    assert response.status_code == 400
    assert site.envelope(response)["data"]["error"] == "invalid_envelope"
    assert published.messages == []


def test_preflight_answers_allowed_origin_only(site: Api) -> None:
    allowed = site.client.options("/web/ingest", headers={"Origin": ORIGIN})
    denied = site.client.options("/web/ingest", headers={"Origin": "https://evil.example.test"})

    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in allowed["Access-Control-Allow-Methods"]
    assert allowed["Access-Control-Allow-Headers"] == "Content-Type"
    assert "Access-Control-Allow-Origin" not in denied


def test_post_from_foreign_origin_is_refused(site: Api, published: Published) -> None:
    response = _post(site, "/web/ingest", _event(site), Origin="https://evil.example.test")

    assert response.status_code == 403
    assert published.messages == []


def test_oversized_body_is_refused(site: Api, published: Published) -> None:
    response = _post(site, "/web/ingest", _event(site, page_title="x" * 66_000), Origin=ORIGIN)

    assert response.status_code == 413
    assert published.messages == []


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"event_type": "purchase"}, "invalid_choice"),
        ({"event_type": "custom", "event_name": ""}, "blank_field"),
        ({"page_url": {"nested": True}}, "invalid_type"),
        ({"token": "lr_web_unknown"}, "unknown_token"),
    ],
)
def test_bad_web_events_are_refused(
    site: Api, published: Published, fields: dict[str, object], code: str
) -> None:
    response = _post(site, "/web/ingest", _event(site, **fields), Origin=ORIGIN)

    assert 400 <= response.status_code < 500
    assert site.envelope(response)["data"]["error"] == code
    assert published.messages == []


def test_key_command_creates_a_usable_pair(
    site: Api, published: Published, capsys: pytest.CaptureFixture[str]
) -> None:
    from django.core.management import call_command

    call_command("web_collector_key", str(site.project.pk))
    printed = dict(line.split("=", 1) for line in capsys.readouterr().out.split())
    plaintext = json.dumps(_event(site)).encode()
    envelope = webcrypto.encrypt(
        webcrypto.b64url_decode(printed["publicKey"]), printed["keyId"], plaintext, os.urandom(12)
    )

    response = _post(site, "/web/ingest", envelope, Origin=ORIGIN)

    assert response.status_code == 202
    assert len(published.of(RECORD_PAGE_VIEW)) == 1
