"""The demo project's fixtures besides the project itself: the standard ad networks, the demo
campaigns, one account per network, and event maps that send installs, signups, payments and
one custom event to the network credited with the user.

The accounts are active but point at loopback only, never at a network. Outside a simulator
run they point at `LOCAL_SINK`, the development web server's stand-in for the networks, which
answers each postback as its network would (so it ends delivered) without anything leaving the
machine. `manage.py simulate` aims them at its own fakes (the same paths on the fakes' port) for
the length of a run and back at the sink afterwards. In production there is no such route: the
accounts point at `SINK`, where nothing is meant to listen, and a demo postback fails there
instead of reaching anyone.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from django.conf import settings

from attribution.models import AdNetwork, App, Campaign, NetworkAccount, Project
from postbacks.api import map_event

ACCOUNT = "hazelnut-demo"
SINK = "http://127.0.0.1:9"  # the discard port: refused at once on a machine that runs nothing
# `make run`'s web server (WEB_PORT, as in the Procfile), and the route hazelnut/urls.py mounts
# on it outside production.
WEB_ORIGIN = "http://127.0.0.1:" + os.environ.get("WEB_PORT", "8000")
LOCAL_SINK = WEB_ORIGIN + "/dev/outside"
APPLE_PATH = "/adservices/api/v1/"
GOOGLE_CLAIMS_PATH = "/google-ads/attribution"
NETWORK_PREFIX = "/networks/"
CUSTOM_EVENT = "cart_added"  # one of the names the simulator's users send

STANDARD_NETWORKS = [
    ("GOOGLE", "Google Ads", AdNetwork.Kind.SELF_ATTRIBUTING),
    ("META", "Meta Ads", AdNetwork.Kind.SELF_ATTRIBUTING),
    ("TIKTOK", "TikTok Ads", AdNetwork.Kind.SELF_ATTRIBUTING),
    ("SNAPCHAT", "Snapchat Ads", AdNetwork.Kind.SELF_ATTRIBUTING),
    ("APPLE_SEARCH_ADS", "Apple Search Ads", AdNetwork.Kind.SELF_ATTRIBUTING),
]

CAMPAIGNS = [
    ("demo-google-search", "Google search - brand", "GOOGLE"),
    ("demo-meta-spring", "Meta - spring sale", "META"),
    ("demo-tiktok-creators", "TikTok - creators", "TIKTOK"),
    ("demo-snapchat-stories", "Snapchat - stories", "SNAPCHAT"),
    ("demo-newsletter", "Newsletter", None),
]

# Per network with a postback client: the network's own name for each kind of event.
EVENT_NAMES: dict[str, dict[str, str]] = {
    "META": {
        "install": "MobileAppInstall",
        "signup": "CompleteRegistration",
        "payment": "Purchase",
        "custom": "AddToCart",
    },
    "GOOGLE": {
        "install": "first_open",
        "signup": "sign_up",
        "payment": "in_app_purchase",
        "custom": "add_to_cart",
    },
    "TIKTOK": {
        "install": "InstallApp",
        "signup": "CompleteRegistration",
        "payment": "Purchase",
        "custom": "AddToCart",
    },
    "SNAPCHAT": {
        "install": "APP_INSTALL",
        "signup": "SIGN_UP",
        "payment": "PURCHASE",
        "custom": "ADD_CART",
    },
}


def ensure_standard_networks() -> dict[str, AdNetwork]:
    networks = {}
    for code, name, kind in STANDARD_NETWORKS:
        network, _ = AdNetwork.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind}
        )
        networks[code] = network
    return networks


def ensure_campaigns(
    project: Project, networks: dict[str, AdNetwork], listings: Sequence[App]
) -> None:
    """Create the demo campaigns the project lacks; a display id another project holds is
    taken back (display ids are unique across projects)."""
    for display_id, name, network_code in CAMPAIGNS:
        Campaign.objects.filter(display_id=display_id).exclude(project=project).delete()
        campaign, created = Campaign.objects.get_or_create(
            display_id=display_id,
            defaults={
                "project": project,
                "name": name,
                "network": networks[network_code] if network_code else None,
                "deeplink": f"demo://campaign/{display_id}",
            },
        )
        if created:
            campaign.store_listings.set(listings)


def resting_url() -> str:
    """Where the demo accounts point outside a simulator run."""
    return SINK if settings.PRODUCTION else LOCAL_SINK


def account_credentials(code: str, base_url: str) -> dict[str, Any]:
    """What the demo's account on `code` holds when aimed at `base_url` (a sink or the
    simulator's fakes): every URL a strategy or a postback client reads is under it."""
    endpoint = f"{base_url}{NETWORK_PREFIX}{code.lower()}"
    return {
        "APPLE_SEARCH_ADS": {"base_url": base_url + APPLE_PATH},
        "META": {"dataset_id": "1234567890", "access_token": "demo-token", "endpoint": endpoint},
        "GOOGLE": {
            "dev_token": "demo-dev-token",
            "link_id": "DEMOLINKID",
            "endpoint": endpoint,
            "base_url": base_url + GOOGLE_CLAIMS_PATH,
        },
        "TIKTOK": {
            "access_token": "demo-token",
            "tiktok_app_id": "7000000000",
            "endpoint": endpoint,
        },
        "SNAPCHAT": {
            "snap_app_id": "demo-snap-app",
            "access_token": "demo-token",
            "endpoint": endpoint,
        },
    }[code]


def ensure_postbacks(project: Project, networks: dict[str, AdNetwork]) -> None:
    """One active account per standard network, aimed at the sink, and the event maps."""
    for code, _, _ in STANDARD_NETWORKS:
        NetworkAccount.objects.update_or_create(
            project=project,
            network=networks[code],
            account_id=ACCOUNT,
            defaults={"credentials": account_credentials(code, resting_url()), "active": True},
        )
    for code, names in EVENT_NAMES.items():
        for kind, network_event_name in names.items():
            source = CUSTOM_EVENT if kind == "custom" else ""
            map_event(project.pk, code, kind, network_event_name, source_event_name=source)


def aim_accounts(project_id: int, base_url: str) -> int:
    """Point the project's demo accounts at `base_url` and keep them active; how many."""
    accounts = list(
        NetworkAccount.objects.select_related("network").filter(
            project_id=project_id, account_id=ACCOUNT
        )
    )
    for account in accounts:
        account.credentials = account_credentials(account.network.code, base_url)
        account.active = True
        account.save(update_fields=["credentials", "active"])
    return len(accounts)
