"""What postbacks say about the device: OS and app versions from the best source the install
has, and no zeroed or empty identifier ever sent as if it were one (case C06)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from attribution.events import facts
from attribution.models import AdNetwork, Install, NetworkAccount, Project, UserIdentity
from hazelnut.http import HttpClient
from postbacks import attempts, delivery, tasks
from postbacks.models import Delivery, PostbackEventMap
from tests.postbacks import receivers
from tests.postbacks.conftest import network

ANDROID_UA = "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP1A.240405.002)"
GAID = "38400000-8cf0-11bd-b23e-10b96e40000d"
IDFA = "6d92078a-8246-4ba4-ae5b-76104861e7dc"
# What the trial's install looked like: version in the init, OS only in the user agent.
ANDROID_NO_OS: dict[str, Any] = {
    "platform": "ANDROID",
    "gaid": "",
    "user_agent": ANDROID_UA,
    "device_data": {"device": "Pixel 8", "gaid": facts.ZERO_ID},
}


def _deliver_all(http: HttpClient) -> None:
    for row in Delivery.objects.filter(state__in=["pending", "retrying"]):
        for _ in range(attempts.MAX_ATTEMPTS + 1):
            if delivery.run(row.pk, http) is None:
                break


def _install_facts(install: Install) -> facts.InstallFacts:
    found = facts.install_facts(install.pk)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("fields", "os_version", "app_version"),
    [
        # The SDK's own system_version is more precise than the user agent's.
        ({"device_data": {"system_version": "14.1.2"}}, "14.1.2", "2.3.0"),
        ({"device_data": {}}, "14", "2.3.0"),
        ({"device_data": {"system_version": "unknown"}}, "14", "2.3.0"),
        (
            {"app_version": "", "device_data": {"app_version": "5.1.0", "version": "5.1"}},
            "14",
            "5.1.0",
        ),
        ({"app_version": "", "device_data": {"version": "5.1"}}, "14", "5.1"),
        ({"app_version": "0", "user_agent": "", "device_data": {}}, "", ""),
    ],
)
def test_install_facts_take_versions_from_the_best_source(
    make_install: Callable[..., Install],
    fields: dict[str, Any],
    os_version: str,
    app_version: str,
) -> None:
    install = make_install(platform="ANDROID", **{"user_agent": ANDROID_UA, **fields})
    found = _install_facts(install)
    assert (found.os_version, found.app_version) == (os_version, app_version)


@pytest.mark.parametrize("placeholder", [facts.ZERO_ID, "00000000000000000000000000000000", "null"])
def test_c06_placeholder_ids_in_device_data_are_no_ids(
    make_install: Callable[..., Install], placeholder: str
) -> None:
    install = make_install(
        platform="ANDROID", gaid="", idfv="", device_data={"gaid": placeholder, "idfa": placeholder}
    )
    found = _install_facts(install)
    assert (found.gaid, found.idfa, found.advertising_id) == ("", "", "")


def test_google_android_without_ad_id_uses_the_gclid_flow_and_real_versions(
    make_install: Callable[..., Install], account: Callable[..., Any], http: HttpClient
) -> None:
    fields = {**ANDROID_NO_OS, "device_data": {**ANDROID_NO_OS["device_data"]}}
    fields["device_data"]["install_ref"] = "utm_source=google&gclid=REF-GCLID-1"
    install = make_install(code="GOOGLE", instance="inst-g-lat", **fields)
    with receivers.serve(receivers.google_ads) as google:
        account("GOOGLE", google.url, dev_token="dev", link_id="LINK")
        tasks.fan_out_install(install.pk)
        _deliver_all(http)

    (sent,) = google.received
    assert sent.query["os_version"] == "14"
    assert sent.query["app_version"] == "2.3.0"
    assert "rdid" not in sent.query
    assert "id_type" not in sent.query
    assert sent.query["lat"] == "1"
    assert sent.query["gclid_only_request"] == "1"
    assert sent.query["market_referrer_gclid"] == "REF-GCLID-1"
    assert Delivery.objects.get().state == Delivery.State.DELIVERED


@pytest.mark.parametrize(
    ("platform", "ids", "expected"),
    [
        ("ANDROID", {"gaid": GAID}, {"rdid": GAID, "id_type": "advertisingid", "lat": "0"}),
        ("IOS", {"idfa": IDFA}, {"rdid": IDFA, "id_type": "idfa", "lat": "0"}),
        # Google's privacy guide: iOS without IDFA sends the zeroed rdid, never a made-up one,
        # and the gbraid that lets Google match it.
        (
            "IOS",
            {"idfa": "", "click_ids": {"gbraid": "GB-1"}},
            {"rdid": facts.ZERO_ID, "id_type": "idfa", "lat": "1", "gbraid": "GB-1"},
        ),
    ],
)
def test_google_device_id_by_platform(
    make_install: Callable[..., Install],
    account: Callable[..., Any],
    http: HttpClient,
    platform: str,
    ids: dict[str, Any],
    expected: dict[str, str],
) -> None:
    install = make_install(code="GOOGLE", instance=f"inst-g-{platform}", platform=platform, **ids)
    with receivers.serve(receivers.google_ads) as google:
        account("GOOGLE", google.url, dev_token="dev", link_id="LINK")
        tasks.fan_out_install(install.pk)
        _deliver_all(http)

    (sent,) = google.received
    assert {key: sent.query.get(key) for key in expected} == expected
    assert "gclid_only_request" not in sent.query
    assert Delivery.objects.get().state == Delivery.State.DELIVERED


@pytest.mark.parametrize(
    ("platform", "fields", "reason"),
    [
        ("ANDROID", ANDROID_NO_OS, "no advertising id and no gclid: Google cannot match it"),
        # wbraid is iOS web-to-app; the Android gclid-only flow has no use for it.
        (
            "ANDROID",
            {**ANDROID_NO_OS, "click_ids": {"wbraid": "WB-1"}},
            "no advertising id and no gclid: Google cannot match it",
        ),
        (
            "IOS",
            {"idfa": "", "device_data": {"idfa": facts.ZERO_ID}},
            "no IDFA and no gclid, gbraid or wbraid: Google cannot match it",
        ),
    ],
    ids=["android", "android-wbraid-only", "ios"],
)
@pytest.mark.parametrize("kind", ["install", "signup"])
def test_google_skips_what_it_cannot_match(
    project: Project,
    make_install: Callable[..., Install],
    account: Callable[..., Any],
    http: HttpClient,
    platform: str,
    fields: dict[str, Any],
    reason: str,
    kind: str,
) -> None:
    install = make_install(code="GOOGLE", instance=f"inst-g-none-{platform}", **fields)
    with receivers.serve(receivers.google_ads) as google:
        account("GOOGLE", google.url, dev_token="dev", link_id="LINK")
        if kind == "install":
            tasks.fan_out_install(install.pk)
        else:
            identity = UserIdentity.objects.create(project=project, user_id="u-g", install=install)
            tasks.fan_out_event("signup", identity.pk)
        _deliver_all(http)

    assert google.received == []
    row = Delivery.objects.get()
    assert (row.destination, row.event_kind) == ("google_ads", kind)
    assert (row.state, row.last_error) == (Delivery.State.SKIPPED, reason)
    assert row.attempt_count == 0
    assert row.next_attempt_at is None


@pytest.mark.parametrize(
    ("click_ids", "referrer", "expected"),
    [
        # The Play referrer's gclid goes as market_referrer_gclid, never as the deep-link gclid.
        ({}, "gclid=REF-GCLID-2", {"market_referrer_gclid": "REF-GCLID-2", "gclid": None}),
        ({"gclid": "DL-GCLID"}, "", {"market_referrer_gclid": None, "gclid": "DL-GCLID"}),
        ({"gbraid": "DL-GBRAID"}, "", {"market_referrer_gclid": None, "gbraid": "DL-GBRAID"}),
    ],
)
def test_google_android_without_ad_id_but_with_a_gclid_is_sent(
    project: Project,
    make_install: Callable[..., Install],
    account: Callable[..., Any],
    http: HttpClient,
    click_ids: dict[str, str],
    referrer: str,
    expected: dict[str, str | None],
) -> None:
    fields = {**ANDROID_NO_OS, "device_data": {**ANDROID_NO_OS["device_data"]}}
    fields["device_data"]["install_ref"] = referrer
    install = make_install(code="GOOGLE", instance="inst-g-ref", click_ids=click_ids, **fields)
    identity = UserIdentity.objects.create(project=project, user_id="u-g", install=install)
    with receivers.serve(receivers.google_ads) as google:
        account("GOOGLE", google.url, dev_token="dev", link_id="LINK")
        tasks.fan_out_install(install.pk)
        tasks.fan_out_event("signup", identity.pk)
        _deliver_all(http)

    kinds = sorted(sent.query["app_event_type"] for sent in google.received)
    assert kinds == ["custom", "first_open"]
    for sent in google.received:
        assert sent.query["gclid_only_request"] == "1"
        assert "rdid" not in sent.query
        assert {key: sent.query.get(key) for key in expected} == expected
    states = set(Delivery.objects.values_list("state", flat=True))
    assert states == {Delivery.State.DELIVERED}


def test_meta_sends_versions_in_extinfo_and_no_zeroed_madid(
    make_install: Callable[..., Install], account: Callable[..., Any], http: HttpClient
) -> None:
    install = make_install(code="META", instance="inst-m-lat", **ANDROID_NO_OS)
    with receivers.serve(receivers.meta) as meta_rx:
        account("META", meta_rx.url, dataset_id="ds", access_token="tok")
        tasks.fan_out_install(install.pk)
        _deliver_all(http)

    (sent,) = meta_rx.received
    event = sent.json()["data"][0]
    assert event["app_data"]["extinfo"][:5] == ["a2", "com.example.app", "2.3.0", "2.3.0", "14"]
    assert event["app_data"]["advertiser_tracking_enabled"] == 0
    assert "madid" not in event["user_data"]
    assert event["user_data"]["anon_id"] == "inst-m-lat"


def test_snapchat_sends_versions_in_extinfo_and_no_zeroed_madid(
    make_install: Callable[..., Install], account: Callable[..., Any], http: HttpClient
) -> None:
    install = make_install(code="SNAPCHAT", instance="inst-s-lat", **ANDROID_NO_OS)
    with receivers.serve(receivers.snapchat) as snap:
        account("SNAPCHAT", snap.url, snap_app_id="snap-app", access_token="tok")
        tasks.fan_out_install(install.pk)
        _deliver_all(http)

    (sent,) = snap.received
    item = sent.json()["data"][0]
    assert item["app_data"]["extinfo"][2] == "2.3.0"
    assert item["app_data"]["extinfo"][4] == "14"
    assert "madid" not in item["user_data"]
    assert item["user_data"]["client_ip_address"] == "203.0.113.12"


def test_tiktok_sends_the_app_version_when_known_and_leaves_it_out_when_not(
    make_install: Callable[..., Install], account: Callable[..., Any], http: HttpClient
) -> None:
    known = make_install(code="TIKTOK", instance="inst-t-1", **ANDROID_NO_OS)
    unknown = make_install(
        code="TIKTOK", instance="inst-t-2", **{**ANDROID_NO_OS, "app_version": ""}
    )
    sent = []
    for install in (known, unknown):
        with receivers.serve(receivers.tiktok) as tiktok:
            account("TIKTOK", tiktok.url, access_token="tok", tiktok_app_id="7000")
            tasks.fan_out_install(install.pk)
            _deliver_all(http)
        sent.append(tiktok.received[0].json()["data"][0])
        NetworkAccount.objects.filter(network__code="TIKTOK").delete()

    sent_known, sent_unknown = sent
    assert sent_known["app"]["app_version"] == "2.3.0"
    assert "app_version" not in sent_unknown["app"]
    assert "gaid" not in sent_known["user"]
    assert sent_known["user"]["att_status"] == "NOT_APPLICABLE"


def test_affiliate_gets_versions_and_empty_ids_for_zeroed_ones(
    project: Project, make_install: Callable[..., Install], http: HttpClient
) -> None:
    with receivers.serve(receivers.ok) as partner:
        template = partner.url + "/pb?os={os_version}&app={app_version}&gaid={gaid}&idfa={idfa}"
        net = network("AFF_VER", AdNetwork.Kind.AFFILIATE, template)
        PostbackEventMap.objects.create(
            project=project, network=net, event_kind="install", network_event_name="install"
        )
        install = make_install(code="AFF_VER", instance="inst-a-lat", **ANDROID_NO_OS)
        tasks.fan_out_install(install.pk)
        _deliver_all(http)

    (sent,) = partner.received
    assert sent.query["os"] == "14"
    assert sent.query["app"] == "2.3.0"
    assert sent.query.get("gaid", "") == ""
    assert sent.query.get("idfa", "") == ""


def test_webhook_carries_the_known_app_version_and_no_zeroed_ids(
    project: Project, make_install: Callable[..., Install], http: HttpClient
) -> None:
    fields = {**ANDROID_NO_OS, "app_version": "", "device_data": {"app_version": "5.1.0"}}
    fields["device_data"]["gaid"] = facts.ZERO_ID
    install = make_install(code="META", instance="inst-w-lat", **fields)
    with receivers.serve(receivers.ok) as hook:
        project.webhook_url = hook.url + "/hook"
        project.save()
        tasks.fan_out_install(install.pk)
        _deliver_all(http)

    (sent,) = hook.received
    body = sent.json()
    assert body["app_version"] == "5.1.0"
    assert body["gaid"] is None
    assert body["idfa"] is None
