"""A landing page of our own with the web collector on it, for browser tests and local demos.

Not in the production URL map: tests (and a DEBUG setup that wants it) include `urlpatterns`
from here explicitly. The page names the project's web token and a campaign link; with
`?follow=1` it taps the link once the collector has sent its page view.
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path
from string import Template

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path

from attribution.models import Campaign

_WEB = Path(__file__).resolve().parent / "web"


@lru_cache(maxsize=2)
def _asset(name: str) -> str:
    return (_WEB / name).read_text()


def collector(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_asset("collector.js"), content_type="text/javascript")
    response["Cache-Control"] = "no-store"
    return response


def landing(request: HttpRequest, display_id: str) -> HttpResponse:
    campaign = Campaign.objects.select_related("project").filter(display_id=display_id).first()
    if campaign is None:
        raise Http404("no such campaign")
    link = f"/{campaign.display_id}?utm_source=landing&utm_medium=web"
    page = Template(_asset("landing.html")).substitute(
        campaign_link=html.escape(link),
        follow_link="true" if request.GET.get("follow") == "1" else "false",
        collector_url="/_sim/collector.js",
        web_token=html.escape(campaign.project.web_token),
    )
    return HttpResponse(page)


urlpatterns = [
    path("_sim/collector.js", collector, name="sim-collector"),
    path("_sim/landing/<str:display_id>", landing, name="sim-landing"),
]
