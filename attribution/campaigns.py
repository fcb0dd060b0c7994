"""Campaign resolution: which Campaign row a click, a referrer or a network answer names.

A network's answer (Apple AdServices, Google Ads, Meta's install referrer) may name a campaign
nobody registered here; it is then registered on first sight, at the campaign level, so reports
and postbacks show the network's own campaign as AppsFlyer and Adjust do.
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.db import IntegrityError, transaction

from attribution.models import AdNetwork, Campaign

NETWORK_NAMES = {"APPLE_SEARCH_ADS": "Apple Search Ads", "GOOGLE": "Google Ads", "META": "Meta Ads"}
# Apple, Google and Meta campaign ids are decimal; anything else is not registered.
_NETWORK_CAMPAIGN_ID = re.compile(r"[0-9]{1,32}")


def display_id_from_url(url: str) -> str | None:
    """The campaign display id of a link: `?c=<id>` or the last path segment."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if query.get("c"):
        return query["c"]
    segments = [s for s in parts.path.split("/") if s]
    return segments[-1] if segments else None


def by_display_id(project_id: int, display_id: str | None) -> Campaign | None:
    if not display_id:
        return None
    return (
        Campaign.objects.select_related("network")
        .filter(project_id=project_id, display_id=display_id)
        .first()
    )


def by_id(project_id: int, campaign_id: int | None) -> Campaign | None:
    if campaign_id is None:
        return None
    return (
        Campaign.objects.select_related("network")
        .filter(project_id=project_id, id=campaign_id)
        .first()
    )


def by_network_id(
    project_id: int, network_code: str, network_campaign_ids: list[str]
) -> Campaign | None:
    """The campaign registered under a network's own id (Meta, Apple, Google campaign ids).

    Several ids may be offered (Meta: ad, ad set, campaign); the first that is registered wins,
    so callers pass the most specific first.
    """
    ids = [i for i in network_campaign_ids if i]
    if not ids:
        return None
    found = {
        c.ad_network_campaign_id: c
        for c in Campaign.objects.select_related("network").filter(
            project_id=project_id, ad_network_campaign_id__in=ids, network__code=network_code
        )
    }
    return next((found[i] for i in ids if i in found), None)


def from_network_answer(
    project_id: int,
    network_code: str,
    offered_ids: list[str],
    campaign_level_id: str,
    name: str = "",
    fallback: Campaign | None = None,
) -> tuple[Campaign | None, dict[str, Any]]:
    """The campaign a network's answer names, with the decision-trace facts of how it was found.

    The first offered id that is registered wins, else `fallback`, else the campaign-level id is
    registered as a network-reported campaign.
    """
    found = by_network_id(project_id, network_code, offered_ids) or fallback
    created = False
    if found is None and _NETWORK_CAMPAIGN_ID.fullmatch(campaign_level_id):
        found, created = register_reported(project_id, network_code, campaign_level_id, name)
    if found is None or not found.reported_by_network:
        return found, {}
    when = "by this install" if created else "by an earlier install"
    return found, {"campaign_registration": f"registered from the network's answer {when}"}


def register_reported(
    project_id: int, network_code: str, network_campaign_id: str, name: str = ""
) -> tuple[Campaign | None, bool]:
    """Get or create the network-reported campaign; (campaign, created).

    Two workers meeting the same new campaign race on the partial unique constraint: the loser
    reads the winner's row. A display id taken by someone's custom link gets a random suffix.
    """
    network = _network(network_code)
    lookup: dict[str, Any] = {
        "project_id": project_id,
        "network": network,
        "ad_network_campaign_id": network_campaign_id,
        "reported_by_network": True,
    }
    readable = f"{network_code.lower().replace('_', '-')}-{project_id}-{network_campaign_id}"
    label = NETWORK_NAMES.get(network_code, network.name)
    for display_id in (readable, f"{readable}-{secrets.token_hex(3)}"):
        existing = _existing(lookup)
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                campaign = Campaign.objects.create(
                    **lookup,
                    display_id=display_id,
                    name=(name.strip() or f"{label} campaign {network_campaign_id}")[:200],
                )
        except IntegrityError:
            continue
        return campaign, True
    return _existing(lookup), False


def _existing(lookup: dict[str, Any]) -> Campaign | None:
    return Campaign.objects.select_related("network").filter(**lookup).first()


def _network(code: str) -> AdNetwork:
    network, _ = AdNetwork.objects.get_or_create(
        code=code,
        defaults={"name": NETWORK_NAMES.get(code, code), "kind": AdNetwork.Kind.SELF_ATTRIBUTING},
    )
    return network
