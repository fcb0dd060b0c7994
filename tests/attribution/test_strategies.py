"""Each strategy with real inputs: Meta referrers encrypted with a test key, Play referrer
strings, Google's conversion API answer from a local fake, and the arbiter's tie rules."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from attribution.arbiter import contributors, rank
from attribution.contracts import ATTRIBUTE_INSTALL, RECORD_CLICK
from attribution.models import AdNetwork, App, Campaign, Install, NetworkAccount, Project
from attribution.referrer import parse_play_referrer
from attribution.strategies.base import Candidate
from attribution.strategies.meta_referrer import decrypt
from tests.attribution.conftest import click_message, install_message
from tests.attribution.fakeserver import Canned, fake_server

Run = Callable[[str, dict[str, Any]], None]
META_KEY = "6a2f1c0e9b8d7a6f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c3b2a1908f7e"
META_PAYLOAD = {
    "ad_id": "6001",
    "adgroup_id": "6001",
    "adgroup_name": "ad one",
    "campaign_id": "5001",
    "campaign_name": "ad set one",
    "campaign_group_id": "4001",
    "campaign_group_name": "spring installs",
    "account_id": "act_1234",
    "ad_objective_name": "APP_INSTALLS",
}


def meta_referrer(payload: dict[str, Any], key: str = META_KEY, nonce_bytes: int = 12) -> str:
    """A Play referrer string carrying Meta's encrypted install referrer in utm_content."""
    nonce = os.urandom(nonce_bytes)
    sealed = AESGCM(bytes.fromhex(key)).encrypt(nonce, json.dumps(payload).encode(), None)
    content = json.dumps({"source": {"data": sealed.hex(), "nonce": nonce.hex()}})
    return urlencode(
        {"utm_source": "apps.facebook.com", "utm_campaign": "fb4a", "utm_content": content}
    )


@pytest.mark.parametrize("nonce_bytes", [12, 16])
def test_meta_referrer_decrypts_with_the_app_key(nonce_bytes: int) -> None:
    referrer = parse_play_referrer(meta_referrer(META_PAYLOAD, nonce_bytes=nonce_bytes))
    payload = referrer.meta_payload
    assert payload is not None
    assert decrypt(payload, META_KEY) == META_PAYLOAD
    # Meta's dashboard example shows a stray character after the 64 hex digits.
    assert decrypt(payload, META_KEY + "x") == META_PAYLOAD


def test_meta_referrer_wrong_key_or_stripped_tag_fails_cleanly() -> None:
    payload = parse_play_referrer(meta_referrer(META_PAYLOAD)).meta_payload
    assert payload is not None
    assert decrypt(payload, "00" * 32) is None
    assert decrypt({**payload, "data": payload["data"][:-32]}, META_KEY) is None


@pytest.mark.django_db(transaction=True)
def test_meta_referrer_attributes_to_the_meta_campaign(
    project: Project, run: Run, make_campaign: Callable[..., Campaign]
) -> None:
    App.objects.create(
        project=project,
        platform="ANDROID",
        name="App",
        bundle_id="com.example.app",
        meta_install_referrer_key=META_KEY,
    )
    campaign = make_campaign("meta_spring", network="META", network_campaign_id="4001")
    data = {
        "gaid": "aaaa0000-0000-4000-8000-00000000000a",
        "install_ref": meta_referrer(META_PAYLOAD),
    }
    run(
        ATTRIBUTE_INSTALL,
        install_message(project, "inst-meta", at="2024-05-01T10:00:00Z", device_data=data),
    )

    install = Install.objects.get(install_instance_id="inst-meta")
    assert install.source == "meta_referrer"
    assert install.network_code == "META"
    assert install.campaign == campaign
    assert install.decision["winner"]["details"]["campaign_group_name"] == "spring installs"
    assert install.decision["rule"].startswith("tier 1")


@pytest.mark.django_db(transaction=True)
def test_meta_referrer_without_a_matching_key_falls_back_to_the_play_referrer(
    project: Project, run: Run
) -> None:
    App.objects.create(
        project=project,
        platform="ANDROID",
        name="App",
        bundle_id="com.example.app",
        meta_install_referrer_key="11" * 32,
    )
    data = {"install_ref": meta_referrer(META_PAYLOAD)}
    run(
        ATTRIBUTE_INSTALL,
        install_message(project, "inst-meta", at="2024-05-01T10:00:00Z", device_data=data),
    )

    install = Install.objects.get(install_instance_id="inst-meta")
    assert install.source == "play_referrer"
    meta = next(s for s in install.decision["strategies"] if s["name"] == "meta_referrer")
    assert meta["candidates"] == []


