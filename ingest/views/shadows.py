"""OpenAPI entries for the routes served by plain Django views (the web collector, links).

drf-spectacular only describes DRF views, so each of these is routed right after the plain view
it documents, on the same path; requests never reach it, and if one did it would be served by
the plain view all the same.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request

from ingest.views import links, web
from ingest.views.base import EdgeView
from ingest.views.docs import SDK_ERRORS, documented

WEB_EXAMPLE = {
    "token": "hz_web_example",
    "event_id": "6f1c2c8e-0000-4000-8000-000000000001",
    "event_type": "page_view",
    "event_name": "",
    "event_data": "",
    "visitor_id": "0b9e...",
    "session_id": "5d2a...",
    "page_url": "https://shop.example.test/?utm_source=news",
    "utm_source": "news",
    "gclid": "",
}


class WebCollectorDocView(EdgeView):
    @documented(
        None,
        summary="Web SDK event: flat JSON, or the encrypted envelope {lrv, kid, epk, iv, ct}",
        tag="Web collector",
        request_example=WEB_EXAMPLE,
        responses={202: ("Event received.", None)},
        errors={
            400: SDK_ERRORS[400],
            401: SDK_ERRORS[401],
            413: SDK_ERRORS[413],
            429: SDK_ERRORS[429],
        },
    )
    def post(self, request: Request) -> HttpResponse:
        return web.collect(request._request)


class CampaignLinkDocView(EdgeView):
    @extend_schema(
        summary="Campaign link: records the click and redirects by platform",
        tags=["Campaign links"],
        parameters=[
            OpenApiParameter("utm_source", str, description="Any utm_* and ad click id is kept"),
            OpenApiParameter("gclid", str),
            OpenApiParameter("fbclid", str),
        ],
        responses={
            302: OpenApiResponse(description="To the store (Play: id + referrer only) or a site"),
            200: OpenApiResponse(description="In-app browsers: a page that tries the app first"),
            404: OpenApiResponse(description="No such campaign"),
        },
    )
    def get(self, request: Request, display_id: str) -> HttpResponse:
        return links.campaign_link(request._request, display_id)
