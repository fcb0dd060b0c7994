"""Each network client against its fake receiver: required fields, click ids, time rules and
the network's own way of saying no."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from attribution.events import facts
from attribution.models import AdNetwork, Install, Project, Reengagement, UserIdentity
from hazelnut.http import HttpClient
from postbacks import attempts, delivery, tasks
from postbacks.frozen import FrozenRequest, Skip
from postbacks.models import Delivery, PostbackEventMap
from postbacks.networks import affiliate, meta, webhook
from postbacks.networks.base import Context
from tests.postbacks import receivers
from tests.postbacks.conftest import network
from tests.postbacks.receivers import Answer

C16_IDS = {"gclid": "TEST-GCLID-C16", "gbraid": "TEST-GBRAID-C16", "wbraid": "TEST-WBRAID-C16"}


def _signup(project: Project, install: Install, user_id: str = "u-1") -> UserIdentity:
    return UserIdentity.objects.create(project=project, user_id=user_id, install=install)


def _deliver_all(http: HttpClient) -> None:
    for row in Delivery.objects.filter(state__in=["pending", "retrying"]):
        for _ in range(attempts.MAX_ATTEMPTS + 1):
            if delivery.run(row.pk, http) is None:
                break


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (C16_IDS, {"gclid": "TEST-GCLID-C16"}),
        ({"gbraid": "G2", "wbraid": "W2"}, {"gbraid": "G2"}),
        ({"wbraid": "W3"}, {"wbraid": "W3"}),
    ],
)
def test_c16_google_ads_gets_exactly_one_click_id(
    project: Project,
    make_install: Callable[..., Install],
    account: Callable[..., Any],
    http: HttpClient,
    stored: dict[str, str],
    expected: dict[str, str],
) -> None:
    install = make_install(code="GOOGLE", instance="inst-c16", click_ids=stored)
    identity = _signup(project, install)
    with receivers.serve(receivers.google_ads) as google:
        account("GOOGLE", google.url, dev_token="dev", link_id="LINK")
        tasks.fan_out_event("signup", identity.pk)
        _deliver_all(http)

    (sent,) = google.received
    click_ids = {k: v for k, v in sent.query.items() if k in ("gclid", "gbraid", "wbraid")}
    assert click_ids == expected
    assert sent.query["app_event_type"] == "custom"
    assert sent.query["app_event_name"] == "sign_up"
    assert sent.query["rdid"] == facts.ZERO_ID  # iOS without IDFA
    assert sent.query["lat"] == "1"
    assert Delivery.objects.get().state == Delivery.State.DELIVERED


def _facts_at(install: Install, **changes: Any) -> facts.InstallFacts:
    found = facts.install_facts(install.pk)
    assert found is not None
    return facts.InstallFacts(**{**found.__dict__, **changes})


def _payment_event(install: facts.InstallFacts, occurred: dt.datetime) -> facts.EventFacts:
    return facts.EventFacts(
        kind="payment",
        object_id=1,
        project_id=install.project_id,
        name="DEFAULT",
        dedup_id="DEFAULT:C17",
        user_id="u-17",
        amount=Decimal("19.99"),
        currency="EUR",
        occurred_at=occurred,
        received_at=occurred,
        data={},
        install=install,
    )


def _meta_context(frozen_at: dt.datetime) -> Context:
    credentials = {"dataset_id": "ds", "access_token": "tok", "endpoint": "http://127.0.0.1:9"}
    return Context("Purchase", True, credentials, frozen_at, "delivery-1")


def test_c17_meta_event_time_is_the_effective_time_never_after_sending(
    make_install: Callable[..., Install],
) -> None:
    install = _facts_at(make_install(instance="inst-c17"))
    noon = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)
    request = meta.CLIENT.build(install, _payment_event(install, noon), _meta_context(noon))
    assert isinstance(request, FrozenRequest)
    event = json.loads(request.body)["data"][0]
    assert event["event_time"] == 1717243200
    assert event["custom_data"] == {"value": 19.99, "currency": "EUR"}
    assert len(event["app_data"]["extinfo"]) == 16
    assert event["app_data"]["extinfo"][0] == "i2"
    assert event["action_source"] == "app"

    ahead = noon + dt.timedelta(hours=2)  # a device time that slipped through as effective
    clamped = meta.CLIENT.build(install, _payment_event(install, ahead), _meta_context(noon))
    assert isinstance(clamped, FrozenRequest)
    assert json.loads(clamped.body)["data"][0]["event_time"] == 1717243200


def test_c17_meta_skips_events_older_than_seven_days_with_a_reason(
    project: Project,
    make_install: Callable[..., Install],
    account: Callable[..., Any],
) -> None:
    install = _facts_at(make_install(instance="inst-c17o"))
    old = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)
    skipped = meta.CLIENT.build(
        install, _payment_event(install, old), _meta_context(old + dt.timedelta(days=8))
    )
    assert isinstance(skipped, Skip)
    assert "older" in skipped.reason


def test_c12_second_init_sends_no_second_install_postback(
    project: Project,
    make_install: Callable[..., Install],
    account: Callable[..., Any],
    http: HttpClient,
) -> None:
    install = make_install(code="META", instance="inst-c12")
    with receivers.serve(receivers.meta) as meta_rx, receivers.serve(receivers.ok) as hook:
        account("META", meta_rx.url, dataset_id="ds", access_token="tok")
        project.webhook_url = hook.url + "/hook"
        project.save()
        tasks.fan_out_install(install.pk)
        _deliver_all(http)
        # The second init is a session; even if a fan-out is published again, nothing is re-sent.
        tasks.fan_out_install(install.pk)
        _deliver_all(http)

    assert len(meta_rx.received) == 1
    assert meta_rx.received[0].json()["data"][0]["event_name"] == "MobileAppInstall"
    assert len(hook.received) == 1
    assert Delivery.objects.filter(event_kind="install").count() == 2


def test_pending_install_sends_no_install_postback(
    make_install: Callable[..., Install], account: Callable[..., Any]
) -> None:
    install = make_install(code="META", instance="inst-pend", attributed=False)
    account("META", "http://127.0.0.1:9", dataset_id="ds", access_token="tok")
    tasks.fan_out_install(install.pk)
    assert Delivery.objects.count() == 0


def test_meta_error_codes_decide_retry_or_stop(
    make_install: Callable[..., Install], account: Callable[..., Any], http: HttpClient
) -> None:
    throttled = Answer(400, {"error": {"message": "limit", "code": 17}})
    with receivers.serve(receivers.meta, script=[throttled]) as meta_rx:
        account("META", meta_rx.url, dataset_id="ds", access_token="tok")
        tasks.fan_out_install(make_install(code="META", instance="inst-m1").pk)
        _deliver_all(http)
    row = Delivery.objects.get()
    assert row.state == Delivery.State.DELIVERED
    assert row.attempt_count == 2

    assert meta.classify(400, b'{"error":{"code":190,"message":"bad token"}}').reason == (
        "meta_error_190"
    )
    assert meta.classify(400, b'{"error":{"code":190}}').outcome == "terminal"
    assert meta.classify(500, b"").outcome == "transient"


def test_tiktok_200_with_error_code_is_not_success(
    make_install: Callable[..., Install], account: Callable[..., Any], http: HttpClient
) -> None:
    throttle = Answer(200, {"code": 40100, "message": "Too many requests"})
    with receivers.serve(receivers.tiktok, script=[throttle]) as tiktok:
        account("TIKTOK", tiktok.url, access_token="tok", tiktok_app_id="7000")
        install = make_install(code="TIKTOK", instance="inst-tt", click_ids={"ttclid": "TT-1"})
        tasks.fan_out_install(install.pk)
        _deliver_all(http)
    row = Delivery.objects.get(destination="tiktok")
    assert row.state == Delivery.State.DELIVERED
    assert [a.transient for a in row.attempts.order_by("number")] == [True, False]
    body = tiktok.received[-1].json()
    assert body["data"][0]["event"] == "InstallApp"
    assert body["data"][0]["ad"]["callback"] == "TT-1"
    assert body["data"][0]["user"]["att_status"] == "DENIED"


def test_tiktok_validation_error_in_a_200_ends_dead(
    make_install: Callable[..., Install], account: Callable[..., Any], http: HttpClient
) -> None:
    with receivers.serve(lambda _: Answer(200, {"code": 40002, "message": "bad"})) as tiktok:
        account("TIKTOK", tiktok.url, access_token="tok", tiktok_app_id="7000")
        tasks.fan_out_install(make_install(code="TIKTOK", instance="inst-tt2").pk)
        _deliver_all(http)
    row = Delivery.objects.get()
    assert (row.state, row.last_error, len(tiktok.received)) == ("dead", "tiktok_40002", 1)


def test_snapchat_install_has_matching_keys_and_extinfo(
    make_install: Callable[..., Install], account: Callable[..., Any], http: HttpClient
) -> None:
    with receivers.serve(receivers.snapchat) as snap:
        account("SNAPCHAT", snap.url, snap_app_id="snap-app", access_token="tok")
        install = make_install(code="SNAPCHAT", instance="inst-sc", platform="ANDROID")
        tasks.fan_out_install(install.pk)
        _deliver_all(http)
    (sent,) = snap.received
    assert sent.path == "/v3/snap-app/events"
    item = sent.json()["data"][0]
    assert item["event_name"] == "APP_INSTALL"
    assert item["user_data"]["madid"] == "38400000-8cf0-11bd-b23e-10b96e40000d"
    assert item["app_data"]["extinfo"][0] == "a2"
    assert Delivery.objects.get().state == Delivery.State.DELIVERED


def test_only_attributed_mapping_skips_other_networks_installs(
    project: Project, make_install: Callable[..., Install], account: Callable[..., Any]
) -> None:
    PostbackEventMap.objects.create(
        project=project, network=network("META"), event_kind="signup", network_event_name="X"
    )
    install = make_install(code="GOOGLE", instance="inst-oa")
    account("META", "http://127.0.0.1:9", dataset_id="ds", access_token="tok")
    tasks.fan_out_event("signup", _signup(project, install).pk)
    row = Delivery.objects.get()
    assert row.state == Delivery.State.SKIPPED
    assert row.last_error == "install not attributed to this network"


def test_affiliate_template_resolves_every_macro(
    project: Project, make_install: Callable[..., Install], http: HttpClient
) -> None:
    with receivers.serve(receivers.ok) as partner:
        template = (
            partner.url + "/pb?click={click_id}&sub={utm_source}&ev={event_name}"
            "&rev={revenue}&tx={transaction_id}&raw={_campaign_name}&unknown={nothing}"
        )
        net = network("AFF_ONE", AdNetwork.Kind.AFFILIATE, template)
        PostbackEventMap.objects.create(
            project=project, network=net, event_kind="install", network_event_name="install ok"
        )
        install = make_install(code="AFF_ONE", instance="inst-aff")
        tasks.fan_out_install(install.pk)
        _deliver_all(http)
    (sent,) = partner.received
    assert sent.method == "GET"
    assert sent.query["click"] == "clk-inst-aff"
    assert sent.query["sub"] == "aff_one"
    assert sent.query["ev"] == "install ok"
    assert sent.query.get("unknown", "") == ""
    assert sent.query["raw"] == "Spring sale"
    assert len(sent.query["tx"]) == 36


def test_affiliate_values_are_url_encoded() -> None:
    assert affiliate.render("x?a={a}&b={_a}", {"a": "1&b=2 3"}) == "x?a=1%26b%3D2%203&b=1&b=2 3"


def test_reengagement_goes_out_under_its_mapping(
    project: Project,
    make_install: Callable[..., Install],
    account: Callable[..., Any],
    http: HttpClient,
) -> None:
    install = make_install(code="TIKTOK", instance="inst-re")
    PostbackEventMap.objects.create(
        project=project,
        network=network("TIKTOK"),
        event_kind="reengagement",
        network_event_name="LaunchAPP",
    )
    row = Reengagement.objects.create(
        project=project,
        install=install,
        campaign=install.campaign,
        trigger="deeplink",
        occurred_at=timezone.now(),
        dedup_key="re-1",
    )
    with receivers.serve(receivers.tiktok) as tiktok:
        account("TIKTOK", tiktok.url, access_token="tok", tiktok_app_id="7000")
        tasks.fan_out_event("reengagement", row.pk)
        tasks.fan_out_event("reengagement", row.pk)
        _deliver_all(http)
    (sent,) = tiktok.received
    assert sent.json()["data"][0]["event"] == "LaunchAPP"


def test_c17_meta_retry_past_seven_days_ends_dead_without_sending(
    project: Project,
    make_install: Callable[..., Install],
    account: Callable[..., Any],
    http: HttpClient,
) -> None:
    installed = timezone.now() - meta.MAX_AGE + dt.timedelta(minutes=30)
    install = make_install(instance="inst-c17r", installed_at=installed)
    with receivers.serve(receivers.meta, script=[Answer(503)]) as meta_rx:
        account("META", meta_rx.url, dataset_id="ds", access_token="tok")
        tasks.fan_out_install(install.pk)
        row = Delivery.objects.get()
        assert delivery.run(row.pk, http) is not None  # 503: retry later
        later = timezone.now() + dt.timedelta(hours=1)  # the retry comes after day 7
        assert delivery.run(row.pk, http, now=later) is None

    row.refresh_from_db()
    assert len(meta_rx.received) == 1
    assert row.state == Delivery.State.DEAD
    assert row.last_error.startswith("too old: the destination takes this event only until ")
    assert row.attempt_count == 1
    assert row.request["send_before"] == (installed + meta.MAX_AGE).isoformat()


def test_webhook_body_carries_the_networks_ad_details(
    make_install: Callable[..., Install],
) -> None:
    told = {
        "account_id": "act-9",
        "campaign_id": "adset-7",
        "campaign_name": "Lookalikes",
        "adgroup_name": "Video 3",
        "ad_id": "ad-3",
        "campaign_group_name": "Spring (Meta)",
        "is_instagram": True,
        "publisher_platform": "instagram",
        "platform_position": "reels",
    }
    on_meta = make_install(code="META", instance="inst-wm", decision={"winner": {"details": told}})
    google_said = {"network_type": "Search", "ad_group_id": "ag-5"}
    on_google = make_install(
        code="GOOGLE",
        instance="inst-wg",
        click_ids={"gclid": "G-1"},
        decision={"winner": {"details": google_said}},
    )

    meta_body = webhook.body(_facts_at(on_meta), None)
    google_body = webhook.body(_facts_at(on_google), None)

    assert meta_body["meta_campaign_details"] == {
        "ad_creative_id": "ad-3",
        "ad_creative_name": "Video 3",
        "ad_set_id": "adset-7",
        "ad_set_name": "Lookalikes",
        "campaign_group_id": "2384",
        "campaign_group_name": "Spring (Meta)",
        "account_id": "act-9",
        "ad_objective_name": None,
        "is_instagram": True,
        "publisher_platform": "instagram",
        "platform_position": "reels",
    }
    assert meta_body["google_campaign_details"] is None
    assert meta_body["campaign_details"]["ad_network_name"] == "Meta"
    assert google_body["meta_campaign_details"] is None
    assert google_body["google_campaign_details"] == {
        "gclid": "G-1",
        "gbraid": None,
        "ga_source": "Search",
        "ad_group_id": "ag-5",
        "ad_group_name": None,
    }


@pytest.mark.parametrize(
    ("kind", "source", "refused"),
    [
        ("install", "weird", True),
        ("signup", "x", True),
        ("custom", "", True),
        ("custom", "cart_added", False),
        ("payment", "", False),
        ("payment", "PRO_PLAN", False),
    ],
)
def test_an_event_map_names_a_source_event_only_where_it_picks_one(
    project: Project, kind: str, source: str, refused: bool
) -> None:
    row = PostbackEventMap(
        project=project,
        network=network("META"),
        event_kind=kind,
        source_event_name=source,
        network_event_name="Y",
    )
    if refused:
        with pytest.raises(ValidationError):
            row.full_clean()
    else:
        row.full_clean()


def test_meta_hashes_the_users_email_and_phone_as_meta_normalises_them(
    make_install: Callable[..., Install],
) -> None:
    install = _facts_at(make_install(instance="inst-ph"))
    noon = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)
    signup = replace(
        _payment_event(install, noon),
        kind="signup",
        amount=None,
        user={"email": " Ada@Example.com ", "phone": "+1 (650) 555-0100"},
    )
    request = meta.CLIENT.build(install, signup, _meta_context(noon))

    assert isinstance(request, FrozenRequest)
    user = json.loads(request.body)["data"][0]["user_data"]
    assert user["em"] == [hashlib.sha256(b"ada@example.com").hexdigest()]
    assert user["ph"] == [hashlib.sha256(b"16505550100").hexdigest()]
