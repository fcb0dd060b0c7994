"""The server-to-server API under /api/v1/: key auth, events, payments, campaigns, results."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from attribution.contracts import RECORD_CUSTOM_EVENT, RECORD_PAYMENT, REMOVE_PAYMENT
from attribution.models import App, Campaign, Domain, Install, Payment, Platform, UserIdentity
from attribution.models.install import AttributionType
from tests.ingest.conftest import Api, Published


def test_missing_key_is_refused(api: Api) -> None:
    response = api.client.post("/api/v1/capture-event", data="{}", content_type="application/json")

    assert response.status_code == 401
    assert api.envelope(response)["msg"] == "Server key missing!"


def test_wrong_key_is_refused(api: Api, published: Published) -> None:
    response = api.client.post(
        "/api/v1/capture-event",
        data='{"event_name": "x", "user_id": "u"}',
        content_type="application/json",
        headers={"linkrunner-key": api.server_key + "x"},
    )

    assert response.status_code == 401
    assert api.envelope(response)["msg"] == "Server key invalid!"
    assert published.messages == []


def test_capture_event(api: Api, published: Published) -> None:
    response = api.server(
        "POST", "/api/v1/capture-event", {"event_name": "upgraded", "user_id": "u1"}
    )

    assert response.status_code == 201
    assert api.envelope(response)["msg"] == "Event capture request received!"
    (message,) = published.of(RECORD_CUSTOM_EVENT)
    assert message["origin"] == "s2s"
    assert message["user_id"] == "u1"
    assert message["body"]["event_name"] == "upgraded"


def test_capture_event_requires_user_id(api: Api, published: Published) -> None:
    response = api.server("POST", "/api/v1/capture-event", {"event_name": "upgraded"})

    assert response.status_code == 400
    assert api.envelope(response)["data"]["field"] == "user_id"
    assert published.messages == []


def test_capture_payment_replay(api: Api, published: Published) -> None:
    body = {"user_id": "u1", "payment_id": "P-1", "amount": "19.90", "currency": "eur"}

    statuses = [api.server("POST", "/api/v1/capture-payment", body).status_code for _ in range(2)]

    assert statuses == [201, 200]
    (message,) = published.of(RECORD_PAYMENT)
    assert (message["body"]["amount"], message["body"]["currency"]) == ("19.90", "EUR")
    assert message["body"]["type"] == "DEFAULT"
    assert message["body"]["status"] == "PAYMENT_COMPLETED"


def _payment(api: Api, payment_id: str, user_id: str = "u1") -> Payment:
    return Payment.objects.create(
        project=api.project,
        user_id=user_id,
        payment_id=payment_id,
        amount=Decimal("5"),
        occurred_at=timezone.now(),
    )


def test_remove_payment(api: Api, published: Published) -> None:
    _payment(api, "P-2")
    _payment(api, "P-1")

    response = api.server("POST", "/api/v1/remove-payment", {"payment_id": "P-1"})

    assert response.status_code == 200
    assert api.envelope(response)["data"] == {"matched": 1}
    (message,) = published.of(REMOVE_PAYMENT)
    assert (message["origin"], message["body"]["payment_id"]) == ("s2s", "P-1")
    # The events task removes it; the edge only checked that it exists.
    assert Payment.objects.filter(removed_at__isnull=True).count() == 2


def test_remove_payment_by_user_counts_all_of_theirs(api: Api, published: Published) -> None:
    _payment(api, "P-1")
    _payment(api, "P-2")
    _payment(api, "P-3", user_id="u2")

    response = api.server("POST", "/api/v1/remove-payment", {"user_id": "u1"})

    assert api.envelope(response)["data"] == {"matched": 2}
    assert published.of(REMOVE_PAYMENT)[0]["user_id"] == "u1"


def test_remove_payment_not_found(api: Api, published: Published) -> None:
    response = api.server("POST", "/api/v1/remove-payment", {"payment_id": "nope"})
    neither = api.server("POST", "/api/v1/remove-payment", {})

    assert response.status_code == 400
    assert api.envelope(response)["msg"] == "No payment found."
    assert neither.status_code == 400
    assert published.messages == []


def _attributed_install(api: Api, campaign: Campaign) -> Install:
    now = timezone.now()
    return Install.objects.create(
        project=api.project,
        install_instance_id="inst-1",
        platform="ANDROID",
        gaid="gaid-1",
        status=Install.Status.ATTRIBUTED,
        attribution_type=AttributionType.INORGANIC,
        campaign=campaign,
        network_code="META",
        installed_at=now,
        last_seen_at=now,
    )


def test_attribution_result(api: Api) -> None:
    campaign = Campaign.objects.create(
        project=api.project, display_id="spring", name="Spring", deeplink="app://spring"
    )
    install = _attributed_install(api, campaign)
    UserIdentity.objects.create(project=api.project, user_id="u1", install=install)

    by_device = api.server("GET", "/api/v1/get-attribution-result", {"device_identifier": "gaid-1"})
    by_user = api.server("GET", "/api/v1/get-attribution-result", {"user_id": "u1"})
    nothing = api.server("GET", "/api/v1/get-attribution-result", {"user_id": "u9"})
    neither = api.server("GET", "/api/v1/get-attribution-result")

    data = api.envelope(by_device)["data"]
    assert data["display_id"] == "spring"
    assert data["deeplink"] == "app://spring"
    assert data["ad_network"] == "META"
    assert data["attribution_type"] == "INORGANIC"
    assert api.envelope(by_user)["data"] == data
    assert nothing.status_code == 204
    assert nothing.content == b""
    assert neither.status_code == 400
    assert api.envelope(neither)["msg"] == "Either device_identifier or user_id is required."


def test_create_update_delete_campaign(api: Api) -> None:
    Domain.objects.create(project=api.project, host="go.example.test", is_default=True)
    app = App.objects.create(
        project=api.project, platform=Platform.ANDROID, name="App", bundle_id="com.example"
    )

    created = api.server(
        "POST",
        "/api/v1/create-campaign",
        {
            "name": "Spring",
            "custom_display_id": "spring24",
            "deeplink": "app://spring",
            "link_for_desktop_users": "https://example.test/spring",
            "store_listing_ids": [str(app.pk)],
        },
    )
    taken = api.server(
        "POST", "/api/v1/create-campaign", {"name": "B", "custom_display_id": "spring24"}
    )
    patched = api.server("PATCH", "/api/v1/campaigns/spring24", {"active": False})
    put = api.server("PUT", "/api/v1/campaigns/spring24", {"name": "Spring 2"})
    empty = api.server("PATCH", "/api/v1/campaigns/spring24", {})
    deleted = api.server("DELETE", "/api/v1/campaigns/spring24")
    missing = api.server("DELETE", "/api/v1/campaigns/spring24")

    assert created.status_code == 201
    data = api.envelope(created)["data"]
    assert data["display_id"] == "spring24"
    assert data["link"] == "https://go.example.test/spring24"
    assert data["store_listings"] == [
        {"store_listing_id": str(app.pk), "name": "App", "platform": "ANDROID"}
    ]
    assert taken.status_code == 400
    assert api.envelope(patched)["data"]["active"] is False
    assert api.envelope(put)["data"]["name"] == "Spring 2"
    assert empty.status_code == 400
    assert deleted.status_code == 204
    assert missing.status_code == 404
    assert api.envelope(missing)["msg"] == "Campaign not found!"
    assert not Campaign.objects.filter(display_id="spring24").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x", "custom_display_id": "has space"}, "custom_display_id"),
        ({"name": "x", "custom_display_id": "admin"}, "custom_display_id"),
        ({"name": "x", "ios_web_redirect": "javascript:alert(1)"}, "ios_web_redirect"),
        ({"name": "x", "store_listing_ids": "1"}, "store_listing_ids"),
    ],
)
def test_create_campaign_bad_input(api: Api, body: dict[str, object], field: str) -> None:
    response = api.server("POST", "/api/v1/create-campaign", body)

    assert response.status_code == 400
    assert api.envelope(response)["data"]["field"] == field
    assert Campaign.objects.count() == 0


@pytest.mark.parametrize("listing", ["99999999999999999999999", 99999999999999999999999])
def test_create_campaign_with_an_impossible_listing_id_is_a_400(api: Api, listing: object) -> None:
    body = {"name": "x", "store_listing_ids": [listing]}
    response = api.server("POST", "/api/v1/create-campaign", body)

    assert (response.status_code, api.envelope(response)["data"]) == (
        400,
        {"error": "invalid_campaign"},
    )
    assert Campaign.objects.count() == 0


def test_other_projects_campaigns_are_invisible(api: Api) -> None:
    from attribution.models import Project

    other, _ = Project.new("Other")
    other.save()
    Campaign.objects.create(project=other, display_id="theirs", name="Theirs")

    response = api.server("DELETE", "/api/v1/campaigns/theirs")

    assert response.status_code == 404
    assert Campaign.objects.filter(display_id="theirs").exists()


def test_the_decision_of_an_accepted_install_not_stored_yet_is_pending(
    api: Api, published: Published
) -> None:
    api.sdk("init", {"platform": "IOS", "install_instance_id": "inst-late", "device_data": {}})

    pending = api.server("GET", "/api/v1/attribution-decision/inst-late")
    unknown = api.server("GET", "/api/v1/attribution-decision/inst-never")

    assert (pending.status_code, api.envelope(pending)["data"]) == (
        200,
        {
            "install_instance_id": "inst-late",
            "status": "PENDING",
            "attribution_type": None,
            "source": None,
            "network": None,
            "campaign": None,
            "is_reinstall": None,
            "decision": None,
        },
    )
    assert (unknown.status_code, api.envelope(unknown)["data"]) == (
        404,
        {"error": "install_not_found"},
    )


@pytest.mark.parametrize(
    "path", ["/api/v1/attribution-decision/inst-1", "/api/v1/reporting/campaigns"]
)
def test_read_routes_answer_other_methods_with_a_405_envelope(api: Api, path: str) -> None:
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(path, "{}", content_type="application/json")

    assert (response.status_code, response["Allow"]) == (405, "GET, HEAD")
    assert api.envelope(response)["data"] == {"error": "method_not_allowed"}