def test_play_referrer_parses_google_click_ids_and_lr_ia_id() -> None:
    referrer = parse_play_referrer(
        "gclid=Cj0KCQjw&gad_source=1&gad_campaignid=998877&lr_ia_id=abc123&utm_source=google"
    )
    assert referrer.google_click_ids == {"gclid": "Cj0KCQjw"}
    assert referrer.click_id == "abc123"
    assert referrer.is_organic is False


@pytest.mark.django_db(transaction=True)
def test_google_referrer_gclid_wins_with_gad_campaignid(
    project: Project, run: Run, make_campaign: Callable[..., Campaign]
) -> None:
    search = make_campaign("search", network="GOOGLE", network_campaign_id="998877")
    data = {"install_ref": "gclid=Cj0KCQjw&gad_campaignid=998877&utm_source=google-play"}
    run(
        ATTRIBUTE_INSTALL,
        install_message(project, "inst-g", at="2024-05-01T10:00:00Z", device_data=data),
    )

    install = Install.objects.get(install_instance_id="inst-g")
    assert install.source == "google_ads_referrer"
    assert install.network_code == "GOOGLE"
    assert install.campaign == search


@pytest.mark.django_db(transaction=True)
def test_google_ads_api_claim(
    project: Project, run: Run, make_campaign: Callable[..., Campaign]
) -> None:
    app_campaign = make_campaign("uac", network="GOOGLE", network_campaign_id="12345")
    answer = {
        "attributed": True,
        "errors": [],
        "ad_events": [
            {
                "ad_event_id": "e1",
                "campaign_id": 12345,
                "campaign_type": "UAC",
                "interaction_type": "click",
                "timestamp": 1714550000.25,
            }
        ],
    }
    gaid = "bbbb0000-0000-4000-8000-00000000000b"
    with fake_server([Canned(200, answer)]) as google:
        network = AdNetwork.objects.get(code="GOOGLE")
        NetworkAccount.objects.create(
            project=project,
            network=network,
            credentials={
                "base_url": google.url + "/pagead/conversion/app/1.0",
                "dev_token": "dt",
                "link_id": "L1",
            },
        )
        run(
            ATTRIBUTE_INSTALL,
            install_message(
                project,
                "inst-gapi",
                at="2024-05-01T10:00:00Z",
                device_data={"gaid": gaid, "system_version": "14"},
            ),
        )
        (call,) = google.received

    query = parse_qs(urlsplit(call.path).query)
    assert query["rdid"] == [gaid]
    assert query["app_event_type"] == ["first_open"]
    assert query["id_type"] == ["advertisingid"]
    assert query["lat"] == ["0"]
    assert query["dev_token"] == ["dt"]
    assert (query["app_version"], query["os_version"]) == (["1.0.0"], ["14"])  # init's app_version
    install = Install.objects.get(install_instance_id="inst-gapi")
    assert install.source == "google_ads_api"
    assert install.campaign == app_campaign


def _candidate(strategy: str, tier: int, network: str, touched: float) -> Candidate:
    return Candidate(strategy, tier, "x", network, None, touched, None)


def test_arbiter_tiers_then_last_touch_in_every_tier() -> None:
    early_ip = _candidate("click_match", 3, "TIKTOK", 100.0)
    late_ip = _candidate("click_match", 3, "SNAPCHAT", 200.0)
    assert rank([early_ip, late_ip], 300.0).ordered == [late_ip, early_ip]
    assert rank([early_ip], 300.0).rule_for(early_ip).endswith("last touch")

    old_device = _candidate("click_match", 2, "META", 100.0)
    new_device = _candidate("click_match", 2, "GOOGLE", 150.0)
    ranking = rank([early_ip, old_device, new_device, late_ip], 300.0)
    assert ranking.ordered[0] == new_device
    assert [c["network"] for c in contributors(ranking, new_device)] == [
        "SNAPCHAT",
        "META",
        "TIKTOK",
    ]

    referrer = _candidate("play_referrer", 1, "PARTNER", 50.0)
    assert rank([new_device, referrer], 300.0).ordered[0] == referrer


