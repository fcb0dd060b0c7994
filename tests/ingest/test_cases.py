"""Cases C03, C13, C15, C20, C22 (and C12's first-launch answer) at the API level."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from django.test import Client

from attribution.contracts import (
    ATTRIBUTE_INSTALL,
    RECORD_CLICK,
    RECORD_CUSTOM_EVENT,
    RECORD_PAYMENT,
)
from attribution.models import App, Campaign, Payment, Platform
from tests.ingest.conftest import Api, Published

IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
ANDROID_UA = (
    "Mozilla/5.0 (Linux; Android 14; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)


def _payment(install_id: str, transaction_id: str, amount: str, currency: str) -> dict[str, object]:
    return {
        "user_id": "user-1",
        "payment_id": transaction_id,
        "amount": Decimal(amount),
        "currency": currency,
        "type": "ONE_TIME",
        "platform": "IOS",
        "install_instance_id": install_id,
        "data": {"device_data": {}},
    }


def _json_payment(*args: str) -> dict[str, object]:
    body = _payment(*args)
    amount = body["amount"]
    assert isinstance(amount, Decimal)
    body["amount"] = float(amount)
    return body


def test_c03_click_utms_are_form_decoded_once(api: Api, published: Published) -> None:
    Campaign.objects.create(project=api.project, display_id="lnk-c03", name="C03")
    query = (
        "utm_source=clevertap&utm_medium=whatsapp&utm_campaign=user%5Fengagement%5F17%5F02%5F2023"
        "&utm_term=spring+sale&utm_content=size%2B1"
    )
    client = Client(REMOTE_ADDR="203.0.113.30")
    response = client.get(f"/c/lnk-c03?{query}", headers={"user-agent": IPHONE_UA})
    literal = client.get(
        "/lnk-c03?utm_campaign=user_engagement_17_02_2023", headers={"user-agent": IPHONE_UA}
    )

    assert response.status_code in {302, 200}
    first, second = published.of(RECORD_CLICK)
    assert first["params"] == {
        "utm_source": "clevertap",
        "utm_medium": "whatsapp",
        "utm_campaign": "user_engagement_17_02_2023",
        "utm_term": "spring sale",
        "utm_content": "size+1",
    }
    assert first["ip"] == "203.0.113.30"
    assert first["user_agent"] == IPHONE_UA
    assert literal.status_code in {302, 200}
    assert second["params"]["utm_campaign"] == first["params"]["utm_campaign"]


def test_c12_repeated_init_is_a_session(api: Api, published: Published) -> None:
    body = {
        "package_version": "4.0.1",
        "app_version": "1.0",
        "platform": "IOS",
        "install_instance_id": "inst-c12",
        "device_data": {"idfv": "c12b0000-0000-4000-8000-000000000012"},
    }

    first = api.sdk("init", body)
    second = api.sdk("init", body)

    assert [first.status_code, second.status_code] == [200, 200]
    flags = [api.envelope(r)["data"]["is_first_launch"] for r in (first, second)]
    assert flags == [True, False]
    assert [m["install_instance_id"] for m in published.of(ATTRIBUTE_INSTALL)] == ["inst-c12"] * 2


def test_c13_replayed_payment_is_a_duplicate_success(api: Api, published: Published) -> None:
    steps = [
        _json_payment("inst-c13", "T-1001", "9.99", "USD"),
        _json_payment("inst-c13", "T-1001", "9.99", "USD"),
        _json_payment("inst-c13", "T-1002", "4.99", "USD"),
    ]

    responses = [api.sdk("capture-payment", step) for step in steps]

    assert [r.status_code for r in responses] == [201, 200, 201]
    bodies = [api.envelope(r) for r in responses]
    assert [b["data"]["duplicate"] for b in bodies] == [False, True, False]
    assert bodies[1]["data"]["payment_id"] == "T-1001"
    sent = published.of(RECORD_PAYMENT)
    assert [m["body"]["payment_id"] for m in sent] == ["T-1001", "T-1002"]
    assert sum(Decimal(m["body"]["amount"]) for m in sent) == Decimal("14.98")
    assert {m["body"]["currency"] for m in sent} == {"USD"}


def test_c13_replay_is_caught_by_the_stored_row_without_redis_memory(
    api: Api, published: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.utils import timezone

    Payment.objects.create(
        project=api.project,
        user_id="user-1",
        payment_id="T-1001",
        type="ONE_TIME",
        amount=Decimal("9.99"),
        occurred_at=timezone.now(),
    )

    response = api.sdk("capture-payment", _json_payment("inst-c13", "T-1001", "9.99", "USD"))

    assert response.status_code == 200
    assert api.envelope(response)["data"]["duplicate"] is True
    assert published.of(RECORD_PAYMENT) == []


def test_c15_currency_is_upper_cased_and_checked_against_iso_4217(
    api: Api, published: Published
) -> None:
    first = api.sdk("capture-payment", _json_payment("inst-c15", "T-1501", "4.99", "usd"))
    second = api.sdk("capture-payment", _json_payment("inst-c15", "T-1502", "4.99", "US$"))

    assert [first.status_code, second.status_code] == [201, 400]
    assert api.envelope(second)["data"] == {"error": "invalid_currency", "field": "currency"}
    sent = published.of(RECORD_PAYMENT)
    assert [m["body"]["currency"] for m in sent] == ["USD"]
    assert sum(Decimal(m["body"]["amount"]) for m in sent) == Decimal("4.99")


def test_c20_unicode_event_names_are_kept_nfc(api: Api, published: Published) -> None:
    names = ["구매 완료", "level_up_🎉"]
    decomposed = unicodedata.normalize("NFD", names[0])
    assert decomposed != names[0]
    bodies = [
        {"event_name": decomposed, "event_id": "ev-c20-1", "install_instance_id": "inst-c20"},
        {"event_name": names[1], "event_id": "ev-c20-2", "install_instance_id": "inst-c20"},
    ]

    responses = [api.sdk("capture-event", body) for body in bodies]

    assert [r.status_code for r in responses] == [201, 201]
    sent = published.of(RECORD_CUSTOM_EVENT)
    assert [m["body"]["event_name"] for m in sent] == names
    assert [m["body"]["event_id"] for m in sent] == ["ev-c20-1", "ev-c20-2"]


def test_c22_play_store_gets_utms_and_click_id_inside_referrer(
    api: Api, published: Published
) -> None:
    app = App.objects.create(
        project=api.project, platform=Platform.ANDROID, name="Example", bundle_id="com.example.app"
    )
    campaign = Campaign.objects.create(project=api.project, display_id="lnk-c22", name="C22")
    campaign.store_listings.add(app)
    client = Client(REMOTE_ADDR="198.51.100.22")

    response = client.get(
        "/lnk-c22?utm_source=newsletter&utm_campaign=spring", headers={"user-agent": ANDROID_UA}
    )

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.netloc + location.path == "play.google.com/store/apps/details"
    query = parse_qsl(location.query)
    assert [key for key, _ in query] == ["id", "referrer"]
    (click,) = published.of(RECORD_CLICK)
    assert dict(query) == {
        "id": "com.example.app",
        "referrer": f"utm_source=newsletter&utm_campaign=spring&click_id={click['click_id']}",
    }
    assert "utm_source" not in parse_qs(location.query)
    assert click["ip"] == "198.51.100.22"
    assert click["campaign_id"] == campaign.pk
