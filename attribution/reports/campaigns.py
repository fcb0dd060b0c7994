"""GET /api/v1/campaigns: the project's campaigns, filtered and paginated as the contract says."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from attribution.campaigns import display_id_from_url
from attribution.models import AdNetwork, Campaign, Domain, Project
from attribution.reports import ratelimit
from attribution.reports.http import (
    ReportError,
    api_view,
    choice,
    iso,
    page_and_limit,
    pagination,
)
from attribution.reports.links import campaign_link

FILTERS = ("ACTIVE", "INACTIVE", "ALL")


@api_view
def list_campaigns(request: HttpRequest, project: Project) -> dict[str, Any]:
    ratelimit.check(project, "campaigns", "HAZELNUT_RATE_LIMIT_CAMPAIGN_PER_SECOND", 1)
    page, limit = page_and_limit(request, default=100, maximum=1000)
    campaigns = _filtered(request, project)
    total = campaigns.count()
    default_domain = Domain.objects.filter(project=project, is_default=True).first()
    rows = campaigns[(page - 1) * limit : page * limit]
    return {
        "total_campaigns": total,
        "campaigns": [campaign_json(c, default_domain) for c in rows],
        "pagination": pagination(total, page, limit),
    }


def _filtered(request: HttpRequest, project: Project) -> QuerySet[Campaign]:
    campaigns = (
        Campaign.objects.filter(project=project)
        .select_related("network", "domain")
        .prefetch_related("store_listings")
        .annotate(attributed_users=Count("installs__users", distinct=True))
        .order_by("-created_at", "-id")
    )
    state = choice(request, "filter", FILTERS, "ALL")
    if state != "ALL":
        campaigns = campaigns.filter(active=state == "ACTIVE")
    if request.GET.get("channel"):
        campaigns = campaigns.filter(network=_network(request.GET["channel"]))
    if request.GET.get("domain"):
        campaigns = campaigns.filter(domain=_domain(project, request.GET["domain"]))
    if request.GET.get("link"):
        campaigns = campaigns.filter(display_id=_display_id(project, request.GET["link"]))
    return campaigns


def _network(channel: str) -> AdNetwork:
    # Affiliates are named with "_" for spaces, case-insensitively.
    name = channel.replace("_", " ")
    network = AdNetwork.objects.filter(Q(code__iexact=channel) | Q(name__iexact=name)).first()
    if network is None:
        raise ReportError(400, "Invalid channel.", "invalid_channel", "channel")
    return network


def _domain(project: Project, host: str) -> Domain:
    host = (urlsplit(host).hostname if "://" in host else host) or ""
    domain = Domain.objects.filter(project=project, host__iexact=host.strip().rstrip("/")).first()
    if domain is None:
        raise ReportError(400, "Invalid domain.", "invalid_domain", "domain")
    return domain


def _display_id(project: Project, link: str) -> str:
    # A link must be one of the project's own: on one of its domains, naming a campaign.
    parts = urlsplit(link if "://" in link else f"https://{link}")
    host = (parts.hostname or "").lower()
    display_id = display_id_from_url(link) if parts.scheme in ("http", "https") else None
    if not display_id or not Domain.objects.filter(project=project, host__iexact=host).exists():
        raise ReportError(400, "Invalid link.", "invalid_link", "link")
    return display_id


def campaign_json(campaign: Campaign, default_domain: Domain | None) -> dict[str, Any]:
    code = campaign.network_code
    domain = campaign.domain or default_domain
    link = campaign_link(campaign, default_domain)
    return {
        "display_id": campaign.display_id,
        "name": campaign.name,
        "created_at": iso(campaign.created_at),
        "update_at": iso(campaign.updated_at),  # sic: the contract's spelling
        "google": code == "GOOGLE",
        "meta": code == "META",
        "meta_campaign_id": campaign.ad_network_campaign_id or None if code == "META" else None,
        "meta_web_to_app": False,
        "active": campaign.active,
        "default_link": campaign.website or None,
        "attributed_users": getattr(campaign, "attributed_users", 0),
        "link": link,
        "shareable_link": link,
        "domain": domain.host if domain else None,
        "store_listings": [
            {"store_listing_id": str(app.id), "name": app.name, "platform": app.platform}
            for app in campaign.store_listings.all()
        ],
    }
