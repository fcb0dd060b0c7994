"""Campaigns a network's answer names that nobody registered: Apple AdServices, Google's claim
and Meta's install referrer register the campaign-level id once, and later installs reuse it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from attribution import campaigns, queries
from attribution.contracts import ATTRIBUTE_INSTALL
from attribution.models import AdNetwork, App, Campaign, Domain, Install, NetworkAccount, Project
from attribution.reports.links import campaign_link
from tests.attribution.conftest import install_message
from tests.attribution.fakeserver import Canned, fake_server
from tests.attribution.test_strategies import META_KEY, META_PAYLOAD, meta_referrer

pytestmark = pytest.mark.django_db(transaction=True)

Run = Callable[[str, dict[str, Any]], None]
APPLE_ANSWER = {
    "attribution": True,
    "orgId": 1234,
    "campaignId": 5501,
    "adGroupId": 6601,
    "keywordId": 7701,
    "adId": 8801,
    "conversionType": "Download",
    "clickDate": "2024-05-10T08:00Z",
}
GOOGLE_ANSWER = {
    "attributed": True,
    "errors": [],
    "ad_events": [
        {
            "ad_event_id": "e1",
            "campaign_id": 12345,
            "campaign_name": "UAC - spring installs",
            "campaign_type": "UAC",
            "interaction_type": "click",
            "timestamp": 1714550000.25,
        }
    ],
}


def _apple_installs(project: Project, run: Run, *instance_ids: str) -> None:
    network, _ = AdNetwork.objects.get_or_create(
        code="APPLE_SEARCH_ADS", defaults={"name": "Apple Search Ads"}
    )
    with fake_server([Canned(200, APPLE_ANSWER)]) as apple:
        NetworkAccount.objects.create(
            project=project, network=network, credentials={"base_url": apple.url + "/api/v1/"}
        )
        for instance_id in instance_ids:
            device_data = {"idfv": f"{instance_id}-idfv", "adservices_attribution_token": "T"}
            message = install_message(
                project, instance_id, at="2024-05-10T08:30:00Z", platform="IOS"
            )
            run(ATTRIBUTE_INSTALL, {**message, "device_data": device_data})


def test_apple_campaign_is_registered_on_first_sight_and_reused(project: Project, run: Run) -> None:
    _apple_installs(project, run, "asa-1", "asa-2")

    (campaign,) = Campaign.objects.filter(project=project)
    assert campaign.network_code == "APPLE_SEARCH_ADS"
    assert campaign.ad_network_campaign_id == "5501"
    assert campaign.name == "Apple Search Ads campaign 5501"
    assert campaign.reported_by_network is True
    assert campaign.display_id == f"apple-search-ads-{project.pk}-5501"
    first = Install.objects.get(install_instance_id="asa-1")
    second = Install.objects.get(install_instance_id="asa-2")
    assert first.campaign == campaign
    assert second.campaign == campaign
    assert first.decision["winner"]["details"]["campaign_registration"] == (
        "registered from the network's answer by this install"
    )
    assert second.decision["winner"]["details"]["campaign_registration"] == (
        "registered from the network's answer by an earlier install"
    )
    assert queries.sdk_attribution_data(first)["campaign_data"]["ad_network_campaign_id"] == "5501"


def test_a_campaign_the_advertiser_registered_is_still_matched(
    project: Project, run: Run, make_campaign: Callable[..., Campaign]
) -> None:
    mine = make_campaign("asa_ad_group", network="APPLE_SEARCH_ADS", network_campaign_id="6601")
    _apple_installs(project, run, "asa-mine")

    assert list(Campaign.objects.filter(project=project)) == [mine]
    install = Install.objects.get(install_instance_id="asa-mine")
    assert install.campaign == mine
    assert "campaign_registration" not in install.decision["winner"]["details"]


def test_google_claim_registers_the_campaign_with_googles_name(project: Project, run: Run) -> None:
    with fake_server([Canned(200, GOOGLE_ANSWER)]) as google:
        network, _ = AdNetwork.objects.get_or_create(code="GOOGLE", defaults={"name": "Google"})
        NetworkAccount.objects.create(
            project=project,
            network=network,
            credentials={"base_url": google.url + "/pagead", "dev_token": "dt", "link_id": "L1"},
        )
        for instance_id in ("g-1", "g-2"):
            device_data = {"gaid": f"bbbb0000-0000-4000-8000-00000000000{instance_id[-1]}"}
            message = install_message(
                project, instance_id, at="2024-05-01T10:00:00Z", device_data=device_data
            )
            run(ATTRIBUTE_INSTALL, message)

    (campaign,) = Campaign.objects.filter(project=project)
    assert (campaign.network_code, campaign.ad_network_campaign_id) == ("GOOGLE", "12345")
    assert campaign.name == "UAC - spring installs"
    installs = Install.objects.filter(install_instance_id__in=["g-1", "g-2"])
    assert {install.campaign_id for install in installs} == {campaign.pk}
    assert {install.source for install in installs} == {"google_ads_api"}


def test_meta_registers_only_the_campaign_level_id(project: Project, run: Run) -> None:
    App.objects.create(
        project=project,
        platform="ANDROID",
        name="App",
        bundle_id="com.example.app",
        meta_install_referrer_key=META_KEY,
    )
    data = {"install_ref": meta_referrer(META_PAYLOAD)}
    run(
        ATTRIBUTE_INSTALL,
        install_message(project, "m-1", at="2024-05-01T10:00:00Z", device_data=data),
    )

    (campaign,) = Campaign.objects.filter(project=project)
    # Meta's campaign_group is the campaign; its campaign_id (5001) is the ad set, adgroup the ad.
    assert (campaign.network_code, campaign.ad_network_campaign_id) == ("META", "4001")
    assert campaign.name == "spring installs"
    assert Install.objects.get(install_instance_id="m-1").campaign == campaign


def test_a_network_reported_campaign_has_no_link(project: Project) -> None:
    Domain.objects.create(project=project, host="go.example.test", is_default=True)
    campaign, created = campaigns.register_reported(project.pk, "APPLE_SEARCH_ADS", "5501")

    assert created is True
    assert campaign is not None
    assert queries.campaign_for_link(campaign.display_id) is None
    assert campaign_link(campaign, Domain.objects.get(project=project)) is None


def test_the_worker_that_loses_the_race_reads_the_winners_row(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    winner, _ = campaigns.register_reported(project.pk, "GOOGLE", "777", "Brand")
    lookups = iter([None])  # this worker looked before the winner's row existed
    real = campaigns._existing
    monkeypatch.setattr(campaigns, "_existing", lambda lookup: next(lookups, real(lookup)))

    found, created = campaigns.register_reported(project.pk, "GOOGLE", "777", "Brand")

    assert (found, created) == (winner, False)
    assert Campaign.objects.filter(project=project).count() == 1


def test_the_database_refuses_a_second_reported_row(project: Project) -> None:
    campaign, _ = campaigns.register_reported(project.pk, "META", "4001")
    assert campaign is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.create(
            project=project,
            display_id="another-id",
            name="copy",
            network=campaign.network,
            ad_network_campaign_id="4001",
            reported_by_network=True,
        )


def test_a_display_id_taken_in_another_project_gets_a_suffix(project: Project) -> None:
    other, _ = Project.new("Other project")
    other.save()
    Campaign.objects.create(project=other, display_id=f"meta-{project.pk}-4001", name="custom")

    campaign, created = campaigns.register_reported(project.pk, "META", "4001")

    assert created is True
    assert campaign is not None
    assert campaign.display_id.startswith(f"meta-{project.pk}-4001-")
    assert campaign.project_id == project.pk


@pytest.mark.django_db(transaction=True)
def test_a_gad_campaignid_in_the_play_referrer_alone_registers_no_campaign(
    project: Project, run: Run
) -> None:
    # Anyone can write this parameter into a store link; only Google's own claim vouches for it.
    data = {"install_ref": "gclid=Cj0KCQjw&gad_campaignid=424242&utm_source=google-play"}
    run(
        ATTRIBUTE_INSTALL,
        install_message(project, "inst-gad", at="2024-05-01T10:00:00Z", device_data=data),
    )

    install = Install.objects.get(install_instance_id="inst-gad")
    assert (install.source, install.network_code) == ("google_ads_referrer", "GOOGLE")
    assert install.campaign is None
    assert not Campaign.objects.filter(ad_network_campaign_id="424242").exists()
