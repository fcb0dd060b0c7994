"""Server-to-server campaign management: create, rename/activate, delete.

(Listing campaigns and their users is the reporting API's, in attribution.reports.)
"""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpResponse
from rest_framework.request import Request

from attribution import queries
from attribution.models import Campaign
from ingest import ratelimit, schemas
from ingest.body import read_object
from ingest.errors import ApiError, bad_request, envelope
from ingest.links import DisplayIdConverter
from ingest.views.base import EdgeView
from ingest.views.docs import SERVER_ERRORS, documented, error_doc
from ingest.views.server import TAG, accept, identify

NOT_FOUND = error_doc(404, "Campaign not found!", "not_found")
CAMPAIGN_ERRORS = {**SERVER_ERRORS, 400: error_doc(400, "'name' is required.", "missing_field")}
CAMPAIGN_EXAMPLE = {
    "id": 12,
    "name": "Spring sale",
    "link": "https://go.example.test/spring24",
    "website": "https://example.test/spring",
    "display_id": "spring24",
    "created_at": "2026-03-01T10:00:00Z",
    "android_web_redirect": None,
    "ios_web_redirect": None,
    "domain": "go.example.test",
    "active": True,
    "store_listings": [{"store_listing_id": "3", "name": "Example", "platform": "ANDROID"}],
}


def campaign_data(request: Request, campaign: Campaign) -> dict[str, Any]:
    host = campaign.domain.host if campaign.domain else request.get_host()
    scheme = "https" if campaign.domain or request.is_secure() else "http"
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "link": f"{scheme}://{host}/{campaign.display_id}",
        "website": campaign.website or None,
        "display_id": campaign.display_id,
        "created_at": queries.iso_seconds(campaign.created_at),
        "android_web_redirect": campaign.android_web_redirect or None,
        "ios_web_redirect": campaign.ios_web_redirect or None,
        "domain": campaign.domain.host if campaign.domain else None,
        "active": campaign.active,
        "store_listings": [
            {"store_listing_id": str(app.pk), "name": app.name, "platform": app.platform}
            for app in campaign.store_listings.all()
        ],
    }


class CreateCampaignView(EdgeView):
    @documented(
        schemas.CREATE_CAMPAIGN,
        summary="Create a campaign link",
        tag=TAG,
        request_example={
            "name": "Spring sale",
            "deeplink": "myapp://promo/spring",
            "link_for_desktop_users": "https://example.test/spring",
            "custom_display_id": "spring24",
        },
        responses={201: ("Campaign created!", CAMPAIGN_EXAMPLE)},
        errors=CAMPAIGN_ERRORS,
    )
    def post(self, request: Request) -> HttpResponse:
        project, fields = accept(request, schemas.CREATE_CAMPAIGN, ratelimit.CAMPAIGN)
        custom = fields.get("custom_display_id")
        if custom and not re.fullmatch(DisplayIdConverter.regex, custom):
            raise bad_request(
                "reserved_display_id", "This display id is reserved.", "custom_display_id"
            )
        try:
            campaign = queries.create_campaign(project, fields)
        except queries.CampaignError as error:
            raise bad_request("invalid_campaign", str(error)) from None
        return envelope("Campaign created!", 201, campaign_data(request, campaign))


class CampaignView(EdgeView):
    @documented(
        schemas.UPDATE_CAMPAIGN,
        summary="Rename or (de)activate a campaign (PUT is accepted too)",
        tag=TAG,
        request_example={"active": False},
        responses={200: ("Campaign updated!", CAMPAIGN_EXAMPLE)},
        errors={**CAMPAIGN_ERRORS, 404: NOT_FOUND},
        method="PATCH",
    )
    def patch(self, request: Request, display_id: str) -> HttpResponse:
        project, fields = accept(request, schemas.UPDATE_CAMPAIGN, ratelimit.CAMPAIGN)
        changes = {key: value for key, value in fields.items() if value is not None}
        if not changes:
            raise bad_request("missing_field", "Give at least one of 'name' or 'active'.")
        campaign = _campaign(project.pk, display_id)
        queries.update_campaign(campaign, changes)
        return envelope("Campaign updated!", 200, campaign_data(request, campaign))

    @documented(
        schemas.UPDATE_CAMPAIGN,
        summary="Same as PATCH (the public examples use PUT)",
        tag=TAG,
        responses={200: ("Campaign updated!", CAMPAIGN_EXAMPLE)},
        errors={**CAMPAIGN_ERRORS, 404: NOT_FOUND},
        method="PUT",
    )
    def put(self, request: Request, display_id: str) -> HttpResponse:
        return self.patch(request, display_id)

    @documented(
        None,
        summary="Delete a campaign",
        tag=TAG,
        responses={204: ("Campaign deleted.", None)},
        errors={401: SERVER_ERRORS[401], 404: NOT_FOUND},
        method="DELETE",
    )
    def delete(self, request: Request, display_id: str) -> HttpResponse:
        project = identify(request, ratelimit.CAMPAIGN)
        read_object_if_any(request)
        _campaign(project.pk, display_id).delete()
        return HttpResponse(status=204)


def _campaign(project_id: int, display_id: str) -> Campaign:
    campaign = queries.project_campaign(project_id, display_id)
    if campaign is None:
        raise ApiError(404, "not_found", "Campaign not found!")
    return campaign


def read_object_if_any(request: Request) -> None:
    """DELETE bodies are optional; when one is sent it must still be well-formed."""
    if request.body.strip():
        read_object(request)
