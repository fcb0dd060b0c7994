"""The /api/client/ routes other than the cases: response shapes and synchronous updates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pytest_django import DjangoAssertNumQueries

from attribution.contracts import HANDLE_DEEPLINK, RECORD_SIGNUP
from attribution.models import Campaign, Click, Install, UserIdentity
from attribution.models.install import AttributionType
from tests.ingest.conftest import Api, Published

IID = "kXb3Lq9Zr2Tt7Yw1Pm0a"


def _install(api: Api, **fields: object) -> Install:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    values: dict[str, object] = {
        "project": api.project,
        "install_instance_id": IID,
        "platform": "IOS",
        "installed_at": moment,
        "last_seen_at": moment,
        **fields,
    }
    return Install.objects.create(**values)


def test_attribution_data_of_an_attributed_install(api: Api) -> None:
    campaign = Campaign.objects.create(
        project=api.project, display_id="spring", name="Spring", deeplink="app://spring"
    )
    _install(
        api,
        status=Install.Status.ATTRIBUTED,
        attribution_type=AttributionType.INORGANIC,
        campaign=campaign,
        network_code="META",
    )

    response = api.sdk("attribution-data", {"platform": "IOS", "install_instance_id": IID})

    data = api.envelope(response)["data"]
    assert set(data) == {"attribution_source", "deeplink", "campaign_data"}
    assert data["deeplink"] == "app://spring"
    campaign_data = data["campaign_data"]
    assert (campaign_data["id"], campaign_data["name"], campaign_data["type"]) == (
        "spring",
        "Spring",
        "INORGANIC",
    )
    assert campaign_data["ad_network"] == "META"
    assert campaign_data["installed_at"] == "2026-01-02T03:04:05Z"


def test_the_deferred_deep_link_keeps_the_clicked_links_extra_parameters(api: Api) -> None:
    campaign = Campaign.objects.create(
        project=api.project, display_id="spring", name="Spring", deeplink="app://spring?tab=1"
    )
    click = Click.objects.create(
        project=api.project,
        campaign=campaign,
        click_id="clk-ref",
        clicked_at=datetime(2026, 1, 2, 3, 0, tzinfo=UTC),
        url="https://go.example.test/spring?referrer=user_1&tab=9",
    )
    _install(
        api,
        status=Install.Status.ATTRIBUTED,
        attribution_type=AttributionType.INORGANIC,
        campaign=campaign,
        click=click,
    )

    data = api.envelope(api.sdk("attribution-data", {"install_instance_id": IID}))["data"]
    signup = {"user_data": {"id": "u1"}, "install_instance_id": IID}
    legacy = api.envelope(api.sdk("trigger", signup))["data"]

    # The campaign's own parameters win over the click's; the rest are appended.
    assert data["deeplink"] == "app://spring?tab=1&referrer=user_1"
    assert legacy["deeplink"] == "app://spring?tab=1&referrer=user_1"


def test_attribution_data_before_attribution(api: Api) -> None:
    response = api.sdk("attribution-data", {"platform": "IOS", "install_instance_id": IID})

    assert response.status_code == 200
    assert api.envelope(response)["data"] == {
        "attribution_source": "UNKNOWN",
        "deeplink": None,
        "campaign_data": None,
    }


def test_handle_deeplink_of_a_campaign_link(api: Api, published: Published) -> None:
    Campaign.objects.create(
        project=api.project, display_id="spring", name="Spring", deeplink="app://promo"
    )
    url = "https://go.example.test/spring?ref=ada"

    ours = api.sdk("handle-deeplink", {"install_instance_id": IID, "deeplink_url": url})
    foreign = api.sdk(
        "handle-deeplink", {"install_instance_id": IID, "deeplink_url": "https://x.test/a/b"}
    )

    assert api.envelope(ours)["data"] == {
        "deeplink": "app://promo?ref=ada",
        "is_linkrunner": True,
        "processing": True,
    }
    assert api.envelope(foreign)["data"]["is_linkrunner"] is False
    (message,) = published.of(HANDLE_DEEPLINK)
    assert message["deeplink_url"] == url


def test_signup_is_published(api: Api, published: Published) -> None:
    response = api.sdk(
        "trigger",
        {"user_data": {"id": 42, "name": "Ada"}, "install_instance_id": IID, "data": {"k": 1}},
    )

    assert response.status_code == 200
    (message,) = published.of(RECORD_SIGNUP)
    assert message["user_id"] == "42"
    assert message["body"]["data"] == {"k": 1}


def test_trigger_hands_legacy_sdks_the_deferred_deep_link_until_they_open_it(api: Api) -> None:
    campaign = Campaign.objects.create(
        project=api.project, display_id="spring", name="Spring", deeplink="app://spring"
    )
    install = _install(api, campaign=campaign, attribution_type=AttributionType.INORGANIC)
    signup = {"user_data": {"id": "u1"}, "install_instance_id": IID}

    pending = api.envelope(api.sdk("trigger", signup))["data"]
    Install.objects.filter(pk=install.pk).update(status=Install.Status.ATTRIBUTED)
    first = api.envelope(api.sdk("trigger", signup))["data"]
    api.sdk("deeplink-triggered", {"install_instance_id": IID})
    later = api.envelope(api.sdk("trigger", signup))["data"]

    assert (pending["trigger"], pending["deeplink"]) == (False, None)
    assert (first["trigger"], first["deeplink"]) == (True, "app://spring")
    assert (later["trigger"], later["deeplink"]) == (False, None)
    assert Install.objects.get().deeplink_opened_at is not None


def test_trigger_has_no_deep_link_for_an_organic_install(api: Api) -> None:
    _install(api, status=Install.Status.ATTRIBUTED)
    data = api.envelope(api.sdk("trigger", {"user_data": {"id": "u1"}, "install_instance_id": IID}))

    assert (data["data"]["trigger"], data["data"]["deeplink"]) == (False, None)


@pytest.mark.parametrize("route", ["update-push-token", "updatePushToken"])
def test_push_token_is_stored(api: Api, route: str) -> None:
    _install(api)

    response = api.sdk(route, {"push_token": "fcm-1", "install_instance_id": IID})

    assert api.envelope(response)["status"] == 200
    assert Install.objects.get().push_token == "fcm-1"


def test_update_for_an_install_not_yet_written_asks_for_a_retry(
    api: Api, published: Published
) -> None:
    init = api.sdk("init", {"platform": "IOS", "install_instance_id": IID, "device_data": {}})
    assert init.status_code == 200

    response = api.sdk("customer-user-id", {"user_id": "u1", "install_instance_id": IID})

    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert api.envelope(response)["data"] == {"error": "install_pending"}


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("customer-user-id", {"user_id": "u1"}),
        ("integrations", {"integration_info": {"clevertap_id": "ct-1"}}),
        ("update-push-token", {"push_token": "fcm-1"}),
        ("updatePushToken", {"push_token": "fcm-1"}),
    ],
)
def test_update_for_an_install_never_initialised_is_not_found(
    api: Api, route: str, body: dict[str, object]
) -> None:
    # Found by schemathesis: these answered 503 (retry) for an install no init ever announced.
    response = api.sdk(route, {**body, "install_instance_id": "never-seen"})

    assert response.status_code == 404
    assert api.envelope(response) == {
        "msg": "No install with this install_instance_id; call init first.",
        "status": 404,
        "data": {"error": "unknown_install", "field": "install_instance_id"},
    }
    assert not Install.objects.exists()


def test_customer_user_id_and_integrations(api: Api) -> None:
    _install(api, integrations={"braze": "b-1"})

    api.sdk("customer-user-id", {"user_id": "u1", "install_instance_id": IID})
    integrations = api.sdk(
        "integrations",
        {"install_instance_id": IID, "integration_info": {"clevertap_id": "ct-1"}},
    )

    install = Install.objects.get()
    assert install.customer_user_id == "u1"
    assert install.integrations == {"braze": "b-1", "clevertap_id": "ct-1"}
    assert api.envelope(integrations)["status"] == 200


def test_fractional_numbers_in_free_form_objects_are_stored(api: Api) -> None:
    # Found by schemathesis: JSON fractions decode as Decimal, which a JSONField refused (500).
    _install(api)
    token = api.project.token
    integrations = api.raw(
        "/api/client/integrations",
        f'{{"token": "{token}", "install_instance_id": "{IID}", '
        f'"integration_info": {{"score": 1.25, "w": [0.5, 2]}}}}'.encode(),
    )
    user_data = api.raw(
        "/api/client/set-user-data",
        f'{{"token": "{token}", "user_data": {{"id": "u1", "ltv": 2.5}}}}'.encode(),
    )

    assert api.envelope(integrations)["status"] == 200
    assert api.envelope(user_data)["status"] == 200
    assert Install.objects.get().integrations == {"score": 1.25, "w": [0.5, 2]}
    assert UserIdentity.objects.get(user_id="u1").data == {"ltv": 2.5}


def test_set_user_data_links_user_to_install(api: Api) -> None:
    install = _install(api)

    response = api.sdk(
        "set-user-data",
        {"user_data": {"id": "u1", "name": "Ada", "plan": "pro"}, "install_instance_id": IID},
    )

    assert response.status_code == 200
    user = UserIdentity.objects.get()
    assert (user.user_id, user.name, user.install_id, user.data) == (
        "u1",
        "Ada",
        install.pk,
        {"plan": "pro"},
    )


def test_set_user_data_changes_only_what_it_states(api: Api) -> None:
    _install(api)
    first = {"id": "u1", "name": "Bob", "email": "b@x.test", "plan": "pro"}
    api.sdk("set-user-data", {"user_data": first, "install_instance_id": IID})

    second = {"id": "u1", "phone": "555", "email": None, "seats": 3}
    api.sdk("set-user-data", {"user_data": second, "install_instance_id": IID})

    user = UserIdentity.objects.get()
    assert (user.name, user.email, user.phone, user.data) == (
        "Bob",
        "b@x.test",
        "555",
        {"plan": "pro", "seats": 3},
    )


def test_legacy_routes_answer(api: Api) -> None:
    log = api.raw("/api/client/log", b'{"anything": [1, 2]}')
    profile = api.client.get("/api/client/getProfile", {"token": api.project.token})
    triggered = api.sdk("deeplink-triggered", {"install_instance_id": IID})

    assert log.status_code == 200
    assert api.envelope(profile)["data"] == {"name": api.project.name}
    assert triggered.status_code == 200


def test_broken_install_ids_are_split_by_device(api: Api, published: Published) -> None:
    broken = "ERROR_GENERAING_INSTALL_INSTANCE_ID"
    for idfv in ("a", "b"):
        api.sdk(
            "init",
            {"platform": "IOS", "install_instance_id": broken, "device_data": {"idfv": idfv}},
        )

    ids = [m["install_instance_id"] for _, m in published.messages]
    assert len(set(ids)) == 2
    assert all(value.startswith("lrfb-") and len(value) <= 64 for value in ids)


def test_device_data_floats_reach_the_queue_as_numbers(api: Api, published: Published) -> None:
    api.raw(
        "/api/client/init",
        (
            b'{"token": "%s", "platform": "IOS", "install_instance_id": "i1",'
            b' "device_data": {"latitude": 12.5, "count": 3}}' % api.project.token.encode()
        ),
    )

    assert published.messages[0][1]["device_data"] == {"latitude": 12.5, "count": 3}


def test_routes_need_no_csrf_token(api: Api, published: Published) -> None:
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    body = f'{{"token": "{api.project.token}", "event_name": "x"}}'

    event = strict.post("/api/client/capture-event", body, content_type="application/json")
    init = strict.post(
        "/api/client/init",
        f'{{"token": "{api.project.token}", "platform": "IOS", "install_instance_id": "i",'
        ' "device_data": {}}',
        content_type="application/json",
    )

    assert (event.status_code, init.status_code) == (201, 200)


def test_init_hot_path_query_count(
    api: Api, published: Published, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    body = {"platform": "IOS", "install_instance_id": IID, "device_data": {}}
    api.sdk("init", body)  # warms the project cache and claims the first launch

    with django_assert_num_queries(0):
        session = api.sdk("init", body)
    with django_assert_num_queries(1):
        first = api.sdk("init", {**body, "install_instance_id": "another-install"})

    assert api.envelope(session)["data"]["is_first_launch"] is False
    assert api.envelope(first)["data"]["is_first_launch"] is True


def test_sdk_payment_removal_is_published_even_before_the_payment_is_stored(
    api: Api, published: Published
) -> None:
    from attribution.contracts import REMOVE_PAYMENT

    response = api.sdk(
        "remove-captured-payment",
        {"payment_id": "T-9", "user_id": "u1", "install_instance_id": IID, "platform": "IOS"},
    )
    neither = api.sdk("remove-captured-payment", {"payment_id": "", "user_id": ""})

    assert api.envelope(response)["data"] == {"matched": 0}
    (message,) = published.of(REMOVE_PAYMENT)
    assert message["body"]["payment_id"] == "T-9"
    assert neither.status_code == 400


def test_skan_values_ride_on_the_responses(api: Api, published: Published) -> None:
    from attribution.models import SkanConfig

    SkanConfig.objects.create(
        project=api.project,
        rules=[
            {"event": "signup", "fine": 3, "coarse": "low"},
            {"event": "payment", "fine": 20, "coarse": "medium", "min_revenue": 5},
            {"event": "payment", "fine": 40, "coarse": "high", "min_revenue": 50, "lock": True},
            {"event": "level_up", "fine": 8, "coarse": "low"},
        ],
    )
    base = {"install_instance_id": IID, "platform": "IOS"}

    signup = api.envelope(api.sdk("trigger", {**base, "user_data": {"id": "u1"}}))["data"]
    small = api.envelope(api.sdk("capture-payment", {**base, "amount": 1, "payment_id": "a"}))
    mid = api.envelope(api.sdk("capture-payment", {**base, "amount": 9.5, "payment_id": "b"}))
    big = api.envelope(api.sdk("capture-payment", {**base, "amount": 60, "payment_id": "c"}))
    event = api.envelope(api.sdk("capture-event", {**base, "event_name": "level_up"}))["data"]

    assert signup["fine_conversion_value"] == 3
    assert "fine_conversion_value" not in small["data"]
    assert (mid["data"]["fine_conversion_value"], mid["data"]["coarse_conversion_value"]) == (
        20,
        "medium",
    )
    assert (big["data"]["fine_conversion_value"], big["data"]["lock_postback"]) == (40, True)
    assert event["fine_conversion_value"] == 8
