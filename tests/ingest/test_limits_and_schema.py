"""Rate limits answer 429 with Retry-After; the OpenAPI schema documents every route."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from tests.ingest.conftest import Api, Published


@override_settings(HAZELNUT_RATE_LIMIT_SDK_PER_SECOND=2)
def test_sdk_rate_limit_per_project(api: Api, published: Published) -> None:
    statuses = [api.sdk("capture-event", {"event_name": "tap"}).status_code for _ in range(4)]

    assert statuses[:2] == [201, 201]
    assert 429 in statuses[2:]
    limited = api.sdk("capture-event", {"event_name": "tap"})
    if limited.status_code == 429:  # the one-second window may have rolled over meanwhile
        assert limited["Retry-After"] == "1"
        assert api.envelope(limited)["msg"] == "Rate limit exceeded. Please try again later."
    assert len(published.messages) == statuses.count(201) + (limited.status_code == 201)


@override_settings(HAZELNUT_RATE_LIMIT_IP_PER_SECOND=1, HAZELNUT_RATE_LIMIT_DATA_PER_SECOND=100)
def test_server_api_rate_limit_per_ip(api: Api, published: Published) -> None:
    body = {"event_name": "x", "user_id": "u"}

    statuses = [api.server("POST", "/api/v1/capture-event", body).status_code for _ in range(3)]

    assert statuses[0] == 201
    assert 429 in statuses


@pytest.mark.django_db
def test_schema_lists_every_route() -> None:
    from django.test import Client

    response = Client().get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    expected = {
        "/api/client/init",
        "/api/client/trigger",
        "/api/client/set-user-data",
        "/api/client/capture-event",
        "/api/client/capture-payment",
        "/api/client/remove-captured-payment",
        "/api/client/attribution-data",
        "/api/client/handle-deeplink",
        "/api/client/integrations",
        "/api/client/update-push-token",
        "/api/client/updatePushToken",
        "/api/client/customer-user-id",
        "/api/client/deeplink-triggered",
        "/api/client/log",
        "/api/client/getProfile",
        "/api/v1/capture-event",
        "/api/v1/capture-payment",
        "/api/v1/remove-payment",
        "/api/v1/get-attribution-result",
        "/api/v1/create-campaign",
        "/api/v1/campaigns/{display_id}",
        "/web/ingest",
        "/web/collect",
        "/{display_id}",
    }
    assert expected <= set(paths)
    assert set(paths["/api/v1/campaigns/{display_id}"]) >= {"patch", "put", "delete"}
    payment = paths["/api/client/capture-payment"]["post"]
    assert payment["requestBody"]["content"]["application/json"]["examples"]
    assert {"200", "201", "400", "401", "429"} <= set(payment["responses"])


@pytest.mark.django_db
def test_docs_page_renders() -> None:
    from django.test import Client

    assert Client().get("/api/docs/").status_code == 200


@override_settings(HAZELNUT_RATE_LIMIT_SDK_PER_SECOND=1)
def test_rate_limited_init_does_not_use_up_the_first_launch(api: Api, published: Published) -> None:
    body = {"platform": "IOS", "device_data": {}}
    api.sdk("init", {**body, "install_instance_id": "warm-up"})

    limited = api.sdk("init", {**body, "install_instance_id": "inst-9"})
    if limited.status_code == 200:
        pytest.skip("the one-second window rolled over between the calls")
    assert limited.status_code == 429
    assert [m["install_instance_id"] for _, m in published.messages] == ["warm-up"]


def test_redis_outage_falls_back_to_the_database(
    api: Api, published: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest import kv

    body = {"platform": "IOS", "device_data": {}, "install_instance_id": "inst-1"}
    with monkeypatch.context() as patch:
        patch.setattr(settings, "REDIS_URL", "unix:///nonexistent/redis.sock")
        kv.client.cache_clear()
        first = api.sdk("init", body)
        payment = api.sdk("capture-payment", {"amount": 1, "payment_id": "P-1"})
    kv.client.cache_clear()

    assert first.status_code == 200
    assert api.envelope(first)["data"]["is_first_launch"] is True
    assert payment.status_code == 201
    assert len(published.messages) == 2