def test_arbiter_at_equal_times_prefers_a_candidate_with_our_campaign() -> None:
    # One Play referrer carrying Google's gclid and our own click id: same tier, same time.
    gclid = Candidate("google_ads_referrer", 1, "gclid", "GOOGLE", None, 100.0, None)
    ours = Candidate("play_referrer", 1, "install_referrer_click_id", "GOOGLE", 7, 100.0, "c1")
    assert rank([gclid, ours], 300.0).ordered == [ours, gclid]
    # Without a campaign on either side the more specific signal still comes first.
    utm_only = Candidate("play_referrer", 1, "install_referrer", "", None, 100.0, None)
    assert rank([utm_only, gclid], 300.0).ordered == [gclid, utm_only]


def test_arbiter_network_window(settings: Any) -> None:
    settings.HAZELNUT_NETWORK_WINDOWS = {"TIKTOK": {"click_lookback_hours": 1}}
    stale = _candidate("click_match", 2, "TIKTOK", 0.0)
    fresh = _candidate("click_match", 2, "META", 0.0)
    ranking = rank([stale, fresh], 7200.0)
    assert ranking.ordered == [fresh]
    assert ranking.dropped[0]["reason"] == "outside network window"


@pytest.mark.django_db(transaction=True)
def test_a_click_attributes_only_one_install(
    project: Project, run: Run, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("shared_ip")
    chrome = (
        "Mozilla/5.0 (Linux; Android 14; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Mobile Safari/537.36"
    )
    run(
        RECORD_CLICK,
        click_message(
            project,
            "clk-one",
            at="2024-05-01T10:00:00Z",
            campaign=campaign,
            ip="192.0.2.7",
            user_agent=chrome,
        ),
    )
    for iid in ("inst-1", "inst-2"):
        run(
            ATTRIBUTE_INSTALL,
            install_message(
                project,
                iid,
                at="2024-05-01T10:10:00Z",
                ip="192.0.2.7",
                device_data={"system_version": "14"},
            ),
        )

    first = Install.objects.get(install_instance_id="inst-1")
    second = Install.objects.get(install_instance_id="inst-2")
    assert first.campaign == campaign
    assert second.attribution_type == "ORGANIC"
    assert second.decision["claims"] == [{"click_id": "clk-one", "claimed": False}]


@pytest.mark.django_db(transaction=True)
def test_meta_referrer_from_the_content_provider_object(
    project: Project, run: Run, make_campaign: Callable[..., Campaign]
) -> None:
    App.objects.create(
        project=project,
        platform="ANDROID",
        name="App",
        bundle_id="com.example.app",
        meta_install_referrer_key=META_KEY,
    )
    campaign = make_campaign("meta_ad_set", network="META", network_campaign_id="5001")
    content = json.loads(parse_qs(meta_referrer(META_PAYLOAD))["utm_content"][0])
    data = {"meta_install_referrer": {**content, "is_ct": 0, "actual_timestamp": 1714550000}}
    run(
        ATTRIBUTE_INSTALL,
        install_message(project, "inst-meta-vt", at="2024-05-01T10:00:00Z", device_data=data),
    )

    install = Install.objects.get(install_instance_id="inst-meta-vt")
    assert install.source == "meta_referrer"
    assert install.campaign == campaign


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("minutes_after", "attributed"), [(30, True), (25 * 60, False)])
def test_view_through_counts_only_inside_its_window(
    project: Project,
    run: Run,
    make_campaign: Callable[..., Campaign],
    minutes_after: int,
    attributed: bool,
) -> None:
    campaign = make_campaign("impression")
    gaid = "dddd0000-0000-4000-8000-00000000000d"
    run(
        RECORD_CLICK,
        click_message(
            project,
            "view-1",
            at="2024-05-01T10:00:00Z",
            campaign=campaign,
            params={"gaid": gaid, "is_view": "1"},
        ),
    )
    when = datetime(2024, 5, 1, 10, tzinfo=UTC) + timedelta(minutes=minutes_after)
    run(
        ATTRIBUTE_INSTALL,
        install_message(project, "inst-vt", at=when.isoformat(), device_data={"gaid": gaid}),
    )

    install = Install.objects.get(install_instance_id="inst-vt")
    assert (install.campaign == campaign) is attributed
    assert install.attribution_type == ("INORGANIC" if attributed else "ORGANIC")
