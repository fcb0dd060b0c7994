"""GET /api/v1/attributed-users: the users a campaign brought, in the caller's time zone."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest

from attribution.models import Campaign, Domain, Project, UserIdentity
from attribution.reports import ratelimit
from attribution.reports.http import (
    ReportError,
    api_view,
    iso,
    page_and_limit,
    pagination,
    time_zone,
    timestamp,
)
from attribution.reports.links import campaign_link


@api_view
def attributed_users(request: HttpRequest, project: Project) -> dict[str, Any]:
    ratelimit.check(project, "data", "HAZELNUT_RATE_LIMIT_DATA_PER_SECOND", 1)
    display_id = request.GET.get("display_id")
    if not display_id:
        raise ReportError(400, "'display_id' is required.", "missing_field", "display_id")
    zone = time_zone(request)
    start = timestamp(request, "start_timestamp", zone)
    end = timestamp(request, "end_timestamp", zone)
    page, limit = page_and_limit(request, default=50, maximum=1000)
    campaign = (
        Campaign.objects.select_related("network")
        .filter(project=project, display_id=display_id)
        .first()
    )
    if campaign is None:
        raise ReportError(404, "Campaign not found!", "campaign_not_found", "display_id")

    users = (
        UserIdentity.objects.filter(project=project, install__campaign=campaign)
        .select_related("install")
        .order_by("-created_at", "-id")
    )
    if start is not None:
        users = users.filter(created_at__gte=start)
    if end is not None:
        users = users.filter(created_at__lte=end)
    total = users.count()
    rows = users[(page - 1) * limit : page * limit]
    link = campaign_link(campaign, Domain.objects.filter(project=project, is_default=True).first())
    return {
        "total_users": total,
        "users": [_user_json(user, campaign, link, zone) for user in rows],
        "pagination": pagination(total, page, limit),
    }


def _user_json(
    user: UserIdentity, campaign: Campaign, link: str | None, zone: ZoneInfo
) -> dict[str, Any]:
    install = user.install
    assert install is not None  # the query joins through it
    return {
        "attributed_at": iso(user.created_at, zone),
        "ad_channel": campaign.network_code,
        "campaign_display_id": campaign.display_id,
        "campaign_name": campaign.name,
        "link": link,
        "installed_at": iso(install.installed_at, zone),
        "store_click_at": iso(install.store_click_at, zone),
        "meta_ad_id": None,
        "ad_creative_id": campaign.ad_creative_id or None,
        "ad_creative_name": campaign.ad_creative_name or None,
        "ad_set_id": campaign.ad_set_id or None,
        "ad_set_name": campaign.ad_set_name or None,
        "publisher_platform": None,
        "platform_position": None,
        "user_data": {
            "id": user.user_id,
            "name": user.name or None,
            "email": user.email or None,
            "phone": user.phone or None,
            "device_data": install.device_data,
            **{k: v for k, v in user.data.items() if k not in {"id", "name", "email", "phone"}},
        },
    }
