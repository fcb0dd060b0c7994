"""What the traffic needs in the database before it is sent, set up idempotently.

For the project under test: an Android and an iOS store listing (the Android one with a Meta
install referrer key), the campaigns links are clicked on, a Meta campaign and an Apple Search
Ads campaign registered under the networks' own ids (so referrer and Apple answers resolve to
them), and network accounts that aim Apple's attribution API, Google's claim API and the
networks' conversion endpoints at the local fakes. The demo project's own accounts
(attribution.demo) are aimed there and, when the run ends, back at the demo's loopback sink,
still active; any other project gets accounts owned by the simulator, switched off again when
the run ends, so the project does not keep calling a fake that is gone.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from django.core.management import call_command
from django.db import transaction

from attribution import demo
from attribution.models import AdNetwork, App, Campaign, NetworkAccount, Platform, Project
from ingest.simulation.client import Signing
from ingest.simulation.fakes import OutsideWorld
from ingest.simulation.referrers import new_meta_key

SIMULATOR_ACCOUNT = "hazelnut-simulator"
META_CAMPAIGN_GROUP = "238500"
APPLE_CAMPAIGN = "54200"
POSTBACK_NETWORKS = ("META", "GOOGLE", "TIKTOK", "SNAPCHAT")
_NETWORK_NAMES = {
    "META": "Meta Ads",
    "GOOGLE": "Google Ads",
    "TIKTOK": "TikTok Ads",
    "SNAPCHAT": "Snapchat Ads",
    "APPLE_SEARCH_ADS": "Apple Search Ads",
}


@dataclass(frozen=True)
class LinkCampaign:
    id: int
    display_id: str
    name: str
    network: str  # network code or "" for owned media


@dataclass(frozen=True)
class Credentials:
    token: str
    server_key: str
    signing: Signing | None


@dataclass(frozen=True)
class Stage:
    project_id: int
    credentials: Credentials
    link_campaigns: tuple[LinkCampaign, ...]
    meta_campaign: LinkCampaign
    meta_campaign_group_id: str
    meta_key: str
    apple_campaign: LinkCampaign
    apple_campaign_id: str
    apple_ad_group_id: str
    android_bundle: str
    ios_bundle: str
    web_token: str


def demo_credentials() -> Credentials:
    """The demo project's secrets, creating it the way `make run` does when it is missing."""
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    demo = json.loads(out.getvalue())
    signing = None
    if demo.get("signing_key_id") and demo.get("signing_secret"):
        signing = Signing(demo["signing_key_id"], demo["signing_secret"])
    return Credentials(demo["token"], demo.get("server_api_key", ""), signing)


@transaction.atomic
def prepare(credentials: Credentials, world: OutsideWorld) -> Stage:
    project = Project.objects.filter(token=credentials.token).first()
    if project is None:
        raise LookupError("no project has this token")
    android = _app(project, Platform.ANDROID)
    ios = _app(project, Platform.IOS)
    if not android.meta_install_referrer_key:
        android.meta_install_referrer_key = new_meta_key()
        android.save(update_fields=["meta_install_referrer_key"])
    meta_id = f"{META_CAMPAIGN_GROUP}{project.pk:06d}"
    apple_id = f"{APPLE_CAMPAIGN}{project.pk:04d}"
    meta = _network_campaign(project, "META", meta_id, "Meta - install referrer")
    apple = _network_campaign(project, "APPLE_SEARCH_ADS", apple_id, "Apple Search Ads - brand")
    for campaign in (meta, apple):
        campaign.store_listings.add(android, ios)
    _aim_accounts(project, world)
    # Link journeys need a link that leads to a store: not a campaign a network's answer
    # registered (it has no link of its own), nor one without store listings.
    links = tuple(
        _ref(c)
        for c in Campaign.objects.select_related("network")
        .filter(project=project, active=True, reported_by_network=False)
        .filter(store_listings__isnull=False)
        .exclude(pk__in=[meta.pk, apple.pk])
        .distinct()
        .order_by("display_id")
    )
    if not links:
        created = _link_campaign(project)
        created.store_listings.add(android, ios)
        links = (_ref(created),)
    return Stage(
        project_id=project.pk,
        credentials=credentials,
        link_campaigns=links,
        meta_campaign=_ref(meta),
        meta_campaign_group_id=meta_id,
        meta_key=android.meta_install_referrer_key,
        apple_campaign=_ref(apple),
        apple_campaign_id=apple_id,
        apple_ad_group_id=f"{apple_id}1",
        android_bundle=android.bundle_id,
        ios_bundle=ios.bundle_id,
        web_token=project.web_token,
    )


def release(project_id: int) -> None:
    """Switch the simulator's network accounts off and send the demo's back to its sink: the
    fakes stop with the run."""
    NetworkAccount.objects.filter(project_id=project_id, account_id=SIMULATOR_ACCOUNT).update(
        active=False
    )
    demo.aim_accounts(project_id, demo.resting_url())


def _ref(campaign: Campaign) -> LinkCampaign:
    return LinkCampaign(
        campaign.pk, campaign.display_id, campaign.name, campaign.network_code or ""
    )


def _network(code: str) -> AdNetwork:
    network, _ = AdNetwork.objects.get_or_create(
        code=code, defaults={"name": _NETWORK_NAMES.get(code, code), "kind": "SAN"}
    )
    return network


def _app(project: Project, platform: str) -> App:
    app = App.objects.filter(project=project, platform=platform).order_by("id").first()
    if app is None:
        bundle = f"com.hazelnut.simulated{project.pk}"
        app = App.objects.create(
            project=project, platform=platform, name=project.name, bundle_id=bundle,
            store_id="1234567890" if platform == Platform.IOS else "",
        )  # fmt: skip
    return app


def _network_campaign(project: Project, code: str, network_id: str, name: str) -> Campaign:
    campaign = Campaign.objects.filter(
        project=project, network__code=code, ad_network_campaign_id=network_id
    ).first()
    if campaign is not None:
        return campaign
    return Campaign.objects.create(
        project=project,
        display_id=f"sim{project.pk}-{code.lower().replace('_', '-')}",
        name=name,
        network=_network(code),
        ad_network_campaign_id=network_id,
        deeplink=f"demo://campaign/{code.lower()}",
    )


def _link_campaign(project: Project) -> Campaign:
    campaign, _ = Campaign.objects.get_or_create(
        display_id=f"sim{project.pk}-google-search",
        defaults={"project": project, "name": "Google search (simulated)",
                  "network": _network("GOOGLE"), "deeplink": "demo://campaign/google",
                  "website": "https://example.com/app"},
    )  # fmt: skip
    return campaign


def _aim_accounts(project: Project, world: OutsideWorld) -> None:
    if demo.aim_accounts(project.pk, world.base_url):
        # The demo project: its own accounts, one per network. A simulator account an older
        # version left on would be asked first (the oldest active account wins).
        NetworkAccount.objects.filter(project=project, account_id=SIMULATOR_ACCOUNT).update(
            active=False
        )
        return
    for code in _NETWORK_NAMES:
        defaults: dict[str, Any] = {
            "credentials": demo.account_credentials(code, world.base_url),
            "active": True,
        }
        NetworkAccount.objects.update_or_create(
            project=project, network=_network(code), account_id=SIMULATOR_ACCOUNT, defaults=defaults
        )
